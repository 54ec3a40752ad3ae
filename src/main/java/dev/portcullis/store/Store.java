package dev.portcullis.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Everything Portcullis keeps between restarts. Every method blocks on I/O: call it from a
 * worker thread, never from an event loop. Failures surface as {@link StoreException}.
 */
public interface Store extends AutoCloseable {

  // ---- signing keys

  List<StoredKey> signingKeys();

  void addSigningKey(StoredKey key);

  /** A signing key as kept: the private JWK is sealed, never stored in the clear. */
  record StoredKey(String kid, String algorithm, String sealedJwk, Instant createdAt) {
    @Override
    public String toString() {
      return "StoredKey[kid=" + kid + ", algorithm=" + algorithm + "]";
    }
  }

  // ---- users and sessions

  /** Returns the stable id of the user with this email, creating the user on first login. */
  String userIdFor(String email, Instant now);

  void createSession(SessionRecord session);

  Optional<SessionRecord> session(String sid);

  /** Marks a session revoked; returns false when there was no such session. */
  boolean revokeSession(String sid, Instant now);

  /** Sessions revoked and not yet expired at {@code now}: id to expiry. */
  java.util.Map<String, Instant> revokedSessions(Instant now);

  record SessionRecord(
      String sid, String userId, String email, String idp, Instant createdAt, Instant expiresAt,
      Instant revokedAt) {}

  // ---- one-time PINs

  /** Stores the code for this email, replacing any earlier one. */
  void putPin(String email, String codeHash, String application, Instant expiresAt);

  Optional<PinRecord> pin(String email);

  /** Counts one wrong attempt; returns the attempts made so far, or -1 when there is no code. */
  int recordPinFailure(String email);

  /** Deletes the code; returns true only for the one caller that deleted it. */
  boolean deletePin(String email, String codeHash);

  record PinRecord(String email, String codeHash, String application, int attempts,
      Instant expiresAt) {
    @Override
    public String toString() {
      return "PinRecord[email=" + email + ", application=" + application + ", attempts="
          + attempts + "]";
    }
  }

  // ---- handoff codes

  void putHandoff(HandoffRecord handoff);

  /** Removes and returns the handoff; a second call with the same hash returns empty. */
  Optional<HandoffRecord> takeHandoff(String codeHash);

  record HandoffRecord(
      String codeHash, String sid, String application, String targetPath, Instant expiresAt) {
    @Override
    public String toString() {
      return "HandoffRecord[sid=" + sid + ", application=" + application + "]";
    }
  }

  /** Deletes expired codes and PINs; returns how many rows went. */
  int purgeExpired(Instant now);

  @Override
  void close();
}
