package dev.portcullis.gateway;

import dev.portcullis.session.Hmac;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * CSRF protection for the auth domain's forms: a random secret in an HttpOnly cookie, and in
 * each form its HMAC under a server key. A forged form from another site can carry neither; a
 * cookie planted by a sibling host is useless without the matching HMAC, which only this server
 * computes.
 */
public final class Csrf {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Hmac hmac;

  public Csrf(Hmac hmac) {
    this.hmac = hmac;
  }

  /** A fresh cookie secret: 256 random bits. */
  public static String newSecret() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The form token for a cookie secret. */
  public String tokenFor(String secret) {
    return hmac.hash("csrf", secret);
  }

  /** Whether a submitted form token belongs to the cookie secret; false when either is missing. */
  public boolean valid(String secret, String token) {
    return secret != null && !secret.isEmpty() && token != null
        && Hmac.equal(tokenFor(secret), token);
  }
}
