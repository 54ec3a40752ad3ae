package dev.portcullis.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;

/**
 * One sign-in through a redirecting provider, from the redirect to the callback. It travels in
 * a signed, HttpOnly cookie on the auth domain, which binds it to the browser that started it:
 * a callback whose {@code state} is not this cookie's is refused.
 *
 * @param idp the provider's id
 * @param state the OAuth {@code state}, random
 * @param nonce the OpenID Connect {@code nonce}, random
 * @param verifier the PKCE code verifier (RFC 7636), random
 * @param redirectUrl where to go afterwards; "" for the launcher
 * @param expiresAt when the flow stops being accepted
 */
public record OAuthFlow(
    String idp, String state, String nonce, String verifier, String redirectUrl,
    Instant expiresAt) {
  private static final SecureRandom RANDOM = new SecureRandom();

  public static OAuthFlow start(String idp, String redirectUrl, Instant expiresAt) {
    return new OAuthFlow(idp, random(), random(), random(), redirectUrl, expiresAt);
  }

  /** The PKCE S256 challenge of the verifier. */
  public String challenge() {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(verifier.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  /** 256 random bits, base64url: 43 characters, inside RFC 7636's 43 to 128. */
  private static String random() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  @Override
  public String toString() {
    return "OAuthFlow[idp=" + idp + ", expiresAt=" + expiresAt + "]";
  }
}
