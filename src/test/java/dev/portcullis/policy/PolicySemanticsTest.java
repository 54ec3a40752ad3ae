package dev.portcullis.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of the policy semantics over random policies and subjects, drawn from a small
 * world (three emails, two domains, two networks, a service token) so that matches are common.
 */
class PolicySemanticsTest {
  private static final List<String> EMAILS = List.of("a@x.test", "b@x.test", "c@y.test");
  private final PolicyEngine engine = new PolicyEngine();

  @Provide
  Arbitrary<Selector> selectors() {
    return Arbitraries.oneOf(
        Arbitraries.just(new Selector.Everyone()),
        Arbitraries.of(EMAILS).set().ofMinSize(1).ofMaxSize(2).map(Selector.Email::new),
        Arbitraries.of("x.test", "y.test").map(d -> new Selector.EmailDomain(Set.of(d))),
        Arbitraries.of("10.0.0.0/8", "192.0.2.0/24").map(c ->
            new Selector.Ip(new CidrSet(List.of(Cidr.parse(c))))),
        Arbitraries.of("ci", "deploy").map(t -> new Selector.ServiceToken(Set.of(t))),
        Arbitraries.just(new Selector.AnyServiceToken()));
  }

  @Provide
  Arbitrary<Rules> rules() {
    Arbitrary<List<Selector>> some = selectors().list().ofMinSize(1).ofMaxSize(3);
    Arbitrary<List<Selector>> any = selectors().list().ofMaxSize(2);
    return Combinators.combine(some, any, any).as(Rules::new);
  }

  @Provide
  Arbitrary<Policy> policies() {
    return Combinators.combine(Arbitraries.of(Action.class), rules())
        .as((action, rules) -> new Policy(action.configName() + "-" + rules.hashCode(), action,
            rules));
  }

  @Provide
  Arbitrary<Subject> subjects() {
    Arbitrary<String> email = Arbitraries.of(EMAILS).injectNull(0.3);
    Arbitrary<String> token = Arbitraries.of("ci", "deploy").injectNull(0.6);
    Arbitrary<String> ip = Arbitraries.of("10.1.1.1", "192.0.2.9", "203.0.113.5");
    return Combinators.combine(email, token, ip).as((e, t, a) -> Subject.builder().email(e)
        .idp(e == null ? null : "email").serviceToken(t).clientAddress(address(a)).build());
  }

  private static InetAddress address(String literal) {
    return PolicyEngineTest.address(literal);
  }

  private static Application app(List<Policy> policies) {
    return new Application("app", "app.test", "/", URI.create("http://127.0.0.1:1"), null,
        policies, List.of(), Application.DEFAULT_UPSTREAM_TIMEOUT, false);
  }

  @Property
  boolean addingAnExcludeNeverWidensAccess(@ForAll @Size(max = 6) List<@From("policies") Policy> policies,
      @ForAll("subjects") Subject subject, @ForAll("selectors") Selector extra) {
    if (policies.isEmpty()) {
      return true;
    }
    Policy first = policies.get(0);
    List<Selector> exclude = new ArrayList<>(first.rules().exclude());
    exclude.add(extra);
    List<Policy> narrowed = new ArrayList<>(policies);
    narrowed.set(0, new Policy(first.name(), first.action(),
        new Rules(first.rules().include(), first.rules().require(), exclude)));
    if (first.action() == Action.BLOCK) {
      // Excluding from a block policy lets more through: the property is about grants.
      return true;
    }
    boolean before = engine.decide(app(policies), subject).allowed();
    boolean after = engine.decide(app(narrowed), subject).allowed();
    return before || !after;
  }

  @Property
  boolean addingAnIncludeNeverNarrowsAccess(@ForAll @Size(max = 6) List<@From("policies") Policy> policies,
      @ForAll("subjects") Subject subject, @ForAll("selectors") Selector extra) {
    if (policies.isEmpty() || policies.get(0).action() == Action.BLOCK) {
      return true;
    }
    Policy first = policies.get(0);
    List<Selector> include = new ArrayList<>(first.rules().include());
    include.add(extra);
    List<Policy> widened = new ArrayList<>(policies);
    widened.set(0, new Policy(first.name(), first.action(),
        new Rules(include, first.rules().require(), first.rules().exclude())));
    boolean before = engine.decide(app(policies), subject).allowed();
    boolean after = engine.decide(app(widened), subject).allowed();
    return !before || after;
  }

  @Property
  boolean fileOrderAcrossClassesNeverMatters(@ForAll @Size(max = 6) List<@From("policies") Policy> policies,
      @ForAll("subjects") Subject subject) {
    // Reordering keeps the order inside each class (bypass and service_auth are one class):
    // only the classes' positions change.
    List<Policy> reordered = new ArrayList<>();
    policies.stream().filter(p -> p.action() == Action.ALLOW).forEach(reordered::add);
    policies.stream().filter(p -> p.action() == Action.BLOCK).forEach(reordered::add);
    policies.stream().filter(p -> p.action() == Action.BYPASS
        || p.action() == Action.SERVICE_AUTH).forEach(reordered::add);
    Decision a = engine.decide(app(policies), subject);
    Decision b = engine.decide(app(reordered), subject);
    return a.allowed() == b.allowed() && a.reason() == b.reason();
  }

  @Property
  void bypassAndServiceAuthPrecedeBlockAndBlockPrecedesAllow(
      @ForAll @Size(max = 6) List<@From("policies") Policy> policies, @ForAll("subjects") Subject subject) {
    Decision decision = engine.decide(app(policies), subject);
    boolean bypassMatches = policies.stream().anyMatch(p -> p.action() == Action.BYPASS
        && p.rules().evaluate(subject).matched());
    boolean serviceMatches = subject.machine() && policies.stream().anyMatch(p ->
        p.action() == Action.SERVICE_AUTH && p.rules().evaluate(subject).matched());
    boolean blockMatches = subject.signedIn() && policies.stream().anyMatch(p ->
        p.action() == Action.BLOCK && p.rules().evaluate(subject).matched());
    if (bypassMatches || serviceMatches) {
      assertThat(decision.allowed()).isTrue();
      assertThat(decision.action()).isIn(Action.BYPASS, Action.SERVICE_AUTH);
    } else if (blockMatches) {
      assertThat(decision.allowed()).isFalse();
      assertThat(decision.reason()).isEqualTo(Reason.POLICY_BLOCKED);
    }
  }

  @Property
  boolean anonymousRequestsAreAllowedOnlyByBypass(@ForAll @Size(max = 6) List<@From("policies") Policy> policies,
      @ForAll("subjects") Subject subject) {
    if (subject.signedIn() || subject.machine()) {
      return true;
    }
    Decision decision = engine.decide(app(policies), subject);
    return !decision.allowed() || decision.action() == Action.BYPASS;
  }
}
