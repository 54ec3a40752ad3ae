package dev.portcullis.identity;

import dev.portcullis.config.PortcullisConfig.OAuth;
import dev.portcullis.policy.PolicyInterest;
import dev.portcullis.session.IdentityFacts;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sign in with GitHub (or GitHub Enterprise Server): the OAuth app flow with state and PKCE,
 * then the REST API for the person's primary verified email, organizations and teams.
 *
 * <p>Organizations come from {@code /user/orgs}, which with the {@code read:org} scope lists
 * private memberships too; teams from {@code /user/teams}. Both are paginated through the
 * {@code Link} header; only links on the configured API's origin are followed, and at most
 * {@link #MAX_PAGES} pages, so a misbehaving server cannot send Portcullis elsewhere or loop.
 */
public final class GithubProvider implements RedirectProvider {
  /** 100 per page is GitHub's maximum; 50 pages is 5,000 organizations or teams. */
  private static final int MAX_PAGES = 50;
  private static final Pattern NEXT = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"next\"");
  private static final String API_VERSION = "2022-11-28";

  private final String id;
  private final OAuth settings;
  private final WebClient client;
  private final Supplier<PolicyInterest> interest;

  public GithubProvider(String id, OAuth settings, WebClient client,
      Supplier<PolicyInterest> interest) {
    this.id = id;
    this.settings = settings;
    this.client = client;
    this.interest = interest;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public Future<String> authorizationUrl(OAuthFlow flow, String callbackUrl) {
    return Future.succeededFuture(settings.webUrl() + "/login/oauth/authorize?client_id="
        + enc(settings.clientId()) + "&redirect_uri=" + enc(callbackUrl) + "&scope="
        + enc(String.join(" ", settings.scopes())) + "&state=" + enc(flow.state())
        + "&code_challenge=" + enc(flow.challenge()) + "&code_challenge_method=S256"
        + "&allow_signup=false");
  }

  @Override
  public Future<Identity> complete(String code, OAuthFlow flow, String callbackUrl) {
    MultiMap form = MultiMap.caseInsensitiveMultiMap()
        .add("client_id", settings.clientId())
        .add("client_secret", settings.clientSecret().reveal())
        .add("code", code)
        .add("redirect_uri", callbackUrl)
        .add("code_verifier", flow.verifier());
    HttpRequest<Buffer> exchange = client.postAbs(settings.webUrl()
        + "/login/oauth/access_token").putHeader("Accept", "application/json");
    return ProviderHttp.object(exchange, settings.timeout(), "GitHub's token endpoint", form)
        .compose(token -> {
          if (token.containsKey("error")) {
            return Future.failedFuture(new LoginFailure(LoginFailure.Kind.TOKEN_INVALID,
                "GitHub refused the code: " + token.getString("error")));
          }
          String accessToken = ProviderHttp.string(token, "access_token",
              "GitHub's token answer");
          return identity(accessToken).map(who -> who.withAccessToken(accessToken));
        });
  }

  /** Reads who the token belongs to. Also used to re-check membership while a session lives. */
  public Future<Identity> identity(String accessToken) {
    Future<JsonObject> user = ProviderHttp.object(api("/user", accessToken),
        settings.timeout(), "GitHub /user");
    Future<String> email = pages(settings.apiUrl() + "/user/emails?per_page=100", accessToken,
        new ArrayList<>(), 0).map(GithubProvider::primaryVerifiedEmail);
    Future<List<JsonObject>> orgs = pages(settings.apiUrl() + "/user/orgs?per_page=100",
        accessToken, new ArrayList<>(), 0);
    Future<List<JsonObject>> teams = pages(settings.apiUrl() + "/user/teams?per_page=100",
        accessToken, new ArrayList<>(), 0);
    return Future.all(user, email, orgs, teams).map(done -> {
      PolicyInterest wanted = interest.get();
      Set<String> orgLogins = new HashSet<>();
      for (JsonObject org : orgs.result()) {
        String login = org.getString("login");
        if (login != null && wanted.wantsOrg(login)) {
          orgLogins.add(login.toLowerCase(Locale.ROOT));
        }
      }
      Set<String> teamSlugs = new HashSet<>();
      for (JsonObject team : teams.result()) {
        JsonObject org = team.getJsonObject("organization");
        String slug = team.getString("slug");
        if (org != null && org.getString("login") != null && slug != null) {
          String full = org.getString("login") + "/" + slug;
          if (wanted.wantsTeam(full)) {
            teamSlugs.add(full.toLowerCase(Locale.ROOT));
          }
        }
      }
      JsonObject who = user.result();
      String login = ProviderHttp.string(who, "login", "GitHub /user");
      if (!(who.getValue("id") instanceof Number githubId)) {
        throw new LoginFailure(LoginFailure.Kind.MALFORMED_RESPONSE, "GitHub /user has no "
            + "numeric id");
      }
      IdentityFacts facts = new IdentityFacts(who.getString("name"), login, orgLogins,
          teamSlugs, Set.of(), Map.of("github_id", List.of(String.valueOf(githubId.longValue()))));
      return new Identity(id, email.result(), facts);
    }).recover(e -> Future.failedFuture(e instanceof LoginFailure ? e
        : new LoginFailure(LoginFailure.Kind.MALFORMED_RESPONSE, "GitHub answer: "
            + e.getClass().getSimpleName(), e)));
  }

  private static String primaryVerifiedEmail(List<JsonObject> emails) {
    for (JsonObject item : emails) {
      JsonObject e = item;
      if (Boolean.TRUE.equals(e.getBoolean("primary"))) {
        if (Boolean.TRUE.equals(e.getBoolean("verified")) && e.getString("email") != null) {
          return e.getString("email").toLowerCase(Locale.ROOT);
        }
        break;
      }
    }
    throw new LoginFailure(LoginFailure.Kind.EMAIL_UNVERIFIED,
        "GitHub account has no primary verified email");
  }

  private Future<List<JsonObject>> pages(String url, String token, List<JsonObject> collected,
      int page) {
    return ProviderHttp.send(client.getAbs(url).putHeaders(headers(token)), settings.timeout(),
        "GitHub " + url.replace(settings.apiUrl().toString(), ""), null).compose(response -> {
          for (Object item : ProviderHttp.array(response, "GitHub list")) {
            if (item instanceof JsonObject object) {
              collected.add(object);
            }
          }
          String next = next(response.getHeader("Link"));
          if (next == null || page + 1 >= MAX_PAGES
              || !next.startsWith(settings.apiUrl().toString() + "/")) {
            return Future.succeededFuture(collected);
          }
          return pages(next, token, collected, page + 1);
        });
  }

  private static String next(String link) {
    if (link == null) {
      return null;
    }
    Matcher matcher = NEXT.matcher(link);
    return matcher.find() ? matcher.group(1) : null;
  }

  private HttpRequest<Buffer> api(String path, String token) {
    return client.getAbs(settings.apiUrl() + path).putHeaders(headers(token));
  }

  private static MultiMap headers(String token) {
    return MultiMap.caseInsensitiveMultiMap()
        .add("Authorization", "Bearer " + token)
        .add("Accept", "application/vnd.github+json")
        .add("X-GitHub-Api-Version", API_VERSION)
        .add("User-Agent", "portcullis");
  }

  private static String enc(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
