package dev.portcullis.cli;

import dev.portcullis.config.ConfigException;
import dev.portcullis.config.ConfigLoader;
import dev.portcullis.config.Durations;
import dev.portcullis.config.PortcullisConfig;
import dev.portcullis.config.Problem;
import dev.portcullis.machine.ServiceTokenException;
import dev.portcullis.machine.ServiceTokens;
import dev.portcullis.store.DataDirectory;
import dev.portcullis.store.JdbcStore;
import dev.portcullis.store.StoreException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code portcullis token}: service tokens for machines. Works on the store named by the
 * configuration; a running server sees changes within seconds. Secrets are printed once, at
 * creation and rotation, and never stored or shown again.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
    description = "Create, list, rotate and revoke service tokens for machine clients.",
    subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class,
        TokenCommand.Revoke.class, TokenCommand.Rotate.class})
final class TokenCommand implements Runnable {
  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Parses durations the way the configuration writes them. */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Duration parsed = Durations.parse(value);
      if (parsed == null) {
        throw new IllegalArgumentException("'" + value + "' is not a duration such as 90d or "
            + "24h");
      }
      return parsed;
    }
  }

  /** Like {@link DurationConverter}, and {@code 0s}: a leaked secret must stop at once. */
  static final class GraceConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return value.matches("0+(ms|s|m|h|d)?") ? Duration.ZERO
          : new DurationConverter().convert(value);
    }
  }

  /** What every subcommand shares: the configuration, and running against its store. */
  abstract static class StoreCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
        description = "The configuration file (for its store).")
    Path config;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      PortcullisConfig loaded;
      try {
        loaded = new ConfigLoader().load(config);
      } catch (ConfigException e) {
        e.problems().stream().map(Problem::toString).forEach(err::println);
        return 1;
      }
      try {
        DataDirectory.prepare(loaded.dataDir());
      } catch (IOException e) {
        err.println("portcullis token: cannot prepare " + loaded.dataDir() + ": "
            + e.getMessage());
        return 1;
      }
      try (JdbcStore store = JdbcStore.open(loaded.storeUrl())) {
        return run(new ServiceTokens(store, Clock.systemUTC()), spec.commandLine().getOut());
      } catch (ServiceTokenException e) {
        err.println("portcullis token: " + e.getMessage());
        return 1;
      } catch (StoreException e) {
        err.println("portcullis token: " + e.getMessage() + (e.getCause() == null ? ""
            : ": " + e.getCause().getMessage()));
        return 1;
      }
    }

    abstract int run(ServiceTokens tokens, PrintWriter out);
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create a token and print its client id and secret, once.")
  static final class Create extends StoreCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The token's name, as "
        + "service_token rules name it (lower-case letters, digits, '-', '_').")
    String name;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "365d",
        converter = DurationConverter.class,
        description = "How long the token is valid (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Override
    int run(ServiceTokens tokens, PrintWriter out) {
      ServiceTokens.Issued issued = tokens.create(name, duration);
      printSecret(out, issued, "Created");
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List tokens: name, client id, state, created, expires, last used.")
  static final class ListTokens extends StoreCommand {
    @Override
    int run(ServiceTokens tokens, PrintWriter out) {
      out.printf("%-24s %-42s %-8s %-20s %-20s %s%n", "NAME", "CLIENT ID", "STATE", "CREATED",
          "EXPIRES", "LAST USED");
      for (ServiceTokens.TokenInfo t : tokens.list()) {
        out.printf("%-24s %-42s %-8s %-20s %-20s %s%n", t.name(), t.clientId(),
            t.state().code(), time(t.createdAt()), time(t.expiresAt()),
            t.lastUsedAt() == null ? "never" : time(t.lastUsedAt()));
      }
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Revoke a token; running servers refuse it within seconds.")
  static final class Revoke extends StoreCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    int run(ServiceTokens tokens, PrintWriter out) {
      tokens.revoke(name);
      out.println("Revoked " + name + ".");
      return 0;
    }
  }

  @Command(name = "rotate", mixinStandardHelpOptions = true,
      description = "Give a token a new secret; the old one keeps working for the grace period.")
  static final class Rotate extends StoreCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "24h",
        converter = GraceConverter.class,
        description = "How long the old secret keeps working (default: ${DEFAULT-VALUE}; 0s "
            + "ends it at once, for a leaked secret).")
    Duration grace;

    @Override
    int run(ServiceTokens tokens, PrintWriter out) {
      ServiceTokens.Issued issued = tokens.rotate(name, grace);
      printSecret(out, issued, "Rotated");
      out.println("The previous secret works until " + time(issued.previousValidUntil())
          + ".");
      return 0;
    }
  }

  private static void printSecret(PrintWriter out, ServiceTokens.Issued issued, String what) {
    out.println(what + " service token " + issued.name() + ", valid until "
        + time(issued.expiresAt()) + ".");
    out.println("Send both headers with every request (the secret is not shown again):");
    out.println("  Portcullis-Client-Id: " + issued.clientId());
    out.println("  Portcullis-Client-Secret: " + issued.secret());
  }

  private static String time(Instant instant) {
    return instant == null ? "-" : instant.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
        .toString();
  }
}
