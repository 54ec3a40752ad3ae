package dev.portcullis.bench;

import dev.portcullis.bench.Workload.Request;
import dev.portcullis.config.ConfigLoader;
import dev.portcullis.config.PortcullisConfig;
import dev.portcullis.policy.Application;
import dev.portcullis.policy.Applications;
import dev.portcullis.policy.Decision;
import dev.portcullis.policy.PolicyEngine;
import dev.portcullis.policy.Reason;
import dev.portcullis.policy.RequestPath;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The cost of one access decision with {@value Workload#APPLICATIONS} applications of ten policies
 * each (issue 3, item 10: under 2 µs on a 2-core machine).
 *
 * <p>The configuration is generated as YAML and read by the real {@link ConfigLoader}, so the
 * selectors, groups and indexes measured are the ones production compiles. Each invocation takes
 * the next of {@value Workload#REQUESTS} precomputed requests, which differ in host, path and
 * subject, so the JIT can neither fold the answer nor learn one branch. Finding the application
 * and deciding are measured; building the subject and writing the access log are not, except for
 * the trace, which {@link #decideAndJoinTrace} joins as the access log does.
 *
 * <p>The defaults (one fork, 3 warm-up and 5 measured one-second iterations) keep a run of every
 * benchmark under a minute on two cores; JMH's own options override them
 * ({@code -f 3 -wi 5 -i 10}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PolicyDecisionBenchmark {
  private static final int MASK = Workload.REQUESTS - 1;

  private Applications applications;
  private PolicyEngine engine;
  private Request[] people;
  private Request[] machines;
  private int nextPerson;
  private int nextMachine;

  @Setup(Level.Trial)
  public void load() throws Exception {
    // The path only names the file in error messages; nothing is read from disk.
    PortcullisConfig config = new ConfigLoader(name -> null)
        .load(Path.of("bench-portcullis.yaml"), new StringReader(Workload.configuration()));
    applications = new Applications(config.applications());
    engine = new PolicyEngine();
    people = Workload.people();
    machines = Workload.machines();
    checkMix("people", people, true);
    checkMix("machines", machines, false);
  }

  /** Finds the application and decides, for a signed-in person. */
  @Benchmark
  public void decide(Blackhole blackhole) {
    Request request = people[nextPerson];
    nextPerson = (nextPerson + 1) & MASK;
    Application app = applications.find(request.host(), request.path()).orElseThrow();
    blackhole.consume(engine.decide(app, request.subject()));
  }

  /**
   * What the gateway does from the raw path on: normalize it keeping encoded slashes, find the
   * application, normalize again when the application refuses encoded slashes (none here
   * allows them), then decide.
   */
  @Benchmark
  public void normalizeAndDecide(Blackhole blackhole) {
    Request request = people[nextPerson];
    nextPerson = (nextPerson + 1) & MASK;
    RequestPath.Normalized path = (RequestPath.Normalized) RequestPath.normalize(
        request.rawPath(), true);
    Application app = applications.find(request.host(), path.path()).orElseThrow();
    if (!app.allowEncodedSlashes()) {
      blackhole.consume(RequestPath.normalize(request.rawPath(), false));
    }
    blackhole.consume(engine.decide(app, request.subject()));
  }

  /**
   * {@link #decide} plus what the gateway does with the trace on every request: the access log
   * joins it into one field. Kept apart so that a trace made lazier in the engine cannot look
   * like a saving that the access log then pays back.
   */
  @Benchmark
  public void decideAndJoinTrace(Blackhole blackhole) {
    Request request = people[nextPerson];
    nextPerson = (nextPerson + 1) & MASK;
    Application app = applications.find(request.host(), request.path()).orElseThrow();
    Decision decision = engine.decide(app, request.subject());
    blackhole.consume(String.join("; ", decision.trace()));
  }

  /** Finds the application and decides, for a request carrying a service token. */
  @Benchmark
  public void decideServiceToken(Blackhole blackhole) {
    Request request = machines[nextMachine];
    nextMachine = (nextMachine + 1) & MASK;
    Application app = applications.find(request.host(), request.path()).orElseThrow();
    blackhole.consume(engine.decide(app, request.subject()));
  }

  /**
   * Decides every request once and refuses to measure a workload that is nearly all one answer,
   * which would measure one branch of the engine instead of its mix.
   */
  private void checkMix(String name, Request[] requests, boolean expectBlocks) {
    Map<Reason, Integer> reasons = new EnumMap<>(Reason.class);
    int allowed = 0;
    for (Request request : requests) {
      Application app = applications.find(request.host(), request.path()).orElseThrow(
          () -> new IllegalStateException("no application for " + request.host()
              + request.path()));
      Decision decision = engine.decide(app, request.subject());
      reasons.merge(decision.reason(), 1, Integer::sum);
      allowed += decision.allowed() ? 1 : 0;
    }
    int denied = requests.length - allowed;
    if (allowed < requests.length / 4 || denied < requests.length / 4
        || expectBlocks && !reasons.containsKey(Reason.POLICY_BLOCKED)) {
      throw new IllegalStateException(name + ": the workload lost its mix: " + reasons);
    }
    // Printed by the forked VM once per trial, so a reader of the results sees the mix.
    System.out.println(name + ": " + allowed + " allowed, " + denied + " denied " + reasons);
  }
}
