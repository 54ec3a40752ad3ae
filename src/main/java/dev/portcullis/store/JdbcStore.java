package dev.portcullis.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.flywaydb.core.Flyway;

/**
 * The {@link Store} over JDBC: SQLite for one machine. Migrations run at open, so a store is
 * always at the schema this build expects.
 *
 * <p>SQLite allows one writer at a time; WAL mode lets readers go on meanwhile and the busy
 * timeout makes a second writer wait instead of failing.
 */
public final class JdbcStore implements Store {
  private final HikariDataSource dataSource;

  private JdbcStore(HikariDataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * Opens the store at a JDBC URL and migrates it.
   *
   * @throws StoreException when the database cannot be reached or migrated
   */
  public static JdbcStore open(String jdbcUrl) {
    HikariConfig hikari = new HikariConfig();
    hikari.setJdbcUrl(jdbcUrl);
    hikari.setPoolName("portcullis-store");
    if (jdbcUrl.startsWith("jdbc:sqlite:")) {
      // Four connections: SQLite serializes writers anyway, readers benefit from a few.
      hikari.setMaximumPoolSize(4);
      hikari.addDataSourceProperty("journal_mode", "WAL");
      hikari.addDataSourceProperty("busy_timeout", "5000");
      hikari.addDataSourceProperty("foreign_keys", "true");
    }
    HikariDataSource dataSource;
    try {
      dataSource = new HikariDataSource(hikari);
    } catch (RuntimeException e) {
      throw new StoreException("cannot open the store at " + jdbcUrl, e);
    }
    try {
      Flyway.configure().dataSource(dataSource).locations("classpath:db/migration")
          .load().migrate();
    } catch (RuntimeException e) {
      dataSource.close();
      throw new StoreException("cannot migrate the store at " + jdbcUrl, e);
    }
    return new JdbcStore(dataSource);
  }

  @Override
  public List<StoredKey> signingKeys() {
    return query("SELECT kid, algorithm, sealed_jwk, created_at FROM signing_keys "
        + "ORDER BY created_at", ps -> {}, rs -> new StoredKey(rs.getString(1), rs.getString(2),
            rs.getString(3), Instant.ofEpochMilli(rs.getLong(4))));
  }

  @Override
  public void addSigningKey(StoredKey key) {
    update("INSERT INTO signing_keys (kid, algorithm, sealed_jwk, created_at) "
        + "VALUES (?, ?, ?, ?)", ps -> {
          ps.setString(1, key.kid());
          ps.setString(2, key.algorithm());
          ps.setString(3, key.sealedJwk());
          ps.setLong(4, key.createdAt().toEpochMilli());
        });
  }

  @Override
  public String userIdFor(String email, Instant now) {
    List<String> found = query("SELECT id FROM users WHERE email = ?",
        ps -> ps.setString(1, email), rs -> rs.getString(1));
    if (!found.isEmpty()) {
      return found.get(0);
    }
    String id = UUID.randomUUID().toString();
    // Two first logins at once: the loser of the insert reads the winner's id.
    update("INSERT INTO users (id, email, created_at) VALUES (?, ?, ?) "
        + "ON CONFLICT (email) DO NOTHING", ps -> {
          ps.setString(1, id);
          ps.setString(2, email);
          ps.setLong(3, now.toEpochMilli());
        });
    return query("SELECT id FROM users WHERE email = ?", ps -> ps.setString(1, email),
        rs -> rs.getString(1)).get(0);
  }

  @Override
  public void createSession(SessionRecord s) {
    update("INSERT INTO sessions (sid, user_id, email, idp, created_at, expires_at, details) "
        + "VALUES (?, ?, ?, ?, ?, ?, ?)", ps -> {
          ps.setString(1, s.sid());
          ps.setString(2, s.userId());
          ps.setString(3, s.email());
          ps.setString(4, s.idp());
          ps.setLong(5, s.createdAt().toEpochMilli());
          ps.setLong(6, s.expiresAt().toEpochMilli());
          ps.setString(7, s.details());
        });
  }

  @Override
  public Optional<SessionRecord> session(String sid) {
    return query("SELECT sid, user_id, email, idp, created_at, expires_at, revoked_at, details "
        + "FROM sessions WHERE sid = ?", ps -> ps.setString(1, sid), rs -> {
          long revoked = rs.getLong(7);
          Instant revokedAt = rs.wasNull() ? null : Instant.ofEpochMilli(revoked);
          String details = rs.getString(8);
          return new SessionRecord(rs.getString(1), rs.getString(2), rs.getString(3),
              rs.getString(4), Instant.ofEpochMilli(rs.getLong(5)),
              Instant.ofEpochMilli(rs.getLong(6)), revokedAt, details == null ? "{}" : details);
        }).stream().findFirst();
  }

  @Override
  public boolean revokeSession(String sid, Instant now) {
    return update("UPDATE sessions SET revoked_at = ? WHERE sid = ? AND revoked_at IS NULL",
        ps -> {
          ps.setLong(1, now.toEpochMilli());
          ps.setString(2, sid);
        }) > 0 || session(sid).isPresent();
  }

  @Override
  public java.util.Map<String, Instant> revokedSessions(Instant now) {
    java.util.Map<String, Instant> out = new java.util.HashMap<>();
    query("SELECT sid, expires_at FROM sessions WHERE revoked_at IS NOT NULL AND expires_at > ?",
        ps -> ps.setLong(1, now.toEpochMilli()),
        rs -> out.put(rs.getString(1), Instant.ofEpochMilli(rs.getLong(2))));
    return out;
  }

  @Override
  public void putPin(String email, String codeHash, String application, Instant expiresAt) {
    update("INSERT INTO one_time_pins (email, code_hash, application, attempts, expires_at) "
        + "VALUES (?, ?, ?, 0, ?) ON CONFLICT (email) DO UPDATE SET "
        + "code_hash = excluded.code_hash, "
        + "application = excluded.application, attempts = 0, expires_at = excluded.expires_at",
        ps -> {
          ps.setString(1, email);
          ps.setString(2, codeHash);
          ps.setString(3, application);
          ps.setLong(4, expiresAt.toEpochMilli());
        });
  }

  @Override
  public Optional<PinRecord> pin(String email) {
    return query("SELECT email, code_hash, application, attempts, expires_at FROM one_time_pins "
        + "WHERE email = ?", ps -> ps.setString(1, email), rs -> new PinRecord(rs.getString(1),
            rs.getString(2), rs.getString(3), rs.getInt(4), Instant.ofEpochMilli(rs.getLong(5))))
        .stream().findFirst();
  }

  @Override
  public int recordPinFailure(String email) {
    update("UPDATE one_time_pins SET attempts = attempts + 1 WHERE email = ?",
        ps -> ps.setString(1, email));
    return pin(email).map(PinRecord::attempts).orElse(-1);
  }

  @Override
  public boolean deletePin(String email, String codeHash) {
    return update("DELETE FROM one_time_pins WHERE email = ? AND code_hash = ?", ps -> {
      ps.setString(1, email);
      ps.setString(2, codeHash);
    }) == 1;
  }

  @Override
  public void putHandoff(HandoffRecord h) {
    update("INSERT INTO handoff_codes (code_hash, sid, application, target_path, expires_at) "
        + "VALUES (?, ?, ?, ?, ?)", ps -> {
          ps.setString(1, h.codeHash());
          ps.setString(2, h.sid());
          ps.setString(3, h.application());
          ps.setString(4, h.targetPath());
          ps.setLong(5, h.expiresAt().toEpochMilli());
        });
  }

  @Override
  public Optional<HandoffRecord> takeHandoff(String codeHash) {
    Optional<HandoffRecord> found = query("SELECT code_hash, sid, application, target_path, "
        + "expires_at FROM handoff_codes WHERE code_hash = ?", ps -> ps.setString(1, codeHash),
        rs -> new HandoffRecord(rs.getString(1), rs.getString(2), rs.getString(3),
            rs.getString(4), Instant.ofEpochMilli(rs.getLong(5)))).stream().findFirst();
    if (found.isEmpty()) {
      return found;
    }
    // Only the caller whose DELETE removed the row may use it: two racing callbacks get one.
    int deleted = update("DELETE FROM handoff_codes WHERE code_hash = ?",
        ps -> ps.setString(1, codeHash));
    return deleted == 1 ? found : Optional.empty();
  }

  @Override
  public boolean addServiceToken(ServiceTokenRecord t) {
    // The conflict target names the partial index, so only a live name clash is swallowed; a
    // clash of client ids (never expected: they are random) still fails loudly.
    return update("INSERT INTO service_tokens (client_id, name, secret_hash, "
        + "previous_secret_hash, previous_valid_until, created_at, expires_at, rotated_at, "
        + "revoked_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        + "ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING", ps -> {
          ps.setString(1, t.clientId());
          ps.setString(2, t.name());
          ps.setString(3, t.secretHash());
          ps.setString(4, t.previousSecretHash());
          setMillis(ps, 5, t.previousValidUntil());
          ps.setLong(6, t.createdAt().toEpochMilli());
          ps.setLong(7, t.expiresAt().toEpochMilli());
          setMillis(ps, 8, t.rotatedAt());
          setMillis(ps, 9, t.revokedAt());
          setMillis(ps, 10, t.lastUsedAt());
        }) == 1;
  }

