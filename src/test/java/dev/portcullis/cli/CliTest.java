package dev.portcullis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line, run in-process with captured output. */
class CliTest {
  @TempDir
  Path dir;

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void checkAcceptsTheShippedExample() {
    Run run = run("check", "--config", "examples/portcullis.yaml");

    assertThat(run.exit()).isZero();
    assertThat(run.out()).isEqualTo("examples/portcullis.yaml: valid (2 applications, 1 "
        + "identity provider)\n");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void checkPrintsEveryProblemOnItsOwnLineAndExits1() throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, """
        auth:
          url: https://auth.example.com
          sesion_duration: 8h
        identity_providers:
          - { id: email, type: onetimepin, delivery: console }
        applications:
          - name: app
            host: app.example.com
            upstream: http://127.0.0.1:1
            policies: [ { name: p, action: maybe, include: [ { everyone: true } ] } ]
        """);

    Run run = run("check", "--config", file.toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().lines()).containsExactly(
        file + ":3:3: unknown key 'auth.sesion_duration' (did you mean 'session_duration'?); "
            + "expected one of: url, session_duration",
        file + ":10:36: applications[0].policies[0].action: 'maybe' is not an action; expected "
            + "allow, block, bypass or service_auth");
  }

  @Test
  void checkOfAMissingFileSaysSo() {
    Run run = run("check", "--config", dir.resolve("nope.yaml").toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).isEqualTo(dir.resolve("nope.yaml") + ":1:1: file not found\n");
  }

  @Test
  void everyCommandHasHelpAndTheToolHasAVersion() {
    for (String command : new String[] {"serve", "check", "demo"}) {
      Run run = run(command, "--help");
      assertThat(run.exit()).as(command).isZero();
      assertThat(run.out()).as(command).startsWith("Usage: portcullis " + command);
    }
    Run version = run("--version");
    assertThat(version.exit()).isZero();
    assertThat(version.out()).startsWith("portcullis ");
  }

  @Test
  void serveRefusesABadConfigurationBeforeBinding() throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "auth: {}\n");

    Run run = run("serve", "--config", file.toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains(file + ":1:7: missing key 'auth.url'");
  }
}
