package dev.portcullis.machine;

import dev.portcullis.audit.Audit;
import dev.portcullis.store.Store;
import dev.portcullis.store.Store.ServiceTokenRecord;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a service token's client id and secret on the request path, without touching the
 * store, and counts each token's use.
 *
 * <p>Design note. The verifier holds a snapshot of every token (client id to name, secret
 * hashes, expiry, revocation, grace deadline), an immutable map replaced whole by
 * {@link #refresh()}, which the server calls on a worker thread every two seconds; a token
 * created, rotated or revoked from the CLI is therefore seen within seconds. Before the first
 * refresh the snapshot is empty and every token is refused as unknown. A refresh that fails
 * leaves the last snapshot in force (revocations made since then wait for the next good one),
 * and a stored hash that cannot be read drops that token, so it is refused as unknown.
 *
 * <p>{@link #verify} is safe from any thread and costs one SHA-256 and one map lookup. The
 * presented secret is hashed before the lookup and compared with both the current and the
 * previous hash whatever the first comparison gave, with {@link MessageDigest#isEqual}, so the
 * time taken does not depend on how much of a secret is right. Whether a token is expired or
 * revoked is told only to a caller who proved the secret; everyone else learns "wrong secret".
 *
 * <p>Use is counted in memory per token and minute. {@link #drainUsage()} hands over finished
 * minutes and {@link #flushUsage} also writes the audit lines and the last-use times, so a busy
 * SDK costs one audit line and one store write per minute, not one per request.
 */
public final class ServiceTokenVerifier {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceTokenVerifier.class);

  private final Store store;
  private final Clock clock;
  private volatile Map<String, Entry> snapshot = Map.of();
  private final Map<UsageKey, Count> usage = new ConcurrentHashMap<>();
  /** Last-use times a failed store write left behind, retried by the next flush. */
  private final Map<String, Instant> unwrittenLastUse = new ConcurrentHashMap<>();

  public ServiceTokenVerifier(Store store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /** The outcome of {@link #verify}: a token's name, or a reason to refuse. */
  public sealed interface Verification permits Verified, Refused {}

  /**
   * The pair is right and the token live.
   *
   * @param name the token's name, what {@code service_token} selectors and the upstream see
   * @param previousSecret the secret is the one a rotation replaced, still in its grace period
   */
  public record Verified(String name, String clientId, boolean previousSecret)
      implements Verification {}

  /**
   * The pair is refused.
   *
   * @param name the token the client id belongs to, for logs; null when unknown
   */
  public record Refused(Refusal reason, String name) implements Verification {}

  /** Why a pair was refused; the codes are stable and appear in logs and JSON. */
  public enum Refusal {
    /** No token has this client id (or the header was missing or empty). */
    UNKNOWN("service-token-unknown"),
    /** The secret is neither the token's current nor its previous one. */
    WRONG_SECRET("service-token-wrong-secret"),
    /** The secret is right but the token's lifetime is over. */
    EXPIRED("service-token-expired"),
    /** The secret is right but the token was revoked. */
    REVOKED("service-token-revoked"),
    /** The secret is the one a rotation replaced, and its grace period is over. */
    ROTATED_OUT("service-token-rotated-out");

    private final String code;

    Refusal(String code) {
      this.code = code;
    }

    /** The kebab-case name used in JSON bodies and log fields. */
    public String code() {
      return code;
    }
  }

  /**
   * One token's use in one minute.
   *
   * @param minute the start of the minute (UTC)
   * @param requests how many requests the token was verified for
   * @param previousSecretRequests how many of them used the secret a rotation replaced: a
   *     client that has not moved to the new secret yet
   * @param lastUsedAt the latest of them
   */
  public record TokenUsage(String name, String clientId, Instant minute, long requests,
      long previousSecretRequests, Instant lastUsedAt) {}

  /**
   * Replaces the snapshot with the store's tokens. Blocks on the store; call it from a worker
   * thread. Throws what the store throws, and then the previous snapshot stays in force.
   */
  public void refresh() {
    Map<String, Entry> next = new HashMap<>();
    for (ServiceTokenRecord t : store.serviceTokens()) {
      byte[] current = SecretHash.parse(t.secretHash());
      byte[] previous = t.previousSecretHash() == null ? null
          : SecretHash.parse(t.previousSecretHash());
      if (current == null || (t.previousSecretHash() != null && previous == null)) {
        LOG.atWarn().setMessage("a stored service token hash is unreadable; the token is "
            + "refused until it is rotated").addKeyValue("token", t.name())
            .addKeyValue("client_id", t.clientId()).log();
        continue;
      }
      next.put(t.clientId(), new Entry(t.name(), current, previous, t.previousValidUntil(),
          t.expiresAt(), t.revokedAt() != null));
    }
    snapshot = Map.copyOf(next);
  }

  /** How many tokens (revoked and expired included) the current snapshot holds. */
  public int size() {
    return snapshot.size();
  }

  /**
   * Checks a pair against the snapshot at the clock's current time and counts a verified use.
   * Never blocks.
   *
   * @param clientId the client id header; null or unknown gives {@link Refusal#UNKNOWN}
   * @param secret the secret header; null never matches
   */
  public Verification verify(String clientId, String secret) {
    byte[] presented = SecretHash.digest(secret == null ? "" : secret);
    Entry entry = clientId == null ? null : snapshot.get(clientId);
    if (entry == null) {
      return new Refused(Refusal.UNKNOWN, null);
    }

    // Both comparisons always run, so timing tells nothing about which one matched.
    boolean current = MessageDigest.isEqual(presented, entry.current());
    boolean previous = entry.previous() != null
        && MessageDigest.isEqual(presented, entry.previous());
    if (secret == null || !(current | previous)) {
      return new Refused(Refusal.WRONG_SECRET, entry.name());
    }

    Instant now = clock.instant();
    if (entry.revoked()) {
      return new Refused(Refusal.REVOKED, entry.name());
    }
    if (!now.isBefore(entry.expiresAt())) {
      return new Refused(Refusal.EXPIRED, entry.name());
    }
    if (!current && (entry.previousValidUntil() == null
        || !now.isBefore(entry.previousValidUntil()))) {
      return new Refused(Refusal.ROTATED_OUT, entry.name());
    }
    count(entry.name(), clientId, now, !current);
    return new Verified(entry.name(), clientId, !current);
  }

  /**
   * Removes and returns the use counted in minutes that have ended by the clock, oldest first;
   * the running minute keeps counting. Call it as often as convenient: each token and minute
   * is handed over once (rarely twice, when a request racing the end of its minute lands after
   * the drain; the two parts then add up to the true count).
   */
  public List<TokenUsage> drainUsage() {
    return drain(clock.instant().truncatedTo(ChronoUnit.MINUTES));
  }

  /** Removes and returns all counted use, the running minute too; for shutdown. */
  public List<TokenUsage> drainAllUsage() {
    return drain(Instant.MAX);
  }

  /**
   * Drains use ({@link #drainUsage()}, or everything when {@code includeRunningMinute}), writes
   * one {@code service_token_used} audit line per token and minute, then records the last-use
   * times in the store. Blocks on the store; call it from a worker thread.
   *
   * @return what was drained and audited
   * @throws dev.portcullis.store.StoreException when the store write fails; the audit lines
   *     are written already and the times are kept for the next flush
   */
  public List<TokenUsage> flushUsage(boolean includeRunningMinute) {
    List<TokenUsage> drained = includeRunningMinute ? drainAllUsage() : drainUsage();
    for (TokenUsage u : drained) {
      Audit.event("service_token_used").addKeyValue("token", u.name())
          .addKeyValue("client_id", u.clientId()).addKeyValue("minute", u.minute())
          .addKeyValue("requests", u.requests())
          .addKeyValue("previous_secret_requests", u.previousSecretRequests())
          .addKeyValue("last_used_at", u.lastUsedAt()).log();
      unwrittenLastUse.merge(u.clientId(), u.lastUsedAt(), ServiceTokenVerifier::later);
    }
    if (unwrittenLastUse.isEmpty()) {
      return drained;
    }

    Map<String, Instant> batch = Map.copyOf(unwrittenLastUse);
    // Only what this batch wrote leaves; a newer time merged meanwhile stays for next time.
    store.recordServiceTokenUse(batch);
    batch.forEach((clientId, time) -> unwrittenLastUse.remove(clientId, time));
    return drained;
  }

  private void count(String name, String clientId, Instant now, boolean previousSecret) {
    UsageKey key = new UsageKey(clientId, now.truncatedTo(ChronoUnit.MINUTES));
    usage.merge(key, new Count(name, 1, previousSecret ? 1 : 0, now), Count::plus);
  }

  private List<TokenUsage> drain(Instant before) {
    List<TokenUsage> out = new ArrayList<>();
    for (UsageKey key : List.copyOf(usage.keySet())) {
      if (key.minute().isBefore(before)) {
        Count c = usage.remove(key);
        if (c != null) {
          out.add(new TokenUsage(c.name(), key.clientId(), key.minute(), c.requests(),
              c.previousSecretRequests(), c.lastUsedAt()));
        }
      }
    }
    out.sort(Comparator.comparing(TokenUsage::minute).thenComparing(TokenUsage::name)
        .thenComparing(TokenUsage::clientId));
    return out;
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  /** One token in the snapshot; hashes are raw SHA-256 digests. */
  private record Entry(String name, byte[] current, byte[] previous, Instant previousValidUntil,
      Instant expiresAt, boolean revoked) {}

  private record UsageKey(String clientId, Instant minute) {}

  private record Count(String name, long requests, long previousSecretRequests,
      Instant lastUsedAt) {
    Count plus(Count other) {
      return new Count(name, requests + other.requests,
          previousSecretRequests + other.previousSecretRequests,
          later(lastUsedAt, other.lastUsedAt));
    }
  }
}