  @Override
  public List<ServiceTokenRecord> serviceTokens() {
    return query("SELECT name, client_id, secret_hash, previous_secret_hash, "
        + "previous_valid_until, created_at, expires_at, rotated_at, revoked_at, last_used_at "
        + "FROM service_tokens ORDER BY created_at, name", ps -> {},
        rs -> new ServiceTokenRecord(rs.getString(1), rs.getString(2), rs.getString(3),
            rs.getString(4), millis(rs, 5), millis(rs, 6), millis(rs, 7), millis(rs, 8),
            millis(rs, 9), millis(rs, 10)));
  }

  @Override
  public boolean revokeServiceToken(String name, Instant now) {
    return update("UPDATE service_tokens SET revoked_at = ? WHERE name = ? "
        + "AND revoked_at IS NULL", ps -> {
          ps.setLong(1, now.toEpochMilli());
          ps.setString(2, name);
        }) > 0;
  }

  @Override
  public boolean rotateServiceToken(String name, String secretHash, Instant previousValidUntil,
      Instant now) {
    // One statement, so the swap is atomic: the right-hand sides read the row as it was.
    return update("UPDATE service_tokens SET previous_secret_hash = secret_hash, "
        + "previous_valid_until = ?, secret_hash = ?, rotated_at = ? "
        + "WHERE name = ? AND revoked_at IS NULL", ps -> {
          ps.setLong(1, previousValidUntil.toEpochMilli());
          ps.setString(2, secretHash);
          ps.setLong(3, now.toEpochMilli());
          ps.setString(4, name);
        }) > 0;
  }

