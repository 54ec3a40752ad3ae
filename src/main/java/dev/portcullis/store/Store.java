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

  /**
   * @param details what the identity provider said beyond the email, as JSON; "{}" for none
   */
  record SessionRecord(
      String sid, String userId, String email, String idp, Instant createdAt, Instant expiresAt,
      Instant revokedAt, String details) {}

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

  // ---- service tokens

  /**
   * Adds a service token. Returns false, changing nothing, when an unrevoked token (expired or
   * not) already has its name; revoked tokens never block a name.
   */
  boolean addServiceToken(ServiceTokenRecord token);

  /** Every service token, revoked and expired ones too, oldest first. */
  List<ServiceTokenRecord> serviceTokens();

  /** Marks the unrevoked token with this name revoked; returns false when there is none. */
  boolean revokeServiceToken(String name, Instant now);

  /**
   * Gives the unrevoked token with this name a new secret hash. Its current hash becomes the
   * previous one, honoured until {@code previousValidUntil}; a hash kept from an earlier
   * rotation is dropped. Returns false when there is no unrevoked token with this name.
   */
  boolean rotateServiceToken(String name, String secretHash, Instant previousValidUntil,
      Instant now);

  /**
   * Records when each token (by client id) was last used. A time only ever moves forward, so
   * late or repeated writes from several instances cannot turn it back. Unknown ids are
   * ignored.
   */
  void recordServiceTokenUse(java.util.Map<String, Instant> lastUsedByClientId);

  /**
   * A service token as kept. Hashes never appear in {@code toString()}.
   *
   * @param previousSecretHash the hash a rotation replaced, or null
   * @param previousValidUntil until when the previous secret is honoured, or null
   * @param rotatedAt the last rotation, or null
   * @param revokedAt null while the token is not revoked
   * @param lastUsedAt null until the first recorded use
   */
  record ServiceTokenRecord(
      String name, String clientId, String secretHash, String previousSecretHash,
      Instant previousValidUntil, Instant createdAt, Instant expiresAt, Instant rotatedAt,
      Instant revokedAt, Instant lastUsedAt) {
    @Override
    public String toString() {
      return "ServiceTokenRecord[name=" + name + ", clientId=" + clientId + ", expiresAt="
          + expiresAt + ", revoked=" + (revokedAt != null) + "]";
    }
  }

  /** Deletes expired codes and PINs; returns how many rows went. */
  int purgeExpired(Instant now);

  // ---- GitHub membership re-checks

  /** Keeps what a GitHub session's membership is re-checked with. */
  void putGithubGrant(GithubGrant grant);

  /** Grants due for a re-check at {@code now}, oldest first, at most {@code limit}. */
  List<GithubGrant> dueGithubGrants(Instant now, int limit);

  void rescheduleGithubGrant(String sid, Instant nextCheck);

  void deleteGithubGrant(String sid);

  /**
   * @param sealedToken the GitHub access token, sealed under the master key
   * @param orgs the organizations the session was granted, as a JSON list
   * @param teams the teams the session was granted, as a JSON list
   */
  record GithubGrant(String sid, String idp, String sealedToken, String orgs, String teams,
      Instant nextCheck, Instant expiresAt) {
    @Override
    public String toString() {
      return "GithubGrant[sid=" + sid + ", idp=" + idp + ", nextCheck=" + nextCheck + "]";
    }
  }

  @Override
  void close();
}
