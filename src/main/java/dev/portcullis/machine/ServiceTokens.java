package dev.portcullis.machine;

import dev.portcullis.audit.Audit;
import dev.portcullis.machine.ServiceTokenException.Kind;
import dev.portcullis.store.Store;
import dev.portcullis.store.Store.ServiceTokenRecord;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Managing service tokens: create, list, revoke, rotate. Used by the {@code token} commands;
 * every method blocks on the store (call it from a worker thread, never an event loop) and
 * throws {@link dev.portcullis.store.StoreException} when the store fails. The request path
 * uses {@link ServiceTokenVerifier} instead, which never touches the store.
 *
 * <p>A token is a client id and a secret:
 *
 * <ul>
 *   <li>the client id is {@code NAME.RANDOM}, 16 base64url characters from 12 random bytes
 *       after the name, so a log line or a header dump shows which token it is, and a token
 *       created again under the same name gets a new id. It is not a secret;
 *   <li>the secret is 32 random bytes, base64url without padding (43 characters). It is shown
 *       once, in the result of {@link #create} or {@link #rotate}, and kept only as a hash
 *       ({@link SecretHash} says why SHA-256 is enough).
 * </ul>
 *
 * <p>Names are those a {@code service_token} selector accepts: lower-case letters, digits,
 * {@code -} and {@code _}, starting with a letter or digit, at most 63 characters. A name is
 * unique among unrevoked tokens; revoking a token frees its name. Creation, rotation and
 * revocation each write one line to the audit stream.
 */
public final class ServiceTokens {
  /** {@code token create} without {@code --duration}: a year, then a deliberate renewal. */
  public static final Duration DEFAULT_DURATION = Duration.ofDays(365);
  /** How long a replaced secret keeps working: a day to roll the new one out everywhere. */
  public static final Duration DEFAULT_GRACE = Duration.ofHours(24);
  /** The longest lifetime or grace accepted; also keeps instants far from overflow. */
  public static final Duration MAX_DURATION = Duration.ofDays(36_500);

  /** 256 bits: beyond guessing, and what makes a fast hash safe to store. */
  static final int SECRET_BYTES = 32;
  /** 96 bits: ids of tokens with one name never collide in practice. */
  static final int CLIENT_ID_RANDOM_BYTES = 12;
  /** The same rule as the configuration's {@code service_token} selector. */
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

  private final Store store;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  public ServiceTokens(Store store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /** Whether a text is an acceptable token name. */
  public static boolean isValidName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /**
   * Creates a token that expires {@code duration} from now.
   *
   * @return the client id and the secret; the secret cannot be read again later
   * @throws ServiceTokenException {@code INVALID_NAME}; {@code INVALID_DURATION} unless the
   *     duration is positive and at most {@link #MAX_DURATION}; {@code NAME_TAKEN} when an
   *     unrevoked token, even an expired one, has the name (revoke it first)
   */
  public Issued create(String name, Duration duration) {
    requireName(name);
    if (duration == null || duration.isNegative() || duration.isZero()
        || duration.compareTo(MAX_DURATION) > 0) {
      throw new ServiceTokenException(Kind.INVALID_DURATION,
          "a token's duration must be positive and at most " + MAX_DURATION.toDays() + " days");
    }

    Instant now = clock.instant();
    String clientId = name + "." + randomText(CLIENT_ID_RANDOM_BYTES);
    String secret = randomText(SECRET_BYTES);
    Instant expiresAt = now.plus(duration);
    boolean added = store.addServiceToken(new ServiceTokenRecord(name, clientId,
        SecretHash.of(secret), null, null, now, expiresAt, null, null, null));
    if (!added) {
      throw new ServiceTokenException(Kind.NAME_TAKEN, "a service token named '" + name
          + "' already exists; revoke it first to reuse the name");
    }

    Audit.event("service_token_created").addKeyValue("token", name)
        .addKeyValue("client_id", clientId).addKeyValue("expires_at", expiresAt).log();
    return new Issued(name, clientId, secret, expiresAt, null);
  }

  /** Every token, oldest first, revoked and expired ones included; never a secret or hash. */
  public List<TokenInfo> list() {
    Instant now = clock.instant();
    return store.serviceTokens().stream().map(t -> TokenInfo.of(t, now)).toList();
  }

  /**
   * Revokes the unrevoked token with this name, expired or not. A running server refuses it
   * from its next {@link ServiceTokenVerifier#refresh()}, within seconds.
   *
   * @throws ServiceTokenException {@code INVALID_NAME}; {@code NOT_FOUND} when no unrevoked
   *     token has the name (also when it was revoked already)
   */
  public void revoke(String name) {
    requireName(name);
    if (!store.revokeServiceToken(name, clock.instant())) {
      throw new ServiceTokenException(Kind.NOT_FOUND,
          "there is no unrevoked service token named '" + name + "'");
    }
    Audit.event("service_token_revoked").addKeyValue("token", name).log();
  }

  /**
   * Gives the token a new secret; its client id and expiry stay. The secret it had keeps
   * working until {@code grace} from now (zero ends it at once). Only one previous secret is
   * honoured: rotating again during a grace period ends that period's secret immediately.
   *
   * @return the client id and the new secret, with {@code previousValidUntil} set
   * @throws ServiceTokenException {@code INVALID_NAME}; {@code INVALID_DURATION} when the
   *     grace is negative or beyond {@link #MAX_DURATION}; {@code NOT_FOUND}; {@code EXPIRED}
   */
  public Issued rotate(String name, Duration grace) {
    requireName(name);
    if (grace == null || grace.isNegative() || grace.compareTo(MAX_DURATION) > 0) {
      throw new ServiceTokenException(Kind.INVALID_DURATION,
          "a grace period must be zero or positive and at most " + MAX_DURATION.toDays()
              + " days");
    }

    Instant now = clock.instant();
    ServiceTokenRecord token = live(name).orElseThrow(() -> new ServiceTokenException(
        Kind.NOT_FOUND, "there is no unrevoked service token named '" + name + "'"));
    if (!now.isBefore(token.expiresAt())) {
      throw new ServiceTokenException(Kind.EXPIRED, "the service token '" + name
          + "' expired at " + token.expiresAt() + "; revoke it and create a new one");
    }
    String secret = randomText(SECRET_BYTES);
    Instant previousValidUntil = now.plus(grace);
    // Revoked between the read and this write: the store changes nothing and says so.
    if (!store.rotateServiceToken(name, SecretHash.of(secret), previousValidUntil, now)) {
      throw new ServiceTokenException(Kind.NOT_FOUND,
          "there is no unrevoked service token named '" + name + "'");
    }

    Audit.event("service_token_rotated").addKeyValue("token", name)
        .addKeyValue("client_id", token.clientId())
        .addKeyValue("previous_valid_until", previousValidUntil).log();
    return new Issued(name, token.clientId(), secret, token.expiresAt(), previousValidUntil);
  }

  private Optional<ServiceTokenRecord> live(String name) {
    return store.serviceTokens().stream()
        .filter(t -> t.name().equals(name) && t.revokedAt() == null).findFirst();
  }

  private static void requireName(String name) {
    if (!isValidName(name)) {
      throw new ServiceTokenException(Kind.INVALID_NAME, "a service token name is 1 to 63 "
          + "lower-case letters, digits, '-' or '_', starting with a letter or digit");
    }
  }

  private String randomText(int bytes) {
    byte[] raw = new byte[bytes];
    random.nextBytes(raw);
    return BASE64URL.encodeToString(raw);
  }

  /**
   * The one moment a secret is visible: print it, then drop this object. {@code toString()}
   * shows that a secret is present, never the secret.
   *
   * @param previousValidUntil after a rotation, until when the replaced secret works; null
   *     after a creation
   */
  public record Issued(String name, String clientId, String secret, Instant expiresAt,
      Instant previousValidUntil) {
    @Override
    public String toString() {
      return "Issued[name=" + name + ", clientId=" + clientId + ", secret=(hidden), expiresAt="
          + expiresAt + "]";
    }
  }

  /** A token's state as {@code token list} shows it. */
  public enum State {
    ACTIVE("active"),
    EXPIRED("expired"),
    REVOKED("revoked");

    private final String code;

    State(String code) {
      this.code = code;
    }

    /** The lower-case word for listings and JSON. */
    public String code() {
      return code;
    }
  }

  /**
   * What may be shown about a token: never its secret or hash.
   *
   * @param lastUsedAt null when never used (as far as the store knows: servers write uses
   *     about once a minute)
   * @param previousValidUntil when a rotation's grace period is still running, its end;
   *     otherwise null
   * @param state revoked wins over expired
   */
  public record TokenInfo(String name, String clientId, Instant createdAt, Instant expiresAt,
      Instant lastUsedAt, Instant rotatedAt, Instant previousValidUntil, State state) {

    static TokenInfo of(ServiceTokenRecord t, Instant now) {
      State state = t.revokedAt() != null ? State.REVOKED
          : now.isBefore(t.expiresAt()) ? State.ACTIVE : State.EXPIRED;
      Instant grace = state == State.ACTIVE && t.previousValidUntil() != null
          && now.isBefore(t.previousValidUntil()) ? t.previousValidUntil() : null;
      return new TokenInfo(t.name(), t.clientId(), t.createdAt(), t.expiresAt(),
          t.lastUsedAt(), t.rotatedAt(), grace, state);
    }
  }
}