  @Override
  public void recordServiceTokenUse(java.util.Map<String, Instant> lastUsedByClientId) {
    if (lastUsedByClientId.isEmpty()) {
      return;
    }
    String sql = "UPDATE service_tokens SET last_used_at = ? WHERE client_id = ? "
        + "AND (last_used_at IS NULL OR last_used_at < ?)";
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      boolean autoCommit = c.getAutoCommit();
      // One transaction for the batch: SQLite then takes its write lock once, not per token.
      c.setAutoCommit(false);
      try {
        for (var use : lastUsedByClientId.entrySet()) {
          ps.setLong(1, use.getValue().toEpochMilli());
          ps.setString(2, use.getKey());
          ps.setLong(3, use.getValue().toEpochMilli());
          ps.addBatch();
        }
        ps.executeBatch();
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw new StoreException("store update failed", e);
    }
  }

  @Override
  public int purgeExpired(Instant now) {
    long millis = now.toEpochMilli();
    update("DELETE FROM github_grants WHERE expires_at <= ?", ps -> ps.setLong(1, millis));
    return update("DELETE FROM handoff_codes WHERE expires_at <= ?", ps -> ps.setLong(1, millis))
        + update("DELETE FROM one_time_pins WHERE expires_at <= ?", ps -> ps.setLong(1, millis));
  }

  @Override
  public void close() {
    dataSource.close();
  }

  @Override
  public void putGithubGrant(GithubGrant g) {
    update("INSERT INTO github_grants (sid, idp, sealed_token, orgs, teams, next_check, "
        + "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)", ps -> {
          ps.setString(1, g.sid());
          ps.setString(2, g.idp());
          ps.setString(3, g.sealedToken());
          ps.setString(4, g.orgs());
          ps.setString(5, g.teams());
          ps.setLong(6, g.nextCheck().toEpochMilli());
          ps.setLong(7, g.expiresAt().toEpochMilli());
        });
  }

  @Override
  public List<GithubGrant> dueGithubGrants(Instant now, int limit) {
    return query("SELECT sid, idp, sealed_token, orgs, teams, next_check, expires_at "
        + "FROM github_grants WHERE next_check <= ? AND expires_at > ? ORDER BY next_check "
        + "LIMIT ?", ps -> {
          ps.setLong(1, now.toEpochMilli());
          ps.setLong(2, now.toEpochMilli());
          ps.setInt(3, limit);
        }, rs -> new GithubGrant(rs.getString(1), rs.getString(2), rs.getString(3),
            rs.getString(4), rs.getString(5), Instant.ofEpochMilli(rs.getLong(6)),
            Instant.ofEpochMilli(rs.getLong(7))));
  }

  @Override
  public void rescheduleGithubGrant(String sid, Instant nextCheck) {
    update("UPDATE github_grants SET next_check = ? WHERE sid = ?", ps -> {
      ps.setLong(1, nextCheck.toEpochMilli());
      ps.setString(2, sid);
    });
  }

  @Override
  public void deleteGithubGrant(String sid) {
    update("DELETE FROM github_grants WHERE sid = ?", ps -> ps.setString(1, sid));
  }

  // ---- JDBC plumbing

  private interface Binder {
    void bind(PreparedStatement statement) throws SQLException;
  }

  private interface RowMapper<T> {
    T map(ResultSet row) throws SQLException;
  }

  private static void setMillis(PreparedStatement ps, int index, Instant time)
      throws SQLException {
    if (time == null) {
      ps.setNull(index, java.sql.Types.BIGINT);
    } else {
      ps.setLong(index, time.toEpochMilli());
    }
  }

  private static Instant millis(ResultSet rs, int index) throws SQLException {
    long value = rs.getLong(index);
    return rs.wasNull() ? null : Instant.ofEpochMilli(value);
  }

  private <T> List<T> query(String sql, Binder binder, RowMapper<T> mapper) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      binder.bind(ps);
      try (ResultSet rs = ps.executeQuery()) {
        List<T> out = new ArrayList<>();
        while (rs.next()) {
          out.add(mapper.map(rs));
        }
        return out;
      }
    } catch (SQLException e) {
      throw new StoreException("store query failed", e);
    }
  }

  private int update(String sql, Binder binder) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      binder.bind(ps);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("store update failed", e);
    }
  }
}
