package dev.portcullis.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.machine.ServiceTokenException.Kind;
import dev.portcullis.machine.ServiceTokens.Issued;
import dev.portcullis.machine.ServiceTokens.State;
import dev.portcullis.machine.ServiceTokens.TokenInfo;
import dev.portcullis.store.JdbcStore;
import dev.portcullis.store.Store.ServiceTokenRecord;
import dev.portcullis.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ServiceTokensTest {
  private static final Instant T0 = Instant.parse("2026-12-04T10:00:00Z");

  @TempDir
  Path dir;
  private JdbcStore store;
  private MutableClock clock;
  private ServiceTokens tokens;

  @BeforeEach
  void open() {
    store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("portcullis.db"));
    clock = new MutableClock(T0);
    tokens = new ServiceTokens(store, clock);
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void createdTokenHasANamedClientIdAndA256BitBase64UrlSecret() {
    Issued issued = tokens.create("sentry-relay", Duration.ofDays(30));

    assertThat(issued.name()).isEqualTo("sentry-relay");
    assertThat(issued.clientId()).matches("sentry-relay\\.[A-Za-z0-9_-]{16}");
    assertThat(issued.secret()).matches("[A-Za-z0-9_-]{43}");
    assertThat(Base64.getUrlDecoder().decode(issued.secret())).hasSize(32);
    assertThat(issued.expiresAt()).isEqualTo(T0.plus(Duration.ofDays(30)));
    assertThat(issued.previousValidUntil()).isNull();
  }

  @Test
  void storeKeepsOnlyTheSha256OfTheSecret() {
    Issued issued = tokens.create("ci", ServiceTokens.DEFAULT_DURATION);

    ServiceTokenRecord stored = store.serviceTokens().get(0);
    assertThat(stored.secretHash()).isEqualTo(SecretHash.of(issued.secret()))
        .startsWith("sha256:").hasSize(7 + 64).doesNotContain(issued.secret());
    assertThat(stored.toString()).doesNotContain(issued.secret());
  }

  @Test
  void everyTokenGetsItsOwnClientIdAndSecret() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      Issued issued = tokens.create("t" + i, Duration.ofDays(1));
      assertThat(seen.add(issued.clientId().substring(issued.name().length()))).isTrue();
      assertThat(seen.add(issued.secret())).isTrue();
    }
  }

  @Test
  void issuedToStringHidesTheSecret() {
    Issued issued = tokens.create("ci", Duration.ofDays(1));

    assertThat(issued.toString()).doesNotContain(issued.secret()).contains("secret=(hidden)")
        .contains(issued.clientId());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "CI", "-ci", "_ci", "ci.prod", "ci prod", "ci/prod", "ci@x",
      "a234567890123456789012345678901234567890123456789012345678901234"})
  void namesOutsideTheSelectorsAlphabetAreRefused(String name) {
    assertThatThrownBy(() -> tokens.create(name, Duration.ofDays(1)))
        .isInstanceOfSatisfying(ServiceTokenException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_NAME));
    assertThat(store.serviceTokens()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "0", "ci", "sentry-relay", "deploy_bot_2",
      "a23456789012345678901234567890123456789012345678901234567890123"})
  void namesTheSelectorAcceptsAreAccepted(String name) {
    assertThat(ServiceTokens.isValidName(name)).isTrue();
    assertThat(tokens.create(name, Duration.ofDays(1)).name()).isEqualTo(name);
  }

  @Test
  void nullZeroNegativeAndCenturyLongDurationsAreRefused() {
    for (Duration bad : new Duration[] {null, Duration.ZERO, Duration.ofSeconds(-1),
        ServiceTokens.MAX_DURATION.plusSeconds(1)}) {
      assertThatThrownBy(() -> tokens.create("ci", bad))
          .isInstanceOfSatisfying(ServiceTokenException.class,
              e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_DURATION));
    }
    assertThat(tokens.create("ci", ServiceTokens.MAX_DURATION).expiresAt())
        .isEqualTo(T0.plus(ServiceTokens.MAX_DURATION));
  }

  @Test
  void aNameHeldByAnActiveTokenCannotBeTakenAgain() {
    tokens.create("ci", Duration.ofDays(1));

    assertThatThrownBy(() -> tokens.create("ci", Duration.ofDays(1)))
        .isInstanceOfSatisfying(ServiceTokenException.class, e -> {
          assertThat(e.kind()).isEqualTo(Kind.NAME_TAKEN);
          assertThat(e.getMessage()).isEqualTo(
              "a service token named 'ci' already exists; revoke it first to reuse the name");
        });
  }

  @Test
  void aNameHeldByAnExpiredTokenIsFreedByRevokingIt() {
    tokens.create("ci", Duration.ofDays(1));
    clock.advance(Duration.ofDays(2));

    assertThatThrownBy(() -> tokens.create("ci", Duration.ofDays(1)))
        .isInstanceOfSatisfying(ServiceTokenException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.NAME_TAKEN));
    tokens.revoke("ci");
    Issued again = tokens.create("ci", Duration.ofDays(1));

    assertThat(tokens.list()).extracting(TokenInfo::clientId, TokenInfo::state)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(store.serviceTokens().get(0).clientId(),
                State.REVOKED),
            org.assertj.core.groups.Tuple.tuple(again.clientId(), State.ACTIVE));
  }

  @Test
  void listShowsEveryStateAndNeverASecretOrHash() {
    Issued active = tokens.create("active", Duration.ofDays(10));
    tokens.create("expiring", Duration.ofHours(1));
    tokens.create("revoked", Duration.ofDays(10));
    tokens.revoke("revoked");
    store.recordServiceTokenUse(java.util.Map.of(active.clientId(), T0.plusSeconds(30)));
    clock.advance(Duration.ofHours(1));

    assertThat(tokens.list()).extracting(TokenInfo::name, TokenInfo::state)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("active", State.ACTIVE),
            org.assertj.core.groups.Tuple.tuple("expiring", State.EXPIRED),
            org.assertj.core.groups.Tuple.tuple("revoked", State.REVOKED));
    TokenInfo first = tokens.list().get(0);
    assertThat(first).isEqualTo(new TokenInfo("active", active.clientId(), T0,
        T0.plus(Duration.ofDays(10)), T0.plusSeconds(30), null, null, State.ACTIVE));
    assertThat(tokens.list().toString()).doesNotContain(active.secret()).doesNotContain("sha256");
  }

  @Test
  void stateCodesAreLowerCaseWords() {
    assertThat(State.ACTIVE.code()).isEqualTo("active");
    assertThat(State.EXPIRED.code()).isEqualTo("expired");
    assertThat(State.REVOKED.code()).isEqualTo("revoked");
  }

  @Test
  void revokingAnUnknownOrAlreadyRevokedNameIsNotFound() {
    tokens.create("ci", Duration.ofDays(1));
    tokens.revoke("ci");

    for (String name : new String[] {"ci", "nobody"}) {
      assertThatThrownBy(() -> tokens.revoke(name))
          .isInstanceOfSatisfying(ServiceTokenException.class,
              e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
    }
    assertThatThrownBy(() -> tokens.revoke("Bad Name"))
        .isInstanceOfSatisfying(ServiceTokenException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_NAME));
  }

  @Test
  void rotationKeepsClientIdAndExpiryAndGivesANewSecretWithAGraceDeadline() {
    Issued created = tokens.create("ci", Duration.ofDays(30));
    clock.advance(Duration.ofDays(1));

    Issued rotated = tokens.rotate("ci", ServiceTokens.DEFAULT_GRACE);

    assertThat(rotated.clientId()).isEqualTo(created.clientId());
    assertThat(rotated.expiresAt()).isEqualTo(created.expiresAt());
    assertThat(rotated.secret()).isNotEqualTo(created.secret()).matches("[A-Za-z0-9_-]{43}");
    assertThat(rotated.previousValidUntil())
        .isEqualTo(T0.plus(Duration.ofDays(1)).plus(Duration.ofHours(24)));
    ServiceTokenRecord stored = store.serviceTokens().get(0);
    assertThat(stored.secretHash()).isEqualTo(SecretHash.of(rotated.secret()));
    assertThat(stored.previousSecretHash()).isEqualTo(SecretHash.of(created.secret()));
    assertThat(tokens.list().get(0).previousValidUntil()).isEqualTo(rotated.previousValidUntil());
    assertThat(tokens.list().get(0).rotatedAt()).isEqualTo(T0.plus(Duration.ofDays(1)));
  }

  @Test
  void listStopsShowingTheGraceDeadlineOnceItHasPassed() {
    tokens.create("ci", Duration.ofDays(30));
    tokens.rotate("ci", Duration.ofHours(1));

    clock.advance(Duration.ofHours(1));

    assertThat(tokens.list().get(0).previousValidUntil()).isNull();
  }

  @Test
  void rotatingAnExpiredUnknownOrRevokedTokenIsRefused() {
    tokens.create("old", Duration.ofHours(1));
    tokens.create("gone", Duration.ofDays(1));
    tokens.revoke("gone");
    clock.advance(Duration.ofHours(1));

    assertThatThrownBy(() -> tokens.rotate("old", Duration.ZERO))
        .isInstanceOfSatisfying(ServiceTokenException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.EXPIRED));
    for (String name : new String[] {"gone", "nobody"}) {
      assertThatThrownBy(() -> tokens.rotate(name, Duration.ZERO))
          .isInstanceOfSatisfying(ServiceTokenException.class,
              e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
    }
  }

  @Test
  void negativeOrCenturyLongGraceIsRefusedAndZeroIsAccepted() {
    tokens.create("ci", Duration.ofDays(1));

    for (Duration bad : new Duration[] {null, Duration.ofSeconds(-1),
        ServiceTokens.MAX_DURATION.plusSeconds(1)}) {
      assertThatThrownBy(() -> tokens.rotate("ci", bad))
          .isInstanceOfSatisfying(ServiceTokenException.class,
              e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_DURATION));
    }
    assertThat(tokens.rotate("ci", Duration.ZERO).previousValidUntil()).isEqualTo(T0);
  }

  @Test
  void creationRotationAndRevocationEachWriteOneAuditLineWithoutTheSecret() {
    try (AuditCapture audit = new AuditCapture()) {
      Issued created = tokens.create("ci", Duration.ofDays(1));
      Issued rotated = tokens.rotate("ci", Duration.ofHours(2));
      tokens.revoke("ci");

      assertThat(audit.events()).containsExactly(
          java.util.Map.of("message", "service_token_created", "event", "service_token_created",
              "token", "ci", "client_id", created.clientId(),
              "expires_at", T0.plus(Duration.ofDays(1)).toString()),
          java.util.Map.of("message", "service_token_rotated", "event", "service_token_rotated",
              "token", "ci", "client_id", created.clientId(),
              "previous_valid_until", T0.plus(Duration.ofHours(2)).toString()),
          java.util.Map.of("message", "service_token_revoked", "event", "service_token_revoked",
              "token", "ci"));
      assertThat(audit.allText()).doesNotContain(created.secret())
          .doesNotContain(rotated.secret()).doesNotContain("sha256");
    }
  }

  @Test
  void refusedOperationsWriteNoAuditLine() {
    tokens.create("ci", Duration.ofDays(1));
    try (AuditCapture audit = new AuditCapture()) {
      assertThatThrownBy(() -> tokens.create("ci", Duration.ofDays(1)));
      assertThatThrownBy(() -> tokens.revoke("nobody"));
      assertThatThrownBy(() -> tokens.rotate("nobody", Duration.ZERO));

      assertThat(audit.events()).isEmpty();
    }
  }
}
