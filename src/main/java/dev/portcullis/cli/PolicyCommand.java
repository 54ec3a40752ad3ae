package dev.portcullis.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.portcullis.config.ConfigException;
import dev.portcullis.config.ConfigLoader;
import dev.portcullis.config.PortcullisConfig;
import dev.portcullis.config.Problem;
import dev.portcullis.policy.PolicyTester;
import dev.portcullis.policy.Subject;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code portcullis policy}: work with policies without a running server. */
@Command(name = "policy", mixinStandardHelpOptions = true,
    description = "Test and explain access policies.",
    subcommands = {PolicyCommand.Test.class})
final class PolicyCommand implements Runnable {
  /** Exit code of a denial or of a cases file with mismatches; 0 is allow, 1 a bad file. */
  static final int DENIED = 3;

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "test", mixinStandardHelpOptions = true,
      description = {"Decide one request and explain the decision, or run a cases file.",
          "Exit codes: 0 allow (or every case as expected), 3 deny (or a case mismatched), "
              + "1 a configuration or cases file with problems, 2 a usage error."})
  static final class Test implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
        description = "The configuration file.")
    Path config;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    static final class Mode {
      @Option(names = "--url", paramLabel = "URL", description = "The request's URL.")
      String url;

      @Option(names = "--cases", paramLabel = "CASES.yaml",
          description = "A YAML file of requests and expected decisions.")
      Path cases;
    }

    @Option(names = "--email", paramLabel = "E", description = "The signed-in email.")
    String email;

    @Option(names = "--idp", paramLabel = "ID",
        description = "The identity provider used (default: the first configured).")
    String idp;

    @Option(names = "--group", paramLabel = "G",
        description = "A group the identity provider reports (oidc_group).")
    List<String> groups = new ArrayList<>();

    @Option(names = "--github-org", paramLabel = "O", description = "A GitHub organization.")
    List<String> githubOrgs = new ArrayList<>();

    @Option(names = "--github-team", paramLabel = "ORG/TEAM", description = "A GitHub team.")
    List<String> githubTeams = new ArrayList<>();

    @Option(names = "--ip", paramLabel = "A", description = "The client address "
        + "(default 127.0.0.1).")
    String ip;

    @Option(names = "--service-token", paramLabel = "NAME",
        description = "A verified service token's name.")
    String serviceToken;

    @Option(names = "--claim", paramLabel = "K=V",
        description = "An identity provider claim; repeat a name for an array claim.")
    List<String> claims = new ArrayList<>();

    @Option(names = "--certificate", paramLabel = "CN",
        description = "A verified client certificate with this common name.")
    String certificate;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      PortcullisConfig loaded;
      try {
        loaded = new ConfigLoader().load(config);
      } catch (ConfigException e) {
        e.problems().stream().map(Problem::toString).forEach(err::println);
        return 1;
      }
      PolicyTester tester = new PolicyTester(loaded.applications());
      String defaultIdp = loaded.identityProviders().isEmpty() ? null
          : loaded.identityProviders().get(0).id();
      if (mode.cases != null) {
        return runCases(tester, defaultIdp, out, err);
      }
      try {
        Subject subject = subject(email, idp == null ? defaultIdp : idp, groups, githubOrgs,
            githubTeams, ip, serviceToken, claims, certificate);
        PolicyTester.Outcome outcome = tester.test(mode.url, subject);
        print(out, mode.url, outcome);
        return outcome.allowed() ? 0 : DENIED;
      } catch (IllegalArgumentException e) {
        err.println("portcullis policy test: " + e.getMessage());
        return 2;
      }
    }

    private static void print(PrintWriter out, String url, PolicyTester.Outcome outcome) {
      var decision = outcome.decision();
      out.println("url:         " + url);
      out.println("application: " + (outcome.application() == null ? "none"
          : outcome.application().name() + " (" + outcome.application().host()
              + (outcome.application().pathPrefix().equals("/") ? ""
                  : " " + outcome.application().pathPrefix()) + ")"));
      if (outcome.path() != null) {
        out.println("path:        " + outcome.path());
      }
      out.println("decision:    " + outcomeWord(decision) + " (" + decision.reason().code()
          + (decision.policy() == null ? "" : ", policy '" + decision.policy() + "'") + ")");
      out.println("because:     " + decision.summary());
      for (String step : decision.trace()) {
        out.println("  " + step);
      }
    }

    /**
     * One expected decision in a cases file. A plain bean rather than a record: Jackson then
     * reports an unknown key at its own line instead of at the end of the case.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    static final class Case {
      public String name;
      public String url;
      public String email;
      public String idp;
      public List<String> groups;
      public List<String> githubOrgs;
      public List<String> githubTeams;
      public String ip;
      public String serviceToken;
      public Map<String, Object> claims;
      public String certificate;
      public String expect;
      public String reason;
    }

    static final class CasesFile {
      public List<Case> cases;
    }

    private static final String CASE_KEYS = "name, url, email, idp, groups, github_orgs, "
        + "github_teams, ip, service_token, claims, certificate, expect, reason";

    private int runCases(PolicyTester tester, String defaultIdp, PrintWriter out,
        PrintWriter err) {
      CasesFile file;
      try {
        file = new ObjectMapper(new YAMLFactory())
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
            .readValue(mode.cases.toFile(), CasesFile.class);
      } catch (JsonMappingException e) {
        var at = e.getLocation();
        String message = e instanceof UnrecognizedPropertyException unknown
            ? unknownKey(unknown.getPropertyName(),
                unknown.getReferringClass() == CasesFile.class ? "cases" : CASE_KEYS)
            : "not a cases file: expected 'cases', a list of requests with 'url' and 'expect'";
        err.println(mode.cases + ":" + (at == null ? 1 : at.getLineNr()) + ":"
            + (at == null ? 1 : at.getColumnNr()) + ": " + message);
        return 1;
      } catch (IOException e) {
        err.println(mode.cases + ":1:1: cannot read: " + e.getMessage());
        return 1;
      }
      if (file == null || file.cases == null || file.cases.isEmpty()) {
        err.println(mode.cases + ":1:1: no cases (expected a 'cases' list)");
        return 1;
      }
      int mismatches = 0;
      for (int i = 0; i < file.cases.size(); i++) {
        Case c = file.cases.get(i);
        String label = "case " + (i + 1) + (c.name == null ? "" : " '" + c.name + "'");
        if (c.url == null || c.expect == null
            || !List.of("allow", "deny", "bypass").contains(c.expect)) {
          err.println(label + ": needs 'url' and 'expect' (allow, bypass or deny)");
          return 1;
        }
        PolicyTester.Outcome outcome;
        try {
          outcome = tester.test(c.url, subject(c.email,
              c.idp == null ? defaultIdp : c.idp, orEmpty(c.groups),
              orEmpty(c.githubOrgs), orEmpty(c.githubTeams), c.ip, c.serviceToken,
              claimList(c.claims), c.certificate));
        } catch (IllegalArgumentException e) {
          err.println(label + ": " + e.getMessage());
          return 1;
        }
        var decision = outcome.decision();
        String got = outcomeWord(decision);
        boolean matches = got.equals(c.expect)
            && (c.reason == null || c.reason.equals(decision.reason().code()));
        if (matches) {
          out.println("ok    " + label);
        } else {
          mismatches++;
          out.println("FAIL  " + label + ": expected " + c.expect
              + (c.reason == null ? "" : " (" + c.reason + ")") + ", got " + got + " ("
              + decision.reason().code() + "): " + decision.summary());
          for (String step : decision.trace()) {
            out.println("        " + step);
          }
        }
      }
      out.println(file.cases.size() - mismatches + " passed, " + mismatches + " failed");
      return mismatches == 0 ? 0 : DENIED;
    }

    /** allow, deny, or bypass for a request that needs no sign-in (bypass policy or relay). */
    private static String outcomeWord(dev.portcullis.policy.Decision decision) {
      if (!decision.allowed()) {
        return "deny";
      }
      return decision.bypassed()
          || decision.reason() == dev.portcullis.policy.Reason.RELAYED ? "bypass" : "allow";
    }

    private static String unknownKey(String key, String expected) {
      String suggestion = ConfigLoader.suggestion(key, expected.split(", "));
      return "unknown key '" + key + "'" + (suggestion == null ? ""
          : " (did you mean '" + suggestion + "'?)") + "; expected one of: " + expected;
    }

    private static List<String> orEmpty(List<String> values) {
      return values == null ? List.of() : values;
    }

    private static List<String> claimList(Map<String, Object> claims) {
      List<String> out = new ArrayList<>();
      if (claims != null) {
        claims.forEach((k, v) -> {
          if (v instanceof List<?> list) {
            list.forEach(item -> out.add(k + "=" + item));
          } else {
            out.add(k + "=" + v);
          }
        });
      }
      return out;
    }

    static Subject subject(String email, String idp, List<String> groups,
        List<String> githubOrgs, List<String> githubTeams, String ip, String serviceToken,
        List<String> claims, String certificate) {
      Map<String, List<String>> claimMap = new HashMap<>();
      for (String claim : claims) {
        int eq = claim.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("--claim '" + claim + "' is not NAME=VALUE");
        }
        claimMap.computeIfAbsent(claim.substring(0, eq), k -> new ArrayList<>())
            .add(claim.substring(eq + 1));
      }
      Subject.Builder builder = Subject.builder()
          .email(email)
          .idp(email == null ? null : idp)
          .groups(new LinkedHashSet<>(groups))
          .githubOrgs(new LinkedHashSet<>(githubOrgs))
          .githubTeams(new LinkedHashSet<>(githubTeams))
          .claims(claimMap)
          .serviceToken(serviceToken)
          .clientAddress(address(ip == null ? "127.0.0.1" : ip));
      if (certificate != null) {
        builder.certificate(certificate);
      }
      return builder.build();
    }

    private static InetAddress address(String literal) {
      InetAddress address = dev.portcullis.policy.Cidr.literal(literal);
      if (address == null) {
        throw new IllegalArgumentException("--ip '" + literal + "' is not an IP address");
      }
      return address;
    }
  }
}
