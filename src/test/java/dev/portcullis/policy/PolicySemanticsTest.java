package dev.portcullis.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Properties of the policy semantics, checked over thousands of random policy lists and subjects
 * drawn from a small world (three emails, two domains, two networks, two service tokens) so
 * that matches are common. Generation is seeded: a failure names its seed and sample, and the
 * same seed reproduces it.
 */
class PolicySemanticsTest {
  private static final List<String> EMAILS = List.of("a@x.test", "b@x.test", "c@y.test");
  private static final int CASES = 5_000;
  private static final long SEED = 20261204L;

  private final PolicyEngine engine = new PolicyEngine();

  /** Draws random selectors, rules, policies and subjects from one seeded source. */
  private static final class World {
    private final Random random;

    World(long seed) {
      this.random = new Random(seed);
    }

    Selector selector() {
      return switch (random.nextInt(6)) {
        case 0 -> new Selector.Everyone();
        case 1 -> new Selector.Email(Set.of(pick(EMAILS)));
        case 2 -> new Selector.EmailDomain(Set.of(pick(List.of("x.test", "y.test"))));
        case 3 -> new Selector.Ip(new CidrSet(List.of(Cidr.parse(
            pick(List.of("10.0.0.0/8", "192.0.2.0/24"))))));
        case 4 -> new Selector.ServiceToken(Set.of(pick(List.of("ci", "deploy"))));
        default -> new Selector.AnyServiceToken();
      };
    }

    List<Selector> selectors(int min, int max) {
      List<Selector> out = new ArrayList<>();
      int n = min + random.nextInt(max - min + 1);
      for (int i = 0; i < n; i++) {
        out.add(selector());
      }
      return out;
    }

    Rules rules() {
      return new Rules(selectors(1, 3), selectors(0, 2), selectors(0, 2));
    }

    List<Policy> policies() {
      List<Policy> out = new ArrayList<>();
      int n = random.nextInt(7);
      for (int i = 0; i < n; i++) {
        Action action = Action.values()[random.nextInt(Action.values().length)];
        out.add(new Policy(action.configName() + "-" + i, action, rules()));
      }
      return out;
    }

    Subject subject() {
      String email = random.nextInt(10) < 3 ? null : pick(EMAILS);
      String token = random.nextInt(10) < 6 ? null : pick(List.of("ci", "deploy"));
      String ip = pick(List.of("10.1.1.1", "192.0.2.9", "203.0.113.5"));
      return Subject.builder().email(email).idp(email == null ? null : "email")
          .serviceToken(token).clientAddress(address(ip)).build();
    }

    private <T> T pick(List<T> values) {
      return values.get(random.nextInt(values.size()));
    }
  }

  private static InetAddress address(String literal) {
    return PolicyEngineTest.address(literal);
  }

  private static Application app(List<Policy> policies) {
    return new Application("app", "app.test", "/", URI.create("http://127.0.0.1:1"), null,
        policies, List.of(), Application.DEFAULT_UPSTREAM_TIMEOUT, false);
  }

  /** Runs a check over {@link #CASES} random cases; a failure names the case. */
  private static void forAll(BiConsumer<World, Integer> check) {
    World world = new World(SEED);
    for (int i = 0; i < CASES; i++) {
      check.accept(world, i);
    }
  }

  private boolean allowed(List<Policy> policies, Subject subject) {
    return engine.decide(app(policies), subject).allowed();
  }

  /** Where a selector is added to one policy's rules. */
  private enum Slot { INCLUDE, EXCLUDE }

