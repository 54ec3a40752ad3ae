package dev.portcullis.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.machine.ServiceTokenVerifier.Refusal;
import dev.portcullis.machine.ServiceTokenVerifier.Refused;
import dev.portcullis.machine.ServiceTokenVerifier.TokenUsage;
import dev.portcullis.machine.ServiceTokenVerifier.Verified;
import dev.portcullis.machine.ServiceTokens.Issued;
import dev.portcullis.store.JdbcStore;
import dev.portcullis.store.Store;
import dev.portcullis.store.Store.ServiceTokenRecord;
import dev.portcullis.store.StoreException;
import dev.portcullis.testing.MutableClock;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceTokenVerifierTest {
  /** Ten seconds into a minute, so tests can stay inside it or cross it on purpose. */
  private static final Instant T0 = Instant.parse("2026-12-04T10:00:10Z");

  @TempDir
  Path dir;
  private JdbcStore jdbc;
  private final AtomicBoolean storeFails = new AtomicBoolean();
  private final AtomicInteger storeCalls = new AtomicInteger();
  private Store store;
  private MutableClock clock;
  private ServiceTokens tokens;
  private ServiceTokenVerifier verifier;

  @BeforeEach
  void open() {
    jdbc = JdbcStore.open("jdbc:sqlite:" + dir.resolve("portcullis.db"));
    store = failable(jdbc);
    clock = new MutableClock(T0);
    tokens = new ServiceTokens(store, clock);
    verifier = new ServiceTokenVerifier(store, clock);
  }

  @AfterEach
  void close() {
    jdbc.close();
  }

  /** The real store, except that every call fails while {@link #storeFails} is set. */
  private Store failable(Store real) {
    return (Store) Proxy.newProxyInstance(Store.class.getClassLoader(),
        new Class<?>[] {Store.class}, (proxy, method, args) -> {
          storeCalls.incrementAndGet();
          if (storeFails.get()) {
            throw new StoreException("store down", new java.sql.SQLException("down"));
          }
          try {
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @Test
  void rightPairIsVerifiedAsTheTokensName() {
    Issued issued = tokens.create("sentry-relay", Duration.ofDays(1));
    verifier.refresh();

    assertThat(verifier.verify(issued.clientId(), issued.secret()))
        .isEqualTo(new Verified("sentry-relay", issued.clientId(), false));
  }

  @Test
  void everythingIsUnknownBeforeTheFirstRefresh() {
    Issued issued = tokens.create("ci", Duration.ofDays(1));

    assertThat(verifier.verify(issued.clientId(), issued.secret()))
        .isEqualTo(new Refused(Refusal.UNKNOWN, null));
    assertThat(verifier.size()).isZero();
  }

  @Test
  void verifyingNeverTouchesTheStore() {
    Issued issued = tokens.create("ci", Duration.ofDays(1));
    verifier.refresh();
    storeFails.set(true);
    int callsBefore = storeCalls.get();

    assertThat(verifier.verify(issued.clientId(), issued.secret()))
        .isInstanceOf(Verified.class);
    assertThat(verifier.verify(issued.clientId(), "wrong")).isInstanceOf(Refused.class);
    assertThat(verifier.verify("nobody.x", "wrong")).isInstanceOf(Refused.class);
    assertThat(storeCalls.get()).isEqualTo(callsBefore);
  }

  @Test
  void eachRefusalHasItsReasonAndNamesTheTokenWhenKnown() {
    Issued live = tokens.create("live", Duration.ofDays(1));
    Issued shortLived = tokens.create("short", Duration.ofMinutes(5));
    Issued revoked = tokens.create("revoked", Duration.ofDays(1));
    tokens.revoke("revoked");
    Issued rotating = tokens.create("rotating", Duration.ofDays(1));
    tokens.rotate("rotating", Duration.ofMinutes(5));
    clock.advance(Duration.ofMinutes(5));
    verifier.refresh();

    record Row(String clientId, String secret, Refused expected) {}
    List<Row> rows = List.of(
        new Row("nobody.abc", live.secret(), new Refused(Refusal.UNKNOWN, null)),
        new Row(null, live.secret(), new Refused(Refusal.UNKNOWN, null)),
        new Row(live.clientId(), "not-the-secret", new Refused(Refusal.WRONG_SECRET, "live")),
        new Row(live.clientId(), "", new Refused(Refusal.WRONG_SECRET, "live")),
        new Row(live.clientId(), null, new Refused(Refusal.WRONG_SECRET, "live")),
        new Row(live.clientId(), revoked.secret(), new Refused(Refusal.WRONG_SECRET, "live")),
        new Row(shortLived.clientId(), shortLived.secret(),
            new Refused(Refusal.EXPIRED, "short")),
        new Row(revoked.clientId(), revoked.secret(), new Refused(Refusal.REVOKED, "revoked")),
        new Row(rotating.clientId(), rotating.secret(),
            new Refused(Refusal.ROTATED_OUT, "rotating")));
    for (Row row : rows) {
      assertThat(verifier.verify(row.clientId(), row.secret())).as("%s", row)
          .isEqualTo(row.expected());
    }
  }

  @Test
  void refusalCodesAreStableKebabCase() {
    assertThat(List.of(Refusal.values())).extracting(Refusal::code).containsExactly(
        "service-token-unknown", "service-token-wrong-secret", "service-token-expired",
        "service-token-revoked", "service-token-rotated-out");
  }

  @Test
  void expiredOrRevokedIsToldOnlyToWhoeverProvesTheSecret() {
    Issued expired = tokens.create("expired", Duration.ofMinutes(1));
    Issued revoked = tokens.create("revoked", Duration.ofDays(1));
    tokens.revoke("revoked");
    clock.advance(Duration.ofMinutes(1));
    verifier.refresh();

    assertThat(verifier.verify(expired.clientId(), "guess"))
        .isEqualTo(new Refused(Refusal.WRONG_SECRET, "expired"));
    assertThat(verifier.verify(revoked.clientId(), "guess"))
        .isEqualTo(new Refused(Refusal.WRONG_SECRET, "revoked"));
  }

  @Test
  void tokenExpiresAtItsExactExpiryInstant() {
    Issued issued = tokens.create("ci", Duration.ofHours(1));
    verifier.refresh();

    clock.advance(Duration.ofHours(1).minusMillis(1));
    assertThat(verifier.verify(issued.clientId(), issued.secret())).isInstanceOf(Verified.class);
    clock.advance(Duration.ofMillis(1));
    assertThat(verifier.verify(issued.clientId(), issued.secret()))
        .isEqualTo(new Refused(Refusal.EXPIRED, "ci"));
  }

  @Test
  void revocationFromAnotherProcessTakesEffectAtTheNextRefresh() {
    Issued issued = tokens.create("ci", Duration.ofDays(1));
    verifier.refresh();
    try (JdbcStore cliStore = JdbcStore.open("jdbc:sqlite:" + dir.resolve("portcullis.db"))) {
      new ServiceTokens(cliStore, clock).revoke("ci");
    }
    assertThat(verifier.verify(issued.clientId(), issued.secret())).isInstanceOf(Verified.class);
    verifier.refresh();

    assertThat(verifier.verify(issued.clientId(), issued.secret()))
        .isEqualTo(new Refused(Refusal.REVOKED, "ci"));
  }

  @Test
  void tokenCreatedFromAnotherProcessIsAcceptedAfterTheNextRefresh() {
    verifier.refresh();
    Issued issued;
    try (JdbcStore cliStore = JdbcStore.open("jdbc:sqlite:" + dir.resolve("portcullis.db"))) {
      issued = new ServiceTokens(cliStore, clock).create("ci", Duration.ofDays(1));
    }

    assertThat(verifier.verify(issued.clientId(), issued.secret()))
        .isEqualTo(new Refused(Refusal.UNKNOWN, null));
    verifier.refresh();
    assertThat(verifier.verify(issued.clientId(), issued.secret())).isInstanceOf(Verified.class);
  }

  @Test
  void oldSecretWorksUntilTheGraceDeadlineAndTheNewOneAtOnce() {
    Issued created = tokens.create("ci", Duration.ofDays(30));
    Issued rotated = tokens.rotate("ci", Duration.ofHours(24));
    verifier.refresh();

    assertThat(verifier.verify(created.clientId(), rotated.secret()))
        .isEqualTo(new Verified("ci", created.clientId(), false));
    assertThat(verifier.verify(created.clientId(), created.secret()))
        .isEqualTo(new Verified("ci", created.clientId(), true));

    clock.advance(Duration.ofHours(24).minusMillis(1));
    assertThat(verifier.verify(created.clientId(), created.secret()))
        .isInstanceOf(Verified.class);
    clock.advance(Duration.ofMillis(1));
    assertThat(verifier.verify(created.clientId(), created.secret()))
        .isEqualTo(new Refused(Refusal.ROTATED_OUT, "ci"));
    assertThat(verifier.verify(created.clientId(), rotated.secret()))
        .isInstanceOf(Verified.class);
  }

  @Test
  void secondRotationEndsTheFirstSecretAtOnce() {
    Issued first = tokens.create("ci", Duration.ofDays(30));
    Issued second = tokens.rotate("ci", Duration.ofHours(24));
    Issued third = tokens.rotate("ci", Duration.ofHours(24));
    verifier.refresh();

    assertThat(verifier.verify(first.clientId(), first.secret()))
        .isEqualTo(new Refused(Refusal.WRONG_SECRET, "ci"));
    assertThat(verifier.verify(first.clientId(), second.secret()))
        .isEqualTo(new Verified("ci", first.clientId(), true));
    assertThat(verifier.verify(first.clientId(), third.secret()))
        .isEqualTo(new Verified("ci", first.clientId(), false));
  }

  @Test
  void rotationWithZeroGraceEndsTheOldSecretAtOnce() {
    Issued created = tokens.create("ci", Duration.ofDays(30));
    tokens.rotate("ci", Duration.ZERO);
    verifier.refresh();

    assertThat(verifier.verify(created.clientId(), created.secret()))
        .isEqualTo(new Refused(Refusal.ROTATED_OUT, "ci"));
  }

  @Test
  void failedRefreshKeepsTheLastSnapshotInForce() {
    Issued issued = tokens.create("ci", Duration.ofDays(1));
    verifier.refresh();
    storeFails.set(true);

    assertThatThrownBy(verifier::refresh).isInstanceOf(StoreException.class);
    assertThat(verifier.verify(issued.clientId(), issued.secret())).isInstanceOf(Verified.class);
    assertThat(verifier.size()).isEqualTo(1);
  }

  @Test
  void tokenWithAnUnreadableStoredHashIsRefusedAsUnknown() {
    store.addServiceToken(new ServiceTokenRecord("broken", "broken.x", "md5:abc", null, null,
        T0, T0.plus(Duration.ofDays(1)), null, null, null));
    store.addServiceToken(new ServiceTokenRecord("broken-previous", "broken-previous.x",
        SecretHash.of("s"), "sha256:zz", T0.plus(Duration.ofDays(1)), T0,
        T0.plus(Duration.ofDays(1)), null, null, null));
    Issued fine = tokens.create("fine", Duration.ofDays(1));
    verifier.refresh();

    assertThat(verifier.verify("broken.x", "anything"))
        .isEqualTo(new Refused(Refusal.UNKNOWN, null));
    assertThat(verifier.verify("broken-previous.x", "s"))
        .isEqualTo(new Refused(Refusal.UNKNOWN, null));
    assertThat(verifier.verify(fine.clientId(), fine.secret())).isInstanceOf(Verified.class);
  }

  @Test
  void useIsCountedPerTokenAndMinuteAndHandedOverOnceTheMinuteEnds() {
    Issued ci = tokens.create("ci", Duration.ofDays(1));
    Issued relay = tokens.create("relay", Duration.ofDays(1));
    verifier.refresh();
    Instant minute = Instant.parse("2026-12-04T10:00:00Z");

    verifier.verify(ci.clientId(), ci.secret());
    clock.advance(Duration.ofSeconds(20));
    verifier.verify(ci.clientId(), ci.secret());
    verifier.verify(relay.clientId(), relay.secret());
    verifier.verify(relay.clientId(), "wrong");
    verifier.verify("nobody.x", "wrong");

    assertThat(verifier.drainUsage()).isEmpty();
    clock.advance(Duration.ofSeconds(30));
    assertThat(verifier.drainUsage()).containsExactly(
        new TokenUsage("ci", ci.clientId(), minute, 2, 0, T0.plusSeconds(20)),
        new TokenUsage("relay", relay.clientId(), minute, 1, 0, T0.plusSeconds(20)));
    assertThat(verifier.drainUsage()).isEmpty();
  }

  @Test
  void theRunningMinuteKeepsCountingUntilItEndsOrEverythingIsDrained() {
    Issued ci = tokens.create("ci", Duration.ofDays(1));
    verifier.refresh();
    verifier.verify(ci.clientId(), ci.secret());
    clock.advance(Duration.ofMinutes(1));
    verifier.verify(ci.clientId(), ci.secret());
    verifier.verify(ci.clientId(), ci.secret());

    assertThat(verifier.drainUsage()).extracting(TokenUsage::minute, TokenUsage::requests)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(
            Instant.parse("2026-12-04T10:00:00Z"), 1L));
    assertThat(verifier.drainAllUsage()).extracting(TokenUsage::minute, TokenUsage::requests)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(
            Instant.parse("2026-12-04T10:01:00Z"), 2L));
    assertThat(verifier.drainAllUsage()).isEmpty();
  }

  @Test
  void useOfThePreviousSecretIsCountedApart() {
    Issued created = tokens.create("ci", Duration.ofDays(1));
    Issued rotated = tokens.rotate("ci", Duration.ofHours(1));
    verifier.refresh();

    verifier.verify(created.clientId(), created.secret());
    verifier.verify(created.clientId(), rotated.secret());
    verifier.verify(created.clientId(), created.secret());

    assertThat(verifier.drainAllUsage()).extracting(TokenUsage::requests,
        TokenUsage::previousSecretRequests)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(3L, 2L));
  }

  @Test
  void concurrentVerificationsAreAllCounted() throws Exception {
    Issued ci = tokens.create("ci", Duration.ofDays(1));
    verifier.refresh();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new java.util.ArrayList<>();
      for (int t = 0; t < 8; t++) {
        done.add(pool.submit(() -> {
          for (int i = 0; i < 500; i++) {
            assertThat(verifier.verify(ci.clientId(), ci.secret())).isInstanceOf(Verified.class);
          }
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(verifier.drainAllUsage()).extracting(TokenUsage::requests)
        .containsExactly(4000L);
  }

  @Test
  void flushWritesOneAuditLinePerTokenAndMinuteAndTheLastUseToTheStore() {
    Issued ci = tokens.create("ci", Duration.ofDays(1));
    verifier.refresh();
    for (int i = 0; i < 100; i++) {
      verifier.verify(ci.clientId(), ci.secret());
    }
    clock.advance(Duration.ofSeconds(5));
    verifier.verify(ci.clientId(), ci.secret());
    clock.advance(Duration.ofMinutes(1));

    try (AuditCapture audit = new AuditCapture()) {
      List<TokenUsage> flushed = verifier.flushUsage(false);

      assertThat(flushed).hasSize(1);
      assertThat(audit.events()).containsExactly(Map.of("message", "service_token_used",
          "event", "service_token_used", "token", "ci", "client_id", ci.clientId(),
          "minute", "2026-12-04T10:00:00Z", "requests", "101", "previous_secret_requests", "0",
          "last_used_at", T0.plusSeconds(5).toString()));
      assertThat(audit.allText()).doesNotContain(ci.secret());
    }
    assertThat(tokens.list().get(0).lastUsedAt()).isEqualTo(T0.plusSeconds(5));
  }

  @Test
  void flushWithNothingToHandOverDoesNotTouchTheStore() {
    verifier.refresh();
    int callsBefore = storeCalls.get();

    assertThat(verifier.flushUsage(true)).isEmpty();
    assertThat(storeCalls.get()).isEqualTo(callsBefore);
  }

  @Test
  void lastUseThatFailedToReachTheStoreIsWrittenByTheNextFlush() {
    Issued ci = tokens.create("ci", Duration.ofDays(1));
    verifier.refresh();
    verifier.verify(ci.clientId(), ci.secret());
    storeFails.set(true);

    assertThatThrownBy(() -> verifier.flushUsage(true)).isInstanceOf(StoreException.class);
    storeFails.set(false);
    assertThat(verifier.flushUsage(true)).isEmpty();

    assertThat(tokens.list().get(0).lastUsedAt()).isEqualTo(T0);
  }
}
