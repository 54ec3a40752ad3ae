package dev.portcullis.machine;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * How a service token's secret is kept: {@code sha256:} and the hex SHA-256 of its UTF-8 bytes.
 *
 * <p>Why a plain, fast hash. A secret is 32 bytes from {@link java.security.SecureRandom}, so a
 * stolen hash cannot be reversed by guessing: 2^256 candidates, no dictionary. A slow password
 * hash (bcrypt, Argon2) would add nothing but milliseconds of CPU per machine request, which an
 * attacker could also spend on our behalf. A keyed hash (HMAC under a key derived from
 * {@code master.key}) would add nothing either, while making every token depend on that file
 * and on the CLI being able to read it. The {@code sha256:} prefix leaves room for another
 * scheme later without guessing what a stored value is.
 */
final class SecretHash {
  static final String PREFIX = "sha256:";
  private static final int DIGEST_BYTES = 32;

  private SecretHash() {}

  /** The stored form of a secret. */
  static String of(String secret) {
    return PREFIX + HexFormat.of().formatHex(digest(secret));
  }

  /** The raw digest of a presented secret, for a constant-time comparison with {@link #parse}. */
  static byte[] digest(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  /** The raw digest held in a stored form, or null when the text is not one. */
  static byte[] parse(String stored) {
    if (stored == null || !stored.startsWith(PREFIX)
        || stored.length() != PREFIX.length() + 2 * DIGEST_BYTES) {
      return null;
    }
    try {
      return HexFormat.of().parseHex(stored, PREFIX.length(), stored.length());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
