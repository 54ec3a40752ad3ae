package dev.portcullis.policy;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One test inside a rule. Selectors are pure functions of the {@link Subject}; missing data
 * never matches, so an unknown email, address or claim cannot widen access. String sets are
 * compiled lower case where the configuration says they compare case-insensitively.
 */
public sealed interface Selector {

  boolean matches(Subject subject);

  /** The selector in the words of the configuration file, for decision traces. */
  String describe();

  private static String list(Set<String> values) {
    return "[" + values.stream().sorted().collect(Collectors.joining(", ")) + "]";
  }

  /**
   * {@code everyone: true}: every request the policy is evaluated for. Allow and block policies
   * are only evaluated for signed-in people, so there it means "anybody signed in".
   */
  record Everyone() implements Selector {
    @Override
    public boolean matches(Subject subject) {
      return true;
    }

    @Override
    public String describe() {
      return "everyone";
    }
  }

  /** {@code email: [...]}: exact addresses, compared lower-cased. */
  record Email(Set<String> addresses) implements Selector {
    public Email {
      addresses = Set.copyOf(addresses);
    }

    @Override
    public boolean matches(Subject subject) {
      return subject.email() != null && addresses.contains(subject.email());
    }

    @Override
    public String describe() {
      return "email in " + list(addresses);
    }
  }

  /** {@code email_list: FILE}: the addresses in a file, one a line, read with the config. */
  record EmailList(Path file, Set<String> addresses) implements Selector {
    public EmailList {
      addresses = Set.copyOf(addresses);
    }

    @Override
    public boolean matches(Subject subject) {
      return subject.email() != null && addresses.contains(subject.email());
    }

    @Override
    public String describe() {
      return "email in list " + file.getFileName() + " (" + addresses.size() + " addresses)";
    }
  }

  /** {@code email_domain: [...]}: the part after the last {@code @}, exactly; no subdomains. */
  record EmailDomain(Set<String> domains) implements Selector {
    public EmailDomain {
      domains = Set.copyOf(domains);
    }

    @Override
    public boolean matches(Subject subject) {
      String email = subject.email();
      if (email == null) {
        return false;
      }
      int at = email.lastIndexOf('@');
      return at > 0 && domains.contains(email.substring(at + 1));
    }

    @Override
    public String describe() {
      return "email domain in " + list(domains);
    }
  }

  /** {@code ip: [...]}: the client address lies in one of the networks. */
  record Ip(CidrSet networks) implements Selector {
    @Override
    public boolean matches(Subject subject) {
      return networks.contains(subject.clientAddress());
    }

    @Override
    public String describe() {
      return "client address in " + networks;
    }
  }

  /** {@code group: NAME}: the named group's rules hold. */
  record GroupRef(Group group) implements Selector {
    @Override
    public boolean matches(Subject subject) {
      return group.rules().evaluate(subject).matched();
    }

    @Override
    public String describe() {
      return "group " + group.name();
    }
  }

  /** {@code idp: [...]}: signed in through one of these identity providers. */
  record Idp(Set<String> ids) implements Selector {
    public Idp {
      ids = Set.copyOf(ids);
    }

    @Override
    public boolean matches(Subject subject) {
      return subject.idp() != null && ids.contains(subject.idp());
    }

    @Override
    public String describe() {
      return "identity provider in " + list(ids);
    }
  }

  /** {@code github_org: [...]}: a member of one of these GitHub organizations. */
  record GithubOrg(Set<String> orgs) implements Selector {
    public GithubOrg {
      orgs = Set.copyOf(orgs);
    }

    @Override
    public boolean matches(Subject subject) {
      return subject.githubOrgs().stream().anyMatch(orgs::contains);
    }

    @Override
    public String describe() {
      return "GitHub organization in " + list(orgs);
    }
  }

  /** {@code github_team: [org/team, ...]}: a member of one of these GitHub teams. */
  record GithubTeam(Set<String> teams) implements Selector {
    public GithubTeam {
      teams = Set.copyOf(teams);
    }

    @Override
    public boolean matches(Subject subject) {
      return subject.githubTeams().stream().anyMatch(teams::contains);
    }

    @Override
    public String describe() {
      return "GitHub team in " + list(teams);
    }
  }

  /** {@code oidc_claim: {name, value}}: the claim equals the value, or contains it. */
  record OidcClaim(String name, String value) implements Selector {
    @Override
    public boolean matches(Subject subject) {
      List<String> values = subject.claims().get(name);
      return values != null && values.contains(value);
    }

    @Override
    public String describe() {
      return "claim " + name + " = " + value;
    }
  }

  /** {@code oidc_group: [...]}: the identity provider reports one of these groups. */
  record OidcGroup(Set<String> groups) implements Selector {
    public OidcGroup {
      groups = Set.copyOf(groups);
    }

    @Override
    public boolean matches(Subject subject) {
      return subject.groups().stream().anyMatch(groups::contains);
    }

    @Override
    public String describe() {
      return "identity provider group in " + list(groups);
    }
  }

  /** {@code service_token: [...]}: one of these service tokens, by name. */
  record ServiceToken(Set<String> names) implements Selector {
    public ServiceToken {
      names = Set.copyOf(names);
    }

    @Override
    public boolean matches(Subject subject) {
      return subject.serviceToken() != null && names.contains(subject.serviceToken());
    }

    @Override
    public String describe() {
      return "service token in " + list(names);
    }
  }

  /** {@code any_service_token: true}: any valid service token. */
  record AnyServiceToken() implements Selector {
    @Override
    public boolean matches(Subject subject) {
      return subject.serviceToken() != null;
    }

    @Override
    public String describe() {
      return "any service token";
    }
  }

  /** {@code certificate: true}: a verified client TLS certificate was presented. */
  record Certificate() implements Selector {
    @Override
    public boolean matches(Subject subject) {
      return subject.certificate();
    }

    @Override
    public String describe() {
      return "a client certificate";
    }
  }

  /** {@code common_name: [...]}: the client certificate's common name is one of these. */
  record CommonName(Set<String> names) implements Selector {
    public CommonName {
      names = Set.copyOf(names);
    }

    @Override
    public boolean matches(Subject subject) {
      return subject.certificate() && subject.commonName() != null
          && names.contains(subject.commonName());
    }

    @Override
    public String describe() {
      return "certificate common name in " + list(names);
    }
  }
}
