package dev.portcullis.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class PolicyEngineTest {
  private static final InetAddress CLIENT = InetAddress.getLoopbackAddress();
  private static final Selector STAFF = new Selector.EmailDomain(Set.of("example.com"));
  private static final Selector INTERN = new Selector.Email(Set.of("intern@example.com"));
  private static final Selector EVERYONE = new Selector.Everyone();

  private final PolicyEngine engine = new PolicyEngine();

  private static Application app(Policy... policies) {
    return new Application("app", "app.example.com", URI.create("http://127.0.0.1:1"), null,
        List.of(policies), List.of(), Application.DEFAULT_UPSTREAM_TIMEOUT);
  }

  private static Subject as(String email) {
    return new Subject(email, "email", CLIENT);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "alice@example.com,       true,  allowed",
      "ALICE@EXAMPLE.COM,       false, user-unauthorized",
      "alice@sub.example.com,   false, user-unauthorized",
      "alice@example.com.evil,  false, user-unauthorized",
      "intern@example.com,      false, policy-blocked",
      "stranger@elsewhere.test, false, user-unauthorized",
  })
  void allowAndBlockByEmailAndDomain(String email, boolean allowed, String reason) {
    Application app = app(
        new Policy("staff", Action.ALLOW, List.of(STAFF), List.of(), List.of()),
        new Policy("interns", Action.BLOCK, List.of(INTERN), List.of(), List.of()));

    Decision decision = engine.decide(app, as(email));

    assertThat(decision.allowed()).isEqualTo(allowed);
    assertThat(decision.reason().code()).isEqualTo(reason);
  }

  @Test
  void blockPrecedesAllowWhateverTheFileOrder() {
    Application app = app(
        new Policy("everyone", Action.ALLOW, List.of(EVERYONE), List.of(), List.of()),
        new Policy("interns", Action.BLOCK, List.of(INTERN), List.of(), List.of()));

    Decision decision = engine.decide(app, as("intern@example.com"));

    assertThat(decision.allowed()).isFalse();
    assertThat(decision.policy()).isEqualTo("interns");
    assertThat(decision.trace()).containsExactly(
        "block 'interns': matched email in [intern@example.com]");
  }

  @Test
  void requireAndExcludeNarrowAnInclude() {
    Application app = app(new Policy("staff-not-interns", Action.ALLOW, List.of(EVERYONE),
        List.of(STAFF), List.of(INTERN)));

    assertThat(engine.decide(app, as("alice@example.com")).allowed()).isTrue();
    Decision outsider = engine.decide(app, as("bob@elsewhere.test"));
    assertThat(outsider.allowed()).isFalse();
    assertThat(outsider.trace()).containsExactly("allow 'staff-not-interns': require rule failed "
        + "(email domain in [example.com])");
    Decision intern = engine.decide(app, as("intern@example.com"));
    assertThat(intern.allowed()).isFalse();
    assertThat(intern.trace()).containsExactly("allow 'staff-not-interns': exclude rule matched "
        + "(email in [intern@example.com])");
  }

  @Test
  void nobodySignedInIsUnauthenticatedEvenForEveryone() {
    Decision decision = engine.decide(app(
        new Policy("all", Action.ALLOW, List.of(EVERYONE), List.of(), List.of())),
        Subject.anonymous(CLIENT));

    assertThat(decision.allowed()).isFalse();
    assertThat(decision.reason()).isEqualTo(Reason.USER_UNAUTHENTICATED);
  }

  @Test
  void identityProviderNotAllowedForTheApplicationIsRefused() {
    Application app = new Application("app", "app.example.com",
        URI.create("http://127.0.0.1:1"), null,
        List.of(new Policy("all", Action.ALLOW, List.of(EVERYONE), List.of(), List.of())),
        List.of("corporate"), Application.DEFAULT_UPSTREAM_TIMEOUT);

    Decision decision = engine.decide(app, as("alice@example.com"));

    assertThat(decision.allowed()).isFalse();
    assertThat(decision.reason()).isEqualTo(Reason.IDP_NOT_ALLOWED);
  }

  @Test
  void applicationsAreFoundByHostCaseInsensitivelyWithPortAndTrailingDot() {
    Applications apps = new Applications(List.of(app(
        new Policy("all", Action.ALLOW, List.of(EVERYONE), List.of(), List.of()))));

    assertThat(apps.forHost("APP.Example.com:8443")).isPresent();
    assertThat(apps.forHost("app.example.com.")).isPresent();
    assertThat(apps.forHost("app.example.com.evil")).isEmpty();
    assertThat(apps.forHost(null)).isEmpty();
  }

  @ParameterizedTest(name = "{0} in {1}: {2}")
  @CsvSource({
      "10.1.2.3,     10.0.0.0/8,     true",
      "11.0.0.1,     10.0.0.0/8,     false",
      "192.168.1.77, 192.168.1.77,   true",
      "2001:db8::1,  2001:db8::/32,  true",
      "2001:db9::1,  2001:db8::/32,  false",
      "10.0.0.1,     ::/0,           false",
      "::ffff:10.0.0.1, 10.0.0.0/8,  true",
  })
  void cidrMembership(String address, String network, boolean contained) throws Exception {
    assertThat(Cidr.parse(network).contains(InetAddress.getByName(address)))
        .isEqualTo(contained);
  }
}
