package dev.portcullis.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class PolicyEngineTest {
  private static final InetAddress CLIENT = address("192.0.2.10");
  private static final Selector STAFF = new Selector.EmailDomain(Set.of("example.com"));
  private static final Selector INTERN = new Selector.Email(Set.of("intern@example.com"));
  private static final Selector EVERYONE = new Selector.Everyone();

  private final PolicyEngine engine = new PolicyEngine();

  static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  static Rules include(Selector... selectors) {
    return new Rules(List.of(selectors), List.of(), List.of());
  }

  static Policy policy(String name, Action action, Rules rules) {
    return new Policy(name, action, rules);
  }

  static Application app(Policy... policies) {
    return new Application("app", "app.example.com", "/", URI.create("http://127.0.0.1:1"),
        null, List.of(policies), List.of(), Application.DEFAULT_UPSTREAM_TIMEOUT, false);
  }

  private static Subject as(String email) {
    return Subject.person(email, "email", CLIENT);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "alice@example.com,       true,  allowed",
      "alice@sub.example.com,   false, user-unauthorized",
      "alice@example.com.evil,  false, user-unauthorized",
      "intern@example.com,      false, policy-blocked",
      "stranger@elsewhere.test, false, user-unauthorized",
  })
  void allowAndBlockByEmailAndDomain(String email, boolean allowed, String reason) {
    Application app = app(policy("staff", Action.ALLOW, include(STAFF)),
        policy("interns", Action.BLOCK, include(INTERN)));

    Decision decision = engine.decide(app, as(email));

    assertThat(decision.allowed()).isEqualTo(allowed);
    assertThat(decision.reason().code()).isEqualTo(reason);
  }

  /** One row per selector: a subject it must match and one it must not. */
  static Stream<Arguments> selectors() {
    Subject base = Subject.builder().email("alice@example.com").idp("github")
        .clientAddress(address("10.1.2.3")).githubOrgs(Set.of("Acme"))
        .githubTeams(Set.of("acme/SRE")).claims(Map.of("dept", List.of("eng", "ops")))
        .groups(Set.of("admins")).build();
    Subject other = Subject.builder().email("bob@elsewhere.test").idp("email")
        .clientAddress(address("2001:db8::1")).build();
    Subject machine = Subject.builder().serviceToken("ci").clientAddress(CLIENT).build();
    Subject certified = Subject.builder().certificate("device-7").clientAddress(CLIENT).build();
    Group admins = new Group("admins", include(new Selector.OidcGroup(Set.of("admins"))));
    return Stream.of(
        Arguments.of("everyone", EVERYONE, base, null),
        Arguments.of("email", new Selector.Email(Set.of("alice@example.com")), base, other),
        Arguments.of("email_domain", STAFF, base, other),
        Arguments.of("email_list", new Selector.EmailList(Path.of("staff.txt"),
            Set.of("alice@example.com")), base, other),
        Arguments.of("ip v4", new Selector.Ip(new CidrSet(List.of(Cidr.parse("10.0.0.0/8")))),
            base, other),
        Arguments.of("ip v6", new Selector.Ip(new CidrSet(List.of(Cidr.parse("2001:db8::/32")))),
            other, base),
        Arguments.of("group", new Selector.GroupRef(admins), base, other),
        Arguments.of("idp", new Selector.Idp(Set.of("github")), base, other),
        Arguments.of("github_org", new Selector.GithubOrg(Set.of("acme")), base, other),
        Arguments.of("github_team", new Selector.GithubTeam(Set.of("acme/sre")), base, other),
        Arguments.of("oidc_claim array member", new Selector.OidcClaim("dept", "ops"), base,
            other),
        Arguments.of("oidc_claim other value", new Selector.OidcClaim("dept", "sales"), null,
            base),
        Arguments.of("oidc_group", new Selector.OidcGroup(Set.of("admins")), base, other),
        Arguments.of("service_token", new Selector.ServiceToken(Set.of("ci")), machine, base),
        Arguments.of("any_service_token", new Selector.AnyServiceToken(), machine, base),
        Arguments.of("certificate", new Selector.Certificate(), certified, base),
        Arguments.of("common_name", new Selector.CommonName(Set.of("device-7")), certified,
            machine));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("selectors")
  void eachSelectorMatchesWhatItNamesAndNothingElse(String name, Selector selector,
      Subject matching, Subject notMatching) {
    if (matching != null) {
      assertThat(selector.matches(matching)).as("matches").isTrue();
    }
    if (notMatching != null) {
      assertThat(selector.matches(notMatching)).as("does not match").isFalse();
    }
    assertThat(selector.matches(Subject.anonymous(null)))
        .as("an empty subject matches only everyone").isEqualTo(selector instanceof
            Selector.Everyone);
  }

  @Test
  void blockPrecedesAllowWhateverTheFileOrder() {
    Application app = app(policy("everyone", Action.ALLOW, include(EVERYONE)),
        policy("interns", Action.BLOCK, include(INTERN)));

    Decision decision = engine.decide(app, as("intern@example.com"));

    assertThat(decision.allowed()).isFalse();
    assertThat(decision.policy()).isEqualTo("interns");
    assertThat(decision.trace()).containsExactly(
        "block 'interns': matched email in [intern@example.com]");
  }

  @Test
  void bypassPassesAnonymousRequestsBeforeAnythingElse() {
    Application app = app(policy("nobody", Action.BLOCK, include(EVERYONE)),
        policy("health", Action.BYPASS, include(EVERYONE)));

    Decision anonymous = engine.decide(app, Subject.anonymous(CLIENT));
    Decision person = engine.decide(app, as("alice@example.com"));

    assertThat(anonymous.bypassed()).isTrue();
    assertThat(anonymous.reason()).isEqualTo(Reason.BYPASSED);
    assertThat(person.bypassed()).isTrue();
  }

  @Test
  void serviceAuthAdmitsOnlyServiceTokensAndPrecedesBlock() {
    Application app = app(policy("everyone-blocked", Action.BLOCK, include(EVERYONE)),
        policy("people", Action.ALLOW, include(EVERYONE)),
        policy("ci", Action.SERVICE_AUTH, include(new Selector.ServiceToken(Set.of("ci")))));

    Decision ci = engine.decide(app, Subject.builder().serviceToken("ci").build());
    Decision other = engine.decide(app, Subject.builder().serviceToken("deploy").build());

    assertThat(ci.allowed()).isTrue();
    assertThat(ci.action()).isEqualTo(Action.SERVICE_AUTH);
    assertThat(other.allowed()).isFalse();
    assertThat(other.reason()).isEqualTo(Reason.SERVICE_TOKEN_UNAUTHORIZED);
    assertThat(other.trace()).contains("allow 'people': skipped (nobody signed in)");
  }

  @Test
  void aServiceTokenNeverPassesAPolicyWrittenForPeople() {
    Application app = app(policy("all", Action.ALLOW, include(EVERYONE)));

    Decision decision = engine.decide(app, Subject.builder().serviceToken("ci").build());

    assertThat(decision.allowed()).isFalse();
  }

  @Test
  void requireAndExcludeNarrowAnIncludeAndSayWhichRuleFailed() {
    Application app = app(policy("staff-not-interns", Action.ALLOW,
        new Rules(List.of(EVERYONE), List.of(STAFF), List.of(INTERN))));

    assertThat(engine.decide(app, as("alice@example.com")).allowed()).isTrue();
    assertThat(engine.decide(app, as("bob@elsewhere.test")).trace()).containsExactly(
        "allow 'staff-not-interns': require rule failed (email domain in [example.com])");
    assertThat(engine.decide(app, as("intern@example.com")).trace()).containsExactly(
        "allow 'staff-not-interns': exclude rule matched (email in [intern@example.com])");
  }

  @Test
  void nobodySignedInIsUnauthenticatedEvenForEveryone() {
    Decision decision = engine.decide(app(policy("all", Action.ALLOW, include(EVERYONE))),
        Subject.anonymous(CLIENT));

    assertThat(decision.allowed()).isFalse();
    assertThat(decision.reason()).isEqualTo(Reason.USER_UNAUTHENTICATED);
  }

  @Test
  void identityProviderNotAllowedForTheApplicationIsRefused() {
    Application app = new Application("app", "app.example.com", "/",
        URI.create("http://127.0.0.1:1"), null,
        List.of(policy("all", Action.ALLOW, include(EVERYONE))), List.of("corporate"),
        Application.DEFAULT_UPSTREAM_TIMEOUT, false);

    Decision decision = engine.decide(app, as("alice@example.com"));

    assertThat(decision.allowed()).isFalse();
    assertThat(decision.reason()).isEqualTo(Reason.IDP_NOT_ALLOWED);
  }

  @Test
  void theMostSpecificApplicationWins() {
    Application root = named("root", "app.example.com", "/");
    Application admin = named("admin", "app.example.com", "/admin");
    Application adminApi = named("admin-api", "app.example.com", "/admin/api");
    Application any = named("any", "*.example.com", "/");
    Applications apps = new Applications(List.of(any, root, admin, adminApi));

    assertThat(apps.find("APP.Example.com:8443", "/")).contains(root);
    assertThat(apps.find("app.example.com.", "/admin")).contains(admin);
    assertThat(apps.find("app.example.com", "/admin/x")).contains(admin);
    assertThat(apps.find("app.example.com", "/administrator")).contains(root);
    assertThat(apps.find("app.example.com", "/admin/api/v1")).contains(adminApi);
    assertThat(apps.find("grafana.example.com", "/admin")).contains(any);
    assertThat(apps.find("a.b.example.com", "/")).as("one label only").isEmpty();
    assertThat(apps.find("example.com", "/")).isEmpty();
    assertThat(apps.find(null, "/")).isEmpty();
  }

  private static Application named(String name, String host, String path) {
    return new Application(name, host, path, URI.create("http://127.0.0.1:1"), null,
        List.of(policy("all", Action.ALLOW, include(EVERYONE))), List.of(),
        Application.DEFAULT_UPSTREAM_TIMEOUT, false);
  }

  @ParameterizedTest(name = "{0} in {1}: {2}")
  @CsvSource({
      "10.1.2.3,        10.0.0.0/8,     true",
      "11.0.0.1,        10.0.0.0/8,     false",
      "192.168.1.77,    192.168.1.77,   true",
      "192.168.1.78,    192.168.1.77,   false",
      "2001:db8::1,     2001:db8::/32,  true",
      "2001:db9::1,     2001:db8::/32,  false",
      "10.0.0.1,        ::/0,           false",
      "::1,             0.0.0.0/0,      false",
      "::ffff:10.0.0.1, 10.0.0.0/8,     true",
      "172.16.5.4,      172.16.0.0/12,  true",
      "172.32.0.1,      172.16.0.0/12,  false",
  })
  void cidrMembership(String address, String network, boolean contained) {
    assertThat(Cidr.parse(network).contains(address(address))).isEqualTo(contained);
    assertThat(new CidrSet(List.of(Cidr.parse("203.0.113.0/24"), Cidr.parse(network)))
        .contains(address(address))).isEqualTo(contained);
  }
}
