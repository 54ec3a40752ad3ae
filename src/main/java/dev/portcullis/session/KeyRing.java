package dev.portcullis.session;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.portcullis.store.Store;
import java.security.GeneralSecurityException;
import java.text.ParseException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The ES256 keys that sign sessions, app tokens and upstream assertions.
 *
 * <p>Design: the first start generates a P-256 key and keeps it, sealed under the master key,
 * in the store; every later start (and every instance sharing the store) loads the same keys.
 * The newest key signs; all keys verify and are published in the JWKS, so a key added later
 * does not invalidate tokens signed before. A stored key that cannot be unsealed (wrong master
 * key, altered row) stops the start with an error: minting a fresh key instead would silently
 * log everyone out and hide the fault. Keys are logged by kid only.
 */
public final class KeyRing {
  private final ECKey signingKey;
  private final Map<String, ECKey> verifyingKeys;
  private final JWKSet publicKeys;

  private KeyRing(List<ECKey> keys) {
    this.signingKey = keys.get(keys.size() - 1);
    this.verifyingKeys = keys.stream().collect(Collectors.toUnmodifiableMap(
        ECKey::getKeyID, Function.identity()));
    this.publicKeys = new JWKSet(keys.stream().map(k -> (com.nimbusds.jose.jwk.JWK)
        k.toPublicJWK()).toList());
  }

  /**
   * Loads the keys from the store, generating the first one when there is none. Blocks.
   *
   * @throws GeneralSecurityException when a stored key cannot be unsealed or parsed
   */
  public static KeyRing loadOrCreate(Store store, KeySealer sealer, Clock clock)
      throws GeneralSecurityException {
    List<Store.StoredKey> stored = store.signingKeys();
    if (stored.isEmpty()) {
      ECKey key = generate();
      store.addSigningKey(new Store.StoredKey(key.getKeyID(), "ES256",
          sealer.seal(key.toJSONString()), clock.instant()));
      stored = store.signingKeys();
    }
    List<ECKey> keys = new java.util.ArrayList<>();
    for (Store.StoredKey s : stored) {
      try {
        keys.add(ECKey.parse(sealer.unseal(s.sealedJwk())));
      } catch (ParseException e) {
        throw new GeneralSecurityException("signing key " + s.kid() + " is not a valid JWK", e);
      } catch (GeneralSecurityException e) {
        throw new GeneralSecurityException("signing key " + s.kid() + " cannot be unsealed "
            + "with this master key", e);
      }
    }
    return new KeyRing(keys);
  }

  private static ECKey generate() {
    try {
      ECKey key = new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE)
          .algorithm(JWSAlgorithm.ES256).generate();
      return new ECKey.Builder(key).keyIDFromThumbprint().build();
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate a P-256 key", e);
    }
  }

  ECKey signingKey() {
    return signingKey;
  }

  Optional<ECKey> verifyingKey(String kid) {
    return Optional.ofNullable(kid == null ? null : verifyingKeys.get(kid));
  }

  /** The public keys as a JWKS document. */
  public String jwksJson() {
    return publicKeys.toString(true);
  }

  public String signingKid() {
    return signingKey.getKeyID();
  }
}
