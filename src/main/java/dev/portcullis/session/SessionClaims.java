package dev.portcullis.session;

import java.time.Instant;

/**
 * What a verified session or app token says. Holds no secret: the token itself is never kept
 * here, so this record is safe to log.
 *
 * @param sid the session id that revocation targets
 * @param userId the stable user id, the {@code sub} of every token
 * @param facts what the identity provider said beyond the email
 */
public record SessionClaims(
    String sid, String userId, String email, String idp, Instant issuedAt, Instant expiresAt,
    IdentityFacts facts) {

  /** A session whose provider said nothing beyond the email. */
  public SessionClaims(String sid, String userId, String email, String idp, Instant issuedAt,
      Instant expiresAt) {
    this(sid, userId, email, idp, issuedAt, expiresAt, IdentityFacts.NONE);
  }
}
