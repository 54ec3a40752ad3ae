package dev.portcullis.policy;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The facts a decision may look at: who (from a verified token or service token) and where
 * from. Absent facts are null or empty; a selector never treats absence as a match.
 *
 * @param email the verified, lower-cased email of a person, or null
 * @param idp the id of the identity provider that proved it, or null
 * @param githubOrgs lower-cased GitHub organization logins
 * @param githubTeams lower-cased {@code org/team} slugs
 * @param claims identity provider claims; array claims are lists of their values
 * @param groups groups reported by the identity provider (the {@code oidc_group} selector)
 * @param serviceToken the name of the verified service token, or null
 * @param clientAddress the client's address as established through {@code trusted_proxies}
 * @param certificate whether a verified client TLS certificate was presented
 * @param commonName that certificate's subject common name, or null
 */
public record Subject(
    String email, String idp, Set<String> githubOrgs, Set<String> githubTeams,
    Map<String, List<String>> claims, Set<String> groups, String serviceToken,
    InetAddress clientAddress, boolean certificate, String commonName) {

  public Subject {
    githubOrgs = Set.copyOf(githubOrgs);
    githubTeams = Set.copyOf(githubTeams);
    claims = Map.copyOf(claims);
    groups = Set.copyOf(groups);
  }

  /** A request that carries no identity at all. */
  public static Subject anonymous(InetAddress clientAddress) {
    return builder().clientAddress(clientAddress).build();
  }

  /** A person proved by an identity provider, with nothing more known. */
  public static Subject person(String email, String idp, InetAddress clientAddress) {
    return builder().email(email).idp(idp).clientAddress(clientAddress).build();
  }

  /** A person is signed in. */
  public boolean signedIn() {
    return email != null;
  }

  /** A machine proved itself with a service token. */
  public boolean machine() {
    return serviceToken != null;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds subjects for the gateway, the policy tester and tests. */
  public static final class Builder {
    private String email;
    private String idp;
    private Set<String> githubOrgs = Set.of();
    private Set<String> githubTeams = Set.of();
    private Map<String, List<String>> claims = Map.of();
    private Set<String> groups = Set.of();
    private String serviceToken;
    private InetAddress clientAddress;
    private boolean certificate;
    private String commonName;

    public Builder email(String email) {
      this.email = email == null ? null : email.toLowerCase(java.util.Locale.ROOT);
      return this;
    }

    public Builder idp(String idp) {
      this.idp = idp;
      return this;
    }

    public Builder githubOrgs(Set<String> orgs) {
      this.githubOrgs = lower(orgs);
      return this;
    }

    public Builder githubTeams(Set<String> teams) {
      this.githubTeams = lower(teams);
      return this;
    }

    public Builder claims(Map<String, List<String>> claims) {
      this.claims = claims;
      return this;
    }

    public Builder groups(Set<String> groups) {
      this.groups = groups;
      return this;
    }

    public Builder serviceToken(String name) {
      this.serviceToken = name;
      return this;
    }

    public Builder clientAddress(InetAddress address) {
      this.clientAddress = address;
      return this;
    }

    public Builder certificate(String commonName) {
      this.certificate = true;
      this.commonName = commonName;
      return this;
    }

    public Subject build() {
      return new Subject(email, idp, githubOrgs, githubTeams, claims, groups, serviceToken,
          clientAddress, certificate, commonName);
    }

    private static Set<String> lower(Set<String> values) {
      return values.stream().map(v -> v.toLowerCase(java.util.Locale.ROOT))
          .collect(java.util.stream.Collectors.toUnmodifiableSet());
    }
  }
}
