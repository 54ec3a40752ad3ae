package dev.portcullis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code portcullis policy test}, in-process, over the shipped policy examples. */
class PolicyCommandTest {
  private static final String CONFIG = "examples/policies.yaml";

  @TempDir
  Path dir;

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return new Run(cli.execute(args), out.toString(), err.toString());
  }

  @Test
  void anAllowedRequestExitsZeroAndNamesThePolicy() {
    Run run = run("policy", "test", "--config", CONFIG, "--url",
        "https://grafana.example.com/d/1", "--email", "Alice@Example.com");

    assertThat(run.exit()).isZero();
    assertThat(run.out()).isEqualTo("""
        url:         https://grafana.example.com/d/1
        application: grafana (grafana.example.com)
        path:        /d/1
        decision:    allow (allowed, policy 'staff')
        because:     allowed by policy 'staff'
          allow 'staff': matched group staff
        """);
  }

  @Test
  void aDeniedRequestExitsThreeAndExplainsEveryPolicy() {
    Run run = run("policy", "test", "--config", CONFIG, "--url", "https://admin.example.com/",
        "--email", "bob@example.com", "--ip", "198.51.100.7");

    assertThat(run.exit()).isEqualTo(3);
    assertThat(run.out()).contains("decision:    deny (user-unauthorized)")
        .contains("block 'leavers': no include rule matched (email in [leaver@example.com])")
        .contains("allow 'on-call-from-the-office': no include rule matched (group on-call: "
            + "require rule failed (group office: no include rule matched (client address in "
            + "[203.0.113.0/24, 2001:db8:1::/48])))");
  }

  @Test
  void theShippedCasesFilePasses() {
    Run run = run("policy", "test", "--config", CONFIG, "--cases",
        "examples/policies.cases.yaml");

    assertThat(run.exit()).as(run.out() + run.err()).isZero();
    assertThat(run.out()).endsWith("15 passed, 0 failed\n");
  }

  @Test
  void everyMismatchIsReportedAndTheExitIsThree() throws Exception {
    Path cases = dir.resolve("cases.yaml");
    Files.writeString(cases, """
        cases:
          - name: right
            url: https://grafana.example.com/
            email: alice@example.com
            expect: allow
          - name: wrong outcome
            url: https://grafana.example.com/
            email: mallory@elsewhere.test
            expect: allow
          - name: wrong reason
            url: https://admin.example.com/
            email: leaver@example.com
            ip: 203.0.113.7
            expect: deny
            reason: user-unauthorized
        """);

    Run run = run("policy", "test", "--config", CONFIG, "--cases", cases.toString());

    assertThat(run.exit()).isEqualTo(3);
    assertThat(run.out()).contains("ok    case 1 'right'")
        .contains("FAIL  case 2 'wrong outcome': expected allow, got deny (user-unauthorized)")
        .contains("FAIL  case 3 'wrong reason': expected deny (user-unauthorized), got deny "
            + "(policy-blocked)")
        .endsWith("1 passed, 2 failed\n");
  }

  @Test
  void aCasesFileWithAnUnknownKeyIsRefusedWithItsLocation() throws Exception {
    Path cases = dir.resolve("cases.yaml");
    Files.writeString(cases, """
        cases:
          - url: https://grafana.example.com/
            emial: alice@example.com
            expect: allow
        """);

    Run run = run("policy", "test", "--config", CONFIG, "--cases", cases.toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).startsWith(cases + ":3:").endsWith(": unknown key 'emial' (did you "
        + "mean 'email'?); expected one of: name, "
        + "url, email, idp, groups, github_orgs, github_teams, ip, service_token, claims, "
        + "certificate, expect, reason\n");
  }

  @Test
  void anUnknownHostIsADenialNotACrash() {
    Run run = run("policy", "test", "--config", CONFIG, "--url", "https://nope.example.com/",
        "--email", "alice@example.com");

    assertThat(run.exit()).isEqualTo(3);
    assertThat(run.out()).contains("decision:    deny (app-not-found)");
  }
}
