package dev.portcullis.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code portcullis} command. */
@Command(
    name = "portcullis",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Self-hosted, identity-aware access gateway.",
    subcommands = {ServeCommand.class, CheckCommand.class, DemoCommand.class,
        PolicyCommand.class, TokenCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line, for tests that run commands in-process. */
  public static CommandLine commandLine() {
    return new CommandLine(new Main());
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