  /**
   * For every random case and every granting (non-block) policy in it, adds one random
   * selector to that policy's include or exclude list and checks that access moves in the
   * expected direction only: {@code widens} true means it may only grow.
   */
  private void forEveryGrantingPolicy(Slot slot, boolean widens) {
    forAll((world, i) -> {
      List<Policy> policies = world.policies();
      Subject subject = world.subject();
      Selector extra = world.selector();
      for (int p = 0; p < policies.size(); p++) {
        Policy target = policies.get(p);
        if (target.action() == Action.BLOCK) {
          continue;
        }
        Rules rules = target.rules();
        List<Selector> include = new ArrayList<>(rules.include());
        List<Selector> exclude = new ArrayList<>(rules.exclude());
        (slot == Slot.INCLUDE ? include : exclude).add(extra);
        List<Policy> changed = new ArrayList<>(policies);
        changed.set(p, new Policy(target.name(), target.action(),
            new Rules(include, rules.require(), exclude)));
        boolean before = allowed(policies, subject);
        boolean after = allowed(changed, subject);
        assertThat(widens ? !before || after : before || !after)
            .as("case %d: %s, adding %s to %s of policy %d, for %s", i, policies, extra,
                slot, p, subject).isTrue();
      }
    });
  }

  @Test
  void addingAnExcludeToAGrantingPolicyNeverWidensAccess() {
    forEveryGrantingPolicy(Slot.EXCLUDE, false);
  }

  @Test
  void addingAnIncludeToAGrantingPolicyNeverNarrowsAccess() {
    forEveryGrantingPolicy(Slot.INCLUDE, true);
  }

  @Test
  void fileOrderAcrossActionClassesNeverMatters() {
    forAll((world, i) -> {
      List<Policy> policies = world.policies();
      Subject subject = world.subject();
      // Classes move as wholes (allow, then block, then bypass with service_auth); the order
      // inside a class is kept, since there the first match in file order decides.
      List<Policy> reordered = new ArrayList<>();
      policies.stream().filter(p -> p.action() == Action.ALLOW).forEach(reordered::add);
      policies.stream().filter(p -> p.action() == Action.BLOCK).forEach(reordered::add);
      policies.stream().filter(p -> p.action() == Action.BYPASS
          || p.action() == Action.SERVICE_AUTH).forEach(reordered::add);
      Decision a = engine.decide(app(policies), subject);
      Decision b = engine.decide(app(reordered), subject);
      assertThat(b.allowed()).as("case %d: %s for %s", i, policies, subject)
          .isEqualTo(a.allowed());
      assertThat(b.reason()).isEqualTo(a.reason());
    });
  }

  @Test
  void bypassAndServiceAuthPrecedeBlockWhichPrecedesAllow() {
    forAll((world, i) -> {
      List<Policy> policies = world.policies();
      Subject subject = world.subject();
      Decision decision = engine.decide(app(policies), subject);
      boolean bypass = policies.stream().anyMatch(p -> p.action() == Action.BYPASS
          && p.rules().evaluate(subject).matched());
      boolean service = subject.machine() && policies.stream().anyMatch(p ->
          p.action() == Action.SERVICE_AUTH && p.rules().evaluate(subject).matched());
      boolean block = subject.signedIn() && policies.stream().anyMatch(p ->
          p.action() == Action.BLOCK && p.rules().evaluate(subject).matched());
      String label = "case " + i + ": " + policies + " for " + subject;
      if (bypass || service) {
        assertThat(decision.allowed()).as(label).isTrue();
        assertThat(decision.action()).as(label).isIn(Action.BYPASS, Action.SERVICE_AUTH);
      } else if (block) {
        assertThat(decision.reason()).as(label).isEqualTo(Reason.POLICY_BLOCKED);
      }
    });
  }

  @Test
  void aRequestThatProvedNothingIsAllowedOnlyByBypass() {
    forAll((world, i) -> {
      List<Policy> policies = world.policies();
      Subject subject = Subject.anonymous(world.subject().clientAddress());
      Decision decision = engine.decide(app(policies), subject);
      assertThat(!decision.allowed() || decision.action() == Action.BYPASS)
          .as("case %d: %s", i, policies).isTrue();
    });
  }

  @Test
  void theGeneratorCoversEveryOutcome() {
    Set<Reason> seen = new java.util.HashSet<>();
    forAll((world, i) -> seen.add(engine.decide(app(world.policies()), world.subject())
        .reason()));
    assertThat(seen).contains(Reason.ALLOWED, Reason.BYPASSED, Reason.POLICY_BLOCKED,
        Reason.USER_UNAUTHORIZED, Reason.SERVICE_TOKEN_UNAUTHORIZED, Reason.USER_UNAUTHENTICATED);
  }
}
