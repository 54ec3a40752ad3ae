package dev.portcullis.session;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Keyed hashes of short secrets (PINs, one-use codes) and their constant-time comparison. */
public final class Hmac {
  private final SecretKeySpec key;

  public Hmac(byte[] key) {
    this.key = new SecretKeySpec(key, "HmacSHA256");
  }

  /** Hex HMAC-SHA256 of the parts joined by a NUL, which no part may contain. */
  public String hash(String... parts) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return HexFormat.of().formatHex(
          mac.doFinal(String.join("\0", parts).getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  public static boolean equal(String a, String b) {
    if (a == null || b == null) {
      return false;
    }
    return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8),
        b.getBytes(StandardCharsets.UTF_8));
  }
}
