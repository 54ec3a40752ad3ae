package dev.portcullis.policy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The identity facts that some policy can look at: the GitHub organizations and teams, provider
 * groups and claim names named by any selector, groups included. Sessions keep only these, so
 * that a person in hundreds of organizations still fits in a cookie. A fact added to a policy
 * later takes effect at the person's next login.
 */
public record PolicyInterest(
    Set<String> githubOrgs, Set<String> githubTeams, Set<String> groups, Set<String> claims) {

  public static PolicyInterest of(List<Application> applications) {
    Set<String> orgs = new HashSet<>();
    Set<String> teams = new HashSet<>();
    Set<String> groups = new HashSet<>();
    Set<String> claims = new HashSet<>();
    Set<Group> seen = new HashSet<>();
    for (Application app : applications) {
      for (Policy policy : app.policies()) {
        collect(policy.rules(), orgs, teams, groups, claims, seen);
      }
    }
    return new PolicyInterest(Set.copyOf(orgs), Set.copyOf(teams), Set.copyOf(groups),
        Set.copyOf(claims));
  }

  private static void collect(Rules rules, Set<String> orgs, Set<String> teams,
      Set<String> groups, Set<String> claims, Set<Group> seen) {
    for (List<Selector> list : List.of(rules.include(), rules.require(), rules.exclude())) {
      for (Selector selector : list) {
        switch (selector) {
          case Selector.GithubOrg s -> orgs.addAll(s.orgs());
          case Selector.GithubTeam s -> {
            teams.addAll(s.teams());
            // A team implies its organization: keep it too, for github_org rules.
            s.teams().forEach(t -> orgs.add(t.substring(0, t.indexOf('/'))));
          }
          case Selector.OidcGroup s -> groups.addAll(s.groups());
          case Selector.OidcClaim s -> claims.add(s.name());
          case Selector.GroupRef s -> {
            if (seen.add(s.group())) {
              collect(s.group().rules(), orgs, teams, groups, claims, seen);
            }
          }
          default -> {
            // Other selectors look at facts every session carries anyway.
          }
        }
      }
    }
  }

  /** Whether a GitHub organization login (any case) is of interest. */
  public boolean wantsOrg(String org) {
    return githubOrgs.contains(org.toLowerCase(java.util.Locale.ROOT));
  }

  public boolean wantsTeam(String team) {
    return githubTeams.contains(team.toLowerCase(java.util.Locale.ROOT));
  }
}
