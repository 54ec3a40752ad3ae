package dev.portcullis.session;

import dev.portcullis.store.Store;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The revoked session ids, held in memory so that the request path can check them without
 * touching the store.
 *
 * <p>Design: a logout on this instance adds to the map at once, before the store write, so the
 * next request is already refused. {@link #refresh()} adds what the store knows (revocations
 * made by another process) and is called on a timer. Entries leave only when the session they
 * name has expired anyway, so neither a failed nor a racing refresh can un-revoke a session.
 */
public final class Revocations {
  private final Store store;
  private final Clock clock;
  private final Map<String, Instant> revoked = new ConcurrentHashMap<>();

  public Revocations(Store store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  public boolean isRevoked(String sid) {
    return revoked.containsKey(sid);
  }

  /** Revokes in memory at once and then in the store. Blocks on the store. */
  public void revoke(String sid, Instant sessionExpiresAt) {
    revoked.put(sid, sessionExpiresAt);
    store.revokeSession(sid, clock.instant());
  }

  /** Adds the store's revocations and forgets expired ones. Blocks; throws as the store does. */
  public void refresh() {
    revoked.putAll(store.revokedSessions(clock.instant()));
    Instant now = clock.instant();
    revoked.values().removeIf(expiry -> !expiry.isAfter(now));
  }
}
