package dev.portcullis.cli;

import dev.portcullis.config.ConfigException;
import dev.portcullis.config.ConfigLoader;
import dev.portcullis.config.PortcullisConfig;
import dev.portcullis.config.Problem;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code portcullis check}: validates a configuration file without starting anything. */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = "Check a configuration file. Exits 0 when it is valid; otherwise prints "
        + "every problem as FILE:LINE:COL: message and exits 1.")
final class CheckCommand implements Callable<Integer> {

  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
      description = "The configuration file.")
  Path config;

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    try {
      PortcullisConfig loaded = new ConfigLoader().load(config);
      int apps = loaded.applications().size();
      int idps = loaded.identityProviders().size();
      spec.commandLine().getOut().println(config + ": valid (" + apps
          + (apps == 1 ? " application, " : " applications, ") + idps
          + (idps == 1 ? " identity provider)" : " identity providers)"));
      return 0;
    } catch (ConfigException e) {
      for (Problem problem : e.problems()) {
        spec.commandLine().getErr().println(problem);
      }
      return 1;
    }
  }
}
