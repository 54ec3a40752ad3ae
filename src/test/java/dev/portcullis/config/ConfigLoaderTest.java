package dev.portcullis.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.portcullis.policy.Action;
import dev.portcullis.policy.Application;
import java.io.StringReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private static final Path FILE = Path.of("/etc/portcullis/portcullis.yaml");
  private static final String MINIMAL = """
      auth:
        url: https://auth.example.com
      smtp: { host: mail.example.com, from: access@example.com }
      identity_providers:
        - { id: email, type: onetimepin }
      applications:
        - name: grafana
          host: Grafana.Example.com.
          upstream: http://127.0.0.1:3000/
          policies:
            - { name: staff, action: allow, include: [ { email_domain: example.com } ] }
      """;

  private static PortcullisConfig load(String yaml) throws ConfigException {
    return load(yaml, Map.of());
  }

  private static PortcullisConfig load(String yaml, Map<String, String> env)
      throws ConfigException {
    return new ConfigLoader(env::get).load(FILE, new StringReader(yaml));
  }

  private static List<String> problems(String yaml) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> load(yaml));
    assertThat(e).as("the configuration should have been refused").isNotNull();
    return e.problems().stream().map(Problem::toString).toList();
  }

  @Test
  void minimalFileGetsTheDocumentedDefaults() throws Exception {
    PortcullisConfig config = load(MINIMAL);

    assertThat(config.listenHost()).isEqualTo("0.0.0.0");
    assertThat(config.listenPort()).isEqualTo(8080);
    assertThat(config.dataDir()).isEqualTo(Path.of("/etc/portcullis/data"));
    assertThat(config.storeUrl()).isEqualTo("jdbc:sqlite:/etc/portcullis/data/portcullis.db");
    assertThat(config.auth().sessionDuration()).isEqualTo(Duration.ofHours(24));
    assertThat(config.auth().secure()).isTrue();
    assertThat(config.smtp().orElseThrow().port()).isEqualTo(587);
    assertThat(config.smtp().orElseThrow().starttls())
        .isEqualTo(PortcullisConfig.StartTls.REQUIRED);
    Application app = config.applications().get(0);
    assertThat(app.host()).as("lower case, no trailing dot").isEqualTo("grafana.example.com");
    assertThat(app.upstream().toString()).isEqualTo("http://127.0.0.1:3000");
    assertThat(app.sessionDuration()).isNull();
    assertThat(app.upstreamTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(app.policies().get(0).action()).isEqualTo(Action.ALLOW);
  }

  @Test
  void environmentVariablesAreExpandedInValuesOnly() throws Exception {
    String yaml = MINIMAL.replace("smtp: { host: mail.example.com,",
        "smtp: { host: mail.example.com, username: u, password: \"${SMTP_PASSWORD}\",");

    PortcullisConfig config = load(yaml, Map.of("SMTP_PASSWORD", "s3cret: {x}"));

    assertThat(config.smtp().orElseThrow().password().reveal()).isEqualTo("s3cret: {x}");
    assertThat(config.smtp().orElseThrow().password().toString()).isEqualTo("Secret[set]")
        .doesNotContain("s3cret");
  }

  @Test
  void everyProblemIsReportedWithFileLineColumnAndKey() {
    String yaml = """
        listen: 8080
        auth:
          url: ftp://auth.example.com
          session_duration: 3x
        smtp:
          host: smtp.example.com
          from: not-an-email
          starttls: maybe
          pasword: x
        identity_providers:
          - { id: email, type: onetimepin }
          - { id: email, type: saml }
        applications:
          - name: grafana
            host: https://grafana.example.com
            upstream: http://127.0.0.1:3000
            policies:
              - name: staff
                action: permit
                include:
                  - email_domain: ["@example.com"]
                  - everyone: yes
                  - frobnicate: acme
              - name: nobody
                action: allow
                include: []
          - name: grafana
            host: grafana.example.com
            upstream: ${NOT_SET}
            polices: []
        """;

    assertThat(problems(yaml)).containsExactly(
        "/etc/portcullis/portcullis.yaml:1:9: listen: '8080' is not HOST:PORT (for example "
            + "0.0.0.0:8080, 127.0.0.1:8080 or [::1]:8080)",
        "/etc/portcullis/portcullis.yaml:3:8: auth.url: 'ftp://auth.example.com' is not an "
            + "http:// or https:// URL with a host",
        "/etc/portcullis/portcullis.yaml:4:21: auth.session_duration: '3x' is not a duration; "
            + "write a number and a unit, such as 30m, 24h or 7d",
        "/etc/portcullis/portcullis.yaml:7:9: smtp.from: 'not-an-email' is not an email address",
        "/etc/portcullis/portcullis.yaml:8:13: smtp.starttls: 'maybe' is not one of: none, "
            + "opportunistic, required",
        "/etc/portcullis/portcullis.yaml:9:3: unknown key 'smtp.pasword' (did you mean "
            + "'password'?); expected one of: host, port, username, password, from, starttls",
        "/etc/portcullis/portcullis.yaml:12:11: identity_providers[1].id: 'email' is used twice",
        "/etc/portcullis/portcullis.yaml:12:24: identity_providers[1].type: 'saml' is not "
            + "supported; expected one of: onetimepin, github, oidc",
        "/etc/portcullis/portcullis.yaml:15:11: applications[0].host: "
            + "'https://grafana.example.com' is not a host name (write it without scheme, port or "
            + "path, such as grafana.example.com, or *.example.com for any one label in front of "
            + "example.com)",
        "/etc/portcullis/portcullis.yaml:19:17: applications[0].policies[0].action: 'permit' is "
            + "not an action; expected allow, block, bypass or service_auth",
        "/etc/portcullis/portcullis.yaml:21:28: applications[0].policies[0].include[0]"
            + ".email_domain: '@example.com' is not a domain (write it without '@', such as "
            + "example.com)",
        "/etc/portcullis/portcullis.yaml:22:23: applications[0].policies[0].include[1].everyone: "
            + "must be true",
        "/etc/portcullis/portcullis.yaml:23:13: applications[0].policies[0].include[2]"
            + ".frobnicate: unknown selector 'frobnicate'; expected one of: everyone, email, "
            + "email_domain, email_list, ip, group, idp, github_org, github_team, oidc_claim, "
            + "oidc_group, service_token, any_service_token, certificate, common_name",
        "/etc/portcullis/portcullis.yaml:26:18: applications[0].policies[1].include: at least one "
            + "rule is needed",
        "/etc/portcullis/portcullis.yaml:27:5: missing key 'applications[1].policies' (without "
            + "a policy nobody may enter)",
        "/etc/portcullis/portcullis.yaml:27:11: applications[1].name: 'grafana' is used twice",
        "/etc/portcullis/portcullis.yaml:29:15: applications[1].upstream: environment variable "
            + "'NOT_SET' is not set",
        "/etc/portcullis/portcullis.yaml:30:5: unknown key 'applications[1].polices' (did you "
            + "mean 'policies'?); expected one of: name, host, path, upstream, upstream_timeout, "
            + "session_duration, identity_providers, allow_encoded_slashes, auto_redirect, cors, "
            + "relays, policies");
  }

  @Test
  void wrongTypesAreNamed() {
    String yaml = MINIMAL.replace("upstream: http://127.0.0.1:3000/",
        "upstream: [http://127.0.0.1:3000/]").replace("session_duration", "x");

    assertThat(problems(yaml)).containsExactly("/etc/portcullis/portcullis.yaml:9:15: "
        + "applications[0].upstream: expected a single value, found a list");
  }

  @Test
  void missingSectionsAreNamed() {
    assertThat(problems("listen: 127.0.0.1:9000\n")).containsExactly(
        "/etc/portcullis/portcullis.yaml:1:1: missing key 'auth' (with at least 'url', the auth "
            + "domain's address, such as https://auth.example.com)",
        "/etc/portcullis/portcullis.yaml:1:1: missing key 'identity_providers' (at least one, "
            + "such as { id: email, type: onetimepin })",
        "/etc/portcullis/portcullis.yaml:1:1: missing key 'applications' (the sites to protect)");
  }

  @Test
  void emptyAndMalformedFilesAreRefusedWithALocation() {
    assertThat(problems("")).containsExactly("/etc/portcullis/portcullis.yaml:1:1: the file is "
        + "empty; it needs at least 'auth' and 'applications'");
    assertThat(problems("auth: [unclosed\n")).hasSize(1).first().asString()
        .startsWith("/etc/portcullis/portcullis.yaml:1:16: invalid YAML:");
    assertThat(problems("- just\n- a list\n")).containsExactly(
        "/etc/portcullis/portcullis.yaml:1:1: the file: expected a mapping of keys, found a list");
  }

  @Test
  void duplicateKeysAreRefused() {
    assertThat(problems(MINIMAL + "auth:\n  url: https://other.example.com\n"))
        .containsExactly("/etc/portcullis/portcullis.yaml:12:1: duplicate key 'auth' (first "
            + "given at line 1)");
  }

  @Test
  void onetimepinWithoutSmtpNeedsConsoleDelivery() throws Exception {
    String noSmtp = MINIMAL.replace("smtp: { host: mail.example.com, from: access@example.com }\n",
        "");

    assertThat(problems(noSmtp)).containsExactly("/etc/portcullis/portcullis.yaml:4:5: "
        + "identity_providers[0]: a onetimepin provider needs the 'smtp' section to send codes "
        + "(or delivery: console, for trying Portcullis out)");
    assertThat(load(noSmtp.replace("type: onetimepin", "type: onetimepin, delivery: console"))
        .identityProviders().get(0).delivery()).isEqualTo(PortcullisConfig.Delivery.CONSOLE);
  }

  @Test
  void applicationHostMayNotBeTheAuthDomainOrRepeat() {
    String yaml = MINIMAL + """
          - name: again
            host: grafana.example.com
            upstream: http://127.0.0.1:3001
            policies: [ { name: p, action: allow, include: [ { everyone: true } ] } ]
          - name: auth
            host: AUTH.example.com
            upstream: http://127.0.0.1:3002
            policies: [ { name: p, action: allow, include: [ { everyone: true } ] } ]
        """;

    assertThat(problems(yaml)).containsExactly(
        "/etc/portcullis/portcullis.yaml:13:11: applications[1]: host 'grafana.example.com' "
            + "with path '/' is already used by application 'grafana'",
        "/etc/portcullis/portcullis.yaml:17:11: applications[2].host: 'AUTH.example.com' is the "
            + "auth domain's host");
  }

  @Test
  void durationsAcceptTheDocumentedUnits() {
    assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("15m")).isEqualTo(Duration.ofMinutes(15));
    assertThat(Durations.parse("24h")).isEqualTo(Duration.ofHours(24));
    assertThat(Durations.parse("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(Durations.parse("0s")).isNull();
    assertThat(Durations.parse("-5m")).isNull();
    assertThat(Durations.parse("5")).isNull();
    assertThat(Durations.parse("5 m")).isNull();
  }

  @Test
  void shippedExamplesLoad() throws Exception {
    assertThat(new ConfigLoader(name -> null).load(Path.of("examples/portcullis.yaml"))
        .applications()).hasSize(2);
    assertThat(new ConfigLoader(name -> null).load(Path.of("src/main/resources/demo.yaml"))
        .applications()).extracting(Application::name).containsExactly("whoami");
  }
  private static final String GROUPS_HEAD = """
      auth:
        url: https://auth.example.com
      identity_providers:
        - { id: email, type: onetimepin, delivery: console }
      """;

  @Test
  void groupCyclesAreRefusedAndNamed() {
    String yaml = GROUPS_HEAD + """
        groups:
          a:
            include: [ { group: b } ]
          b:
            include: [ { group: c } ]
          c:
            include: [ { group: a } ]
          fine:
            include: [ { everyone: true } ]
        applications:
          - name: app
            host: app.example.com
            upstream: http://127.0.0.1:1
            policies: [ { name: p, action: allow, include: [ { group: fine } ] } ]
        """;

    assertThat(problems(yaml)).containsExactly(
        "/etc/portcullis/portcullis.yaml:10:3: groups: cycle a -> b -> c -> a");
  }

  @Test
  void everySelectorIsParsedAndCrossReferencesAreChecked() throws Exception {
    String yaml = GROUPS_HEAD + """
        groups:
          staff: { include: [ { email_domain: Example.COM } ] }
        applications:
          - name: app
            host: app.example.com
            upstream: http://127.0.0.1:1
            policies:
              - name: all
                action: allow
                include:
                  - everyone: true
                  - email: Alice@Example.com
                  - email_domain: [example.com]
                  - ip: [10.0.0.0/8, "2001:db8::/32"]
                  - group: staff
                  - idp: email
                  - github_org: Acme
                  - github_team: acme/sre
                  - oidc_claim: { name: dept, value: eng }
                  - oidc_group: admins
                  - service_token: ci
                  - any_service_token: true
                  - certificate: true
                  - common_name: device-7
        """;

    var selectors = load(yaml).applications().get(0).policies().get(0).rules().include();

    assertThat(selectors).extracting(s -> s.getClass().getSimpleName()).containsExactly(
        "Everyone", "Email", "EmailDomain", "Ip", "GroupRef", "Idp", "GithubOrg", "GithubTeam",
        "OidcClaim", "OidcGroup", "ServiceToken", "AnyServiceToken", "Certificate",
        "CommonName");
    assertThat(selectors.get(1).describe()).isEqualTo("email in [alice@example.com]");
    assertThat(selectors.get(6).describe()).isEqualTo("GitHub organization in [acme]");

    String broken = yaml.replace("group: staff", "group: stuff").replace("idp: email",
        "idp: github").replace("github_team: acme/sre", "github_team: sre")
        .replace("ip: [10.0.0.0/8,", "ip: [10.0.0.0/33,");
    assertThat(problems(broken)).containsExactly(
        "/etc/portcullis/portcullis.yaml:18:18: applications[0].policies[0].include[3].ip: "
            + "'10.0.0.0/33' has a prefix length outside 0..32",
        "/etc/portcullis/portcullis.yaml:19:20: applications[0].policies[0].include[4].group: "
            + "no group is named 'stuff'; groups: staff",
        "/etc/portcullis/portcullis.yaml:20:18: applications[0].policies[0].include[5].idp: "
            + "'github' is not an identity provider id",
        "/etc/portcullis/portcullis.yaml:22:26: applications[0].policies[0].include[7]"
            + ".github_team: 'sre' is not a team written as org/team-slug");
  }

  @Test
  void emailListsAreReadRelativeToTheFileAndTheirBadLinesNamed(@TempDir Path dir)
      throws Exception {
    Path list = dir.resolve("staff.txt");
    java.nio.file.Files.writeString(list, "# staff\nAlice@Example.com\n\nnot-an-address\n");
    Path file = dir.resolve("portcullis.yaml");
    String yaml = GROUPS_HEAD + """
        applications:
          - name: app
            host: app.example.com
            upstream: http://127.0.0.1:1
            policies: [ { name: p, action: allow, include: [ { email_list: staff.txt } ] } ]
        """;

    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> new ConfigLoader(n -> null).load(file, new StringReader(yaml)));
    assertThat(e.problems()).extracting(Problem::toString).containsExactly(list + ":4:1: "
        + "'not-an-address' is not an email address (listed by applications[0].policies[0]"
        + ".include[0].email_list)");

    java.nio.file.Files.writeString(list, "Alice@Example.com\n");
    PortcullisConfig config = new ConfigLoader(n -> null).load(file, new StringReader(yaml));
    assertThat(config.emailLists()).containsExactly(list);
    assertThat(config.applications().get(0).policies().get(0).rules().include().get(0)
        .matches(dev.portcullis.policy.Subject.person("alice@example.com", "email", null)))
        .isTrue();
  }

  @Test
  void pathAndWildcardApplicationsAreValidated() {
    String yaml = GROUPS_HEAD + """
        applications:
          - name: a
            host: "*.example.com"
            path: /admin/
            upstream: http://127.0.0.1:1
            policies: [ { name: p, action: allow, include: [ { everyone: true } ] } ]
          - name: b
            host: "*.example.com"
            path: /admin
            upstream: http://127.0.0.1:1
            policies: [ { name: p, action: allow, include: [ { everyone: true } ] } ]
          - name: c
            host: "*.com"
            path: /x/../y
            upstream: http://127.0.0.1:1
            policies: [ { name: p, action: bypass, include: [ { everyone: true } ] } ]
        """;

    assertThat(problems(yaml)).containsExactly(
        "/etc/portcullis/portcullis.yaml:12:11: applications[1]: host '*.example.com' with "
            + "path '/admin' is already used by application 'a'",
        "/etc/portcullis/portcullis.yaml:17:11: applications[2].host: '*.com' is not a host "
            + "name (write it without scheme, port or path, such as grafana.example.com, or "
            + "*.example.com for any one label in front of example.com)",
        "/etc/portcullis/portcullis.yaml:18:11: applications[2].path: '/x/../y' is not a "
            + "normalized path; write '/y'");
  }
  @Test
  void clientSecretsComeFromTheEnvironmentOrAFileAndNeverShow(@TempDir Path dir)
      throws Exception {
    java.nio.file.Files.writeString(dir.resolve("github.secret"), "from-file\n");
    Path file = dir.resolve("portcullis.yaml");
    String yaml = GROUPS_HEAD + """
          - { id: github, type: github, client_id: a, client_secret_file: github.secret }
          - id: sso
            type: oidc
            issuer: https://login.example.com
            client_id: b
            client_secret: ${SSO_SECRET}
        applications:
          - name: app
            host: app.example.com
            upstream: http://127.0.0.1:1
            policies: [ { name: p, action: allow, include: [ { everyone: true } ] } ]
        """;

    PortcullisConfig config = new ConfigLoader(Map.of("SSO_SECRET", "from-env")::get)
        .load(file, new StringReader(yaml));

    assertThat(config.identityProvider("github").orElseThrow().oauth().clientSecret().reveal())
        .isEqualTo("from-file");
    assertThat(config.identityProvider("sso").orElseThrow().oauth().clientSecret().reveal())
        .isEqualTo("from-env");
    assertThat(config.identityProvider("sso").orElseThrow().toString())
        .doesNotContain("from-env");
    String both = yaml.replace("client_secret_file: github.secret",
        "client_secret_file: missing.secret, client_secret: x");
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> new ConfigLoader(Map.of("SSO_SECRET", "s")::get).load(file, new StringReader(
            both)));
    assertThat(e.problems()).extracting(Problem::message).containsExactly(
        "identity_providers[1]: give exactly one of 'client_secret' (use ${ENV_VAR}) or "
            + "'client_secret_file'");
  }
  @Test
  void providerUrlsMustBeHttpsUnlessOnThisMachineAndGithubUrlsComeInPairs() {
    String yaml = GROUPS_HEAD + """
          - { id: a, type: oidc, issuer: "http://idp.example.com", client_id: x,
              client_secret: y }
          - { id: b, type: oidc, issuer: "http://127.0.0.1:9000/x", client_id: x,
              client_secret: y }
          - { id: c, type: github, client_id: x, client_secret: y,
              web_url: "https://github.example.com" }
        applications:
          - name: app
            host: app.example.com
            upstream: http://127.0.0.1:1
            relays:
              - { path: /.portcullis/tunnel, kind: sentry_envelope, name: r, projects: ["4"] }
            policies: [ { name: p, action: allow, include: [ { everyone: true } ] } ]
        """;

    assertThat(problems(yaml)).containsExactly(
        "/etc/portcullis/portcullis.yaml:5:34: identity_providers[1].issuer: "
            + "'http://idp.example.com' must use https (plain http only for a provider on this "
            + "machine)",
        "/etc/portcullis/portcullis.yaml:9:5: identity_providers[3]: give both 'web_url' and "
            + "'api_url' (GitHub Enterprise Server) or neither (github.com)",
        "/etc/portcullis/portcullis.yaml:16:17: applications[0].relays[0].path: "
            + "'/.portcullis/tunnel' is under the reserved /.portcullis/ prefix");
  }
  @Test
  void corsEntriesAreCheckedWhereTheyAreWritten() {
    String yaml = GROUPS_HEAD + """
        applications:
          - name: app
            host: app.example.com
            upstream: http://127.0.0.1:1
            cors:
              allowed_origins: [https://app.example.com, "https://x.example.com:99999"]
              allowed_methods: [GET, TRACE, "BAD METHOD"]
              allowed_headers: [Content-Type]
              max_age: 2d
            policies: [ { name: p, action: allow, include: [ { everyone: true } ] } ]
        """;

    assertThat(problems(yaml)).containsExactly(
        "/etc/portcullis/portcullis.yaml:10:50: applications[0].cors.allowed_origins: "
            + "'https://x.example.com:99999' is not an origin; write SCHEME://HOST or "
            + "SCHEME://HOST:PORT, without path, such as https://app.example.com",
        "/etc/portcullis/portcullis.yaml:11:30: applications[0].cors.allowed_methods: 'TRACE' "
            + "is never served by Portcullis",
        "/etc/portcullis/portcullis.yaml:11:37: applications[0].cors.allowed_methods: "
            + "'BAD METHOD' is not a method",
        "/etc/portcullis/portcullis.yaml:13:16: applications[0].cors.max_age: at most 24h "
            + "(browsers cap it lower still)");
  }
}
