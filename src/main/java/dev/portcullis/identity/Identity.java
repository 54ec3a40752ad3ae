package dev.portcullis.identity;

import dev.portcullis.session.IdentityFacts;

/**
 * What a login proved.
 *
 * @param idp the configured id of the provider
 * @param email the verified email, lower case
 * @param facts what else the provider said (GitHub organizations and teams, groups, claims)
 * @param accessToken GitHub only: the access token, kept (sealed) to re-check membership;
 *     null otherwise. Never shown by {@code toString()}.
 */
public record Identity(String idp, String email, IdentityFacts facts, String accessToken) {

  public Identity(String idp, String email, IdentityFacts facts) {
    this(idp, email, facts, null);
  }

  public Identity withAccessToken(String token) {
    return new Identity(idp, email, facts, token);
  }

  @Override
  public String toString() {
    return "Identity[idp=" + idp + ", email=" + email + ", accessToken="
        + (accessToken == null ? "none" : "present") + "]";
  }
}
