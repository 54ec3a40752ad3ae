package dev.portcullis.cli;

import dev.portcullis.config.ConfigException;
import dev.portcullis.config.ConfigLoader;
import dev.portcullis.config.PortcullisConfig;
import dev.portcullis.config.Problem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code portcullis demo}: the whole login flow with nothing else installed. Writes a
 * configuration under {@code data/demo/} when there is none (an edited one is kept), serves the
 * auth domain and a built-in whoami application on localhost, and shows PINs in the console and
 * on the demo outbox page instead of mailing them.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Try Portcullis: serves http://auth.localhost:8080 and an application at "
        + "http://whoami.localhost:8080 that shows what it receives; sign-in codes appear in the "
        + "console.")
final class DemoCommand implements Callable<Integer> {

  @Option(names = "--dir", paramLabel = "DIR", defaultValue = "data/demo",
      description = "Where the demo keeps its configuration and data (default: ${DEFAULT-VALUE}).")
  Path dir;

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Path file = dir.resolve("portcullis.yaml");
    if (!Files.exists(file)) {
      Files.createDirectories(dir);
      try (InputStream template = DemoCommand.class.getResourceAsStream("/demo.yaml")) {
        Files.copy(template, file);
      }
      spec.commandLine().getOut().println("Wrote " + file + "; edit it and run the demo again "
          + "to try other policies.");
    }
    PortcullisConfig config;
    try {
      config = new ConfigLoader().load(file);
    } catch (ConfigException e) {
      e.problems().stream().map(Problem::toString).forEach(spec.commandLine().getErr()::println);
      return 1;
    }
    String auth = config.auth().url().toString();
    String banner = String.join("\n",
        "",
        "Portcullis demo is running.",
        "  1. Open http://whoami.localhost:" + config.listenPort() + "/ in your browser.",
        "  2. Sign in with any address at example.com (for example you@example.com).",
        "  3. The code appears here and at " + auth + "/demo/outbox",
        "  4. whoami shows the identity headers Portcullis added, the signed assertion among them.",
        "Stop with Ctrl-C. Configuration: " + file.toAbsolutePath(),
        "");
    return ServeCommand.run(config, spec.commandLine().getErr(), banner);
  }
}
