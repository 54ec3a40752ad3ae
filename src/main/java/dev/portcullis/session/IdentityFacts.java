package dev.portcullis.session;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an identity provider said about a person beyond the email, as far as policies can use
 * it. Carried inside session and app tokens, so that identity selectors are evaluated on every
 * request without a store lookup; to keep cookies small, only the organizations, teams, groups
 * and claims that some policy names are kept (see {@code PolicyInterest}).
 *
 * @param name a display name, or null
 * @param githubLogin the GitHub login, or null
 * @param githubOrgs lower-case organization logins
 * @param githubTeams lower-case {@code org/team} slugs
 * @param groups groups the provider reported
 * @param claims provider claims, each as the list of its values
 */
public record IdentityFacts(
    String name, String githubLogin, Set<String> githubOrgs, Set<String> githubTeams,
    Set<String> groups, Map<String, List<String>> claims) {

  /** Nothing known beyond the email (a PIN login). */
  public static final IdentityFacts NONE =
      new IdentityFacts(null, null, Set.of(), Set.of(), Set.of(), Map.of());

  public IdentityFacts {
    githubOrgs = Set.copyOf(githubOrgs);
    githubTeams = Set.copyOf(githubTeams);
    groups = Set.copyOf(groups);
    claims = Map.copyOf(claims);
  }
}
