package dev.portcullis.session;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals private key material for the store with AES-256-GCM under the master key, and derives
 * the HMAC keys that hash PINs and one-use codes. Uses the JDK's providers only.
 */
public final class KeySealer {
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec sealingKey;
  private final byte[] masterKey;

  public KeySealer(byte[] masterKey) {
    this.masterKey = masterKey.clone();
    this.sealingKey = new SecretKeySpec(derive("seal"), "AES");
  }

  public String seal(String plaintext) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, sealingKey, new GCMParameterSpec(TAG_BITS, nonce));
      byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      return "v1." + b64(nonce) + "." + b64(sealed);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /**
   * @throws GeneralSecurityException when the text was sealed under another master key or
   *     was altered
   */
  public String unseal(String sealed) throws GeneralSecurityException {
    String[] parts = sealed.split("\\.");
    if (parts.length != 3 || !parts[0].equals("v1")) {
      throw new GeneralSecurityException("unknown sealed format");
    }
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(Cipher.DECRYPT_MODE, sealingKey,
        new GCMParameterSpec(TAG_BITS, Base64.getUrlDecoder().decode(parts[1])));
    return new String(cipher.doFinal(Base64.getUrlDecoder().decode(parts[2])),
        StandardCharsets.UTF_8);
  }

  /** An HMAC-SHA256 key for one purpose, derived from the master key. */
  public byte[] derive(String purpose) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(masterKey, "HmacSHA256"));
      return mac.doFinal(("portcullis/" + purpose).getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  private static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
