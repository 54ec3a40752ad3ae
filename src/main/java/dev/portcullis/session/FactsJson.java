package dev.portcullis.session;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@link IdentityFacts} as JSON, for the store. */
public final class FactsJson {
  private FactsJson() {}

  public static String write(IdentityFacts facts) {
    JsonObject json = new JsonObject();
    if (facts.name() != null) {
      json.put("name", facts.name());
    }
    if (facts.githubLogin() != null) {
      json.put("github_login", facts.githubLogin());
    }
    json.put("github_orgs", new JsonArray(facts.githubOrgs().stream().sorted().toList()));
    json.put("github_teams", new JsonArray(facts.githubTeams().stream().sorted().toList()));
    json.put("groups", new JsonArray(facts.groups().stream().sorted().toList()));
    JsonObject claims = new JsonObject();
    facts.claims().forEach((k, v) -> claims.put(k, new JsonArray(v)));
    return json.put("claims", claims).encode();
  }

  /** Reads facts back; anything unreadable counts as nothing known, never as more. */
  public static IdentityFacts read(String text) {
    if (text == null || text.isBlank()) {
      return IdentityFacts.NONE;
    }
    try {
      JsonObject json = new JsonObject(text);
      Map<String, List<String>> claims = new HashMap<>();
      JsonObject stored = json.getJsonObject("claims", new JsonObject());
      for (String name : stored.fieldNames()) {
        claims.put(name, strings(stored.getJsonArray(name)));
      }
      return new IdentityFacts(json.getString("name"), json.getString("github_login"),
          Set.copyOf(strings(json.getJsonArray("github_orgs"))),
          Set.copyOf(strings(json.getJsonArray("github_teams"))),
          new HashSet<>(strings(json.getJsonArray("groups"))), claims);
    } catch (DecodeException | ClassCastException e) {
      return IdentityFacts.NONE;
    }
  }

  private static List<String> strings(JsonArray array) {
    return array == null ? List.of() : array.stream().map(String::valueOf).toList();
  }
}
