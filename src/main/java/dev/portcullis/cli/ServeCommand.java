package dev.portcullis.cli;

import dev.portcullis.config.ConfigException;
import dev.portcullis.config.ConfigLoader;
import dev.portcullis.config.PortcullisConfig;
import dev.portcullis.config.Problem;
import dev.portcullis.gateway.Gateway;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code portcullis serve}: runs the gateway until stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run Portcullis with a configuration file until stopped (Ctrl-C or SIGTERM).")
final class ServeCommand implements Callable<Integer> {

  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
      description = "The configuration file.")
  Path config;

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    PortcullisConfig loaded;
    try {
      loaded = new ConfigLoader().load(config);
    } catch (ConfigException e) {
      e.problems().stream().map(Problem::toString).forEach(spec.commandLine().getErr()::println);
      return 1;
    }
    return run(loaded, spec.commandLine().getErr(), null);
  }

  /**
   * Starts the gateway and blocks until the JVM is asked to stop.
   *
   * @param banner printed once the server listens; null for none
   */
  static int run(PortcullisConfig config, PrintWriter err, String banner)
      throws InterruptedException {
    Vertx vertx = Vertx.vertx();
    PrintStream console = System.out;
    Gateway gateway;
    try {
      gateway = Gateway.start(vertx, config, Gateway.Options.defaults(console)).await();
    } catch (Exception e) {
      err.println("portcullis: cannot start: " + describe(e));
      vertx.close();
      return 2;
    }
    if (banner != null) {
      console.println(banner);
    }
    reloadOnHangup(gateway);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // Two separate waits, each bounded: the second future completes on an event loop that
      // closing Vert.x shuts down, so it is never chained after the first.
      awaitQuietly(gateway.close(), STOP_TIMEOUT);
      awaitQuietly(vertx.close(), STOP_TIMEOUT);
      stopped.countDown();
    }, "portcullis-shutdown"));
    stopped.await();
    return 0;
  }

  /** Requests under way get this long to finish when Portcullis is asked to stop. */
  private static final java.time.Duration STOP_TIMEOUT = java.time.Duration.ofSeconds(15);

  private static void awaitQuietly(io.vertx.core.Future<Void> future,
      java.time.Duration timeout) {
    try {
      future.toCompletionStage().toCompletableFuture()
          .get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (Exception stopping) {
      // Stopping anyway: a slow or failed close must not keep the process alive.
    }
  }

  /** SIGHUP reloads the configuration, as for most Unix daemons. */
  private static void reloadOnHangup(Gateway gateway) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> gateway.reload());
    } catch (IllegalArgumentException unsupported) {
      // No SIGHUP on this platform: the file watch still reloads.
    }
  }

  private static String describe(Throwable e) {
    StringBuilder out = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable cause = e.getCause(); cause != null && cause != e; cause = cause.getCause()) {
      out.append(": ").append(cause.getMessage());
      e = cause;
    }
    return out.toString();
  }
}
