package dev.portcullis.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.store.Store.ServiceTokenRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JdbcStoreServiceTokensTest {
  private static final Instant T0 = Instant.parse("2026-12-04T10:00:00Z");
  private static final Instant YEAR_LATER = T0.plus(Duration.ofDays(365));

  @TempDir
  Path dir;
  private JdbcStore store;

  @BeforeEach
  void open() {
    store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("portcullis.db"));
  }

  @AfterEach
  void close() {
    store.close();
  }

  private static ServiceTokenRecord token(String name, String clientId, String hash) {
    return new ServiceTokenRecord(name, clientId, hash, null, null, T0, YEAR_LATER, null, null,
        null);
  }

  @Test
  void addedTokenIsListedWithEveryFieldAsGiven() {
    assertThat(store.addServiceToken(token("ci", "ci.aaa", "sha256:01"))).isTrue();

    assertThat(store.serviceTokens()).containsExactly(
        new ServiceTokenRecord("ci", "ci.aaa", "sha256:01", null, null, T0, YEAR_LATER, null,
            null, null));
  }

  @Test
  void secondUnrevokedTokenWithTheSameNameIsNotAdded() {
    store.addServiceToken(token("ci", "ci.aaa", "sha256:01"));

    assertThat(store.addServiceToken(token("ci", "ci.bbb", "sha256:02"))).isFalse();
    assertThat(store.serviceTokens()).extracting(ServiceTokenRecord::clientId)
        .containsExactly("ci.aaa");
  }

  @Test
  void revokingFreesTheNameAndKeepsTheRevokedRow() {
    store.addServiceToken(token("ci", "ci.aaa", "sha256:01"));

    assertThat(store.revokeServiceToken("ci", T0.plusSeconds(5))).isTrue();
    assertThat(store.addServiceToken(token("ci", "ci.bbb", "sha256:02"))).isTrue();

    assertThat(store.serviceTokens()).extracting(ServiceTokenRecord::clientId,
        ServiceTokenRecord::revokedAt).containsExactly(
            org.assertj.core.groups.Tuple.tuple("ci.aaa", T0.plusSeconds(5)),
            org.assertj.core.groups.Tuple.tuple("ci.bbb", null));
  }

  @Test
  void revokingWhenNoUnrevokedTokenHasTheNameChangesNothing() {
    store.addServiceToken(token("ci", "ci.aaa", "sha256:01"));
    store.revokeServiceToken("ci", T0.plusSeconds(5));

    assertThat(store.revokeServiceToken("ci", T0.plusSeconds(9))).isFalse();
    assertThat(store.revokeServiceToken("other", T0)).isFalse();
    assertThat(store.serviceTokens().get(0).revokedAt()).isEqualTo(T0.plusSeconds(5));
  }

  @Test
  void clashingClientIdsFailLoudlyInsteadOfPassingForANameClash() {
    store.addServiceToken(token("ci", "same.id", "sha256:01"));

    assertThatThrownBy(() -> store.addServiceToken(token("other", "same.id", "sha256:02")))
        .isInstanceOf(StoreException.class);
  }

  @Test
  void rotationMovesTheCurrentHashToPreviousWithItsDeadline() {
    store.addServiceToken(token("ci", "ci.aaa", "sha256:01"));

    assertThat(store.rotateServiceToken("ci", "sha256:02", T0.plusSeconds(3600),
        T0.plusSeconds(60))).isTrue();

    ServiceTokenRecord rotated = store.serviceTokens().get(0);
    assertThat(rotated.secretHash()).isEqualTo("sha256:02");
    assertThat(rotated.previousSecretHash()).isEqualTo("sha256:01");
    assertThat(rotated.previousValidUntil()).isEqualTo(T0.plusSeconds(3600));
    assertThat(rotated.rotatedAt()).isEqualTo(T0.plusSeconds(60));
    assertThat(rotated.expiresAt()).isEqualTo(YEAR_LATER);
  }

  @Test
  void secondRotationDropsTheFirstSecretsHash() {
    store.addServiceToken(token("ci", "ci.aaa", "sha256:01"));
    store.rotateServiceToken("ci", "sha256:02", T0.plusSeconds(3600), T0);

    store.rotateServiceToken("ci", "sha256:03", T0.plusSeconds(7200), T0.plusSeconds(10));

    ServiceTokenRecord rotated = store.serviceTokens().get(0);
    assertThat(rotated.secretHash()).isEqualTo("sha256:03");
    assertThat(rotated.previousSecretHash()).isEqualTo("sha256:02");
    assertThat(rotated.previousValidUntil()).isEqualTo(T0.plusSeconds(7200));
  }

  @Test
  void revokedTokensCannotBeRotated() {
    store.addServiceToken(token("ci", "ci.aaa", "sha256:01"));
    store.revokeServiceToken("ci", T0);

    assertThat(store.rotateServiceToken("ci", "sha256:02", T0, T0)).isFalse();
    assertThat(store.serviceTokens().get(0).secretHash()).isEqualTo("sha256:01");
  }

  @Test
  void lastUseOnlyMovesForwardAndUnknownIdsAreIgnored() {
    store.addServiceToken(token("a", "a.1", "sha256:01"));
    store.addServiceToken(token("b", "b.1", "sha256:02"));

    store.recordServiceTokenUse(Map.of("a.1", T0.plusSeconds(60), "nobody.1", T0));
    store.recordServiceTokenUse(Map.of("a.1", T0.plusSeconds(30), "b.1", T0.plusSeconds(90)));
    store.recordServiceTokenUse(Map.of());

    assertThat(store.serviceTokens()).extracting(ServiceTokenRecord::lastUsedAt)
        .containsExactly(T0.plusSeconds(60), T0.plusSeconds(90));
  }

  @Test
  void toStringShowsNoHash() {
    ServiceTokenRecord record = new ServiceTokenRecord("ci", "ci.aaa", "sha256:secret-hash",
        "sha256:old-hash", T0, T0, YEAR_LATER, null, null, null);

    assertThat(record.toString()).doesNotContain("hash").contains("ci.aaa");
  }
}
