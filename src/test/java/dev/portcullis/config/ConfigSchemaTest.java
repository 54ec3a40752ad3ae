package dev.portcullis.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Keeps {@code schema/portcullis.schema.json}, which editors use to complete and check
 * configuration files, in agreement with {@link ConfigLoader}, which is the truth. Every shipped
 * example must pass both; one document that uses every key and selector must pass both, and each
 * of its keys misspelt must fail both; small broken files must fail both. What only one side can
 * judge is written down as its own table, so that a change to either side shows up here.
 *
 * <p>The schema sees YAML as Jackson reads it, YAML 1.1 scalars included ({@code yes} is a
 * boolean), where editors read YAML 1.2 ({@code yes} is a string). The loader refuses {@code yes}
 * wherever it wants a boolean, so either reading agrees with it there.
 */
class ConfigSchemaTest {
  private static final Path SCHEMA_FILE = Path.of("schema/portcullis.schema.json");
  private static final String DRAFT_7 = "http://json-schema.org/draft-07/schema#";
  /** The first line of every example; yaml-language-server reads it to find the schema. */
  private static final String MODELINE = "# yaml-language-server: $schema=";
  /** `portcullis demo` copies demo.yaml to this directory (its --dir default). */
  private static final Path DEMO_COPY_DIR = Path.of("data/demo");
  private static final Path DEMO_TEMPLATE = Path.of("src/main/resources/demo.yaml");

  /** A key no mapping has and none is spelt like, so the loader suggests nothing. */
  private static final String PROBE = "zz_probe";
  private static final Pattern EXPECTED_KEYS = Pattern.compile(
      "unknown key '(?:.*\\.)?" + PROBE + "'.*; expected one of: (.*)");
  private static final Pattern RULE_LISTS = Pattern.compile(".*\\.(include|require|exclude)");

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final YAMLMapper YAML = new YAMLMapper();
  /** Only the bundled meta-schemas: a test never reaches for the network. */
  private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(
      SpecificationVersion.DRAFT_7,
      builder -> builder.schemaLoader(loader -> loader.fetchRemoteResources(false)));
  private static final JsonNode SCHEMA_TREE = readJson(SCHEMA_FILE);
  private static final Schema SCHEMA = REGISTRY.getSchema(SCHEMA_TREE);

  private static final Map<String, String> ENVIRONMENT = Map.of("SMTP_PORT", "2525",
      "SMTP_PASSWORD", "s3cret", "SESSION", "8h", "UPSTREAM", "http://127.0.0.1:3000",
      "WORD", "soon", "GITHUB_SECRET", "gh-secret");

  /** A small valid file; the tables below change one thing in it. */
  private static final String MINIMAL = """
      auth:
        url: https://auth.example.com
        session_duration: 24h
      identity_providers:
        - { id: email, type: onetimepin, delivery: console }
      groups:
        staff:
          include: [ { email_domain: example.com } ]
      applications:
        - name: grafana
          host: grafana.example.com
          upstream: http://127.0.0.1:3000
          policies:
            - name: staff
              action: allow
              include:
                - group: staff
                - email: alice@example.com
      """;

  /**
   * Uses every key and every selector the loader knows, each once at least. A key added to the
   * loader belongs here too; {@link #theMaximalDocumentUsesEveryKeyOfTheSchema} then makes sure
   * that the schema has it, and the renaming tests that both sides refuse it misspelt.
   */
  private static final String MAXIMAL = """
      listen: 127.0.0.1:8080
      data_dir: data
      store: sqlite:data/portcullis.db
      trusted_proxies: [127.0.0.1/32, "::1/128"]
      auth:
        url: https://auth.example.com
        session_duration: 12h
      smtp:
        host: mail.example.com
        port: 2525
        username: portcullis
        password: ${SMTP_PASSWORD}
        from: Portcullis <access@example.com>
        starttls: opportunistic
      identity_providers:
        - id: email
          type: onetimepin
          name: Email code
          delivery: smtp
        - id: github
          type: github
          name: GitHub
          client_id: Iv1.abc
          client_secret: ${GITHUB_SECRET}
          web_url: https://github.example.com
          api_url: https://github.example.com/api/v3
          timeout: 5s
          recheck_interval: 1h
        - id: sso
          type: oidc
          name: Staff SSO
          issuer: https://sso.example.com/realms/staff
          client_id: portcullis
          client_secret_file: sso.secret
          scopes: [openid, email, profile, groups]
          userinfo: true
          email_claim: email
          name_claim: preferred_username
          groups_claim: roles
          require_email_verified: false
          timeout: 15s
      groups:
        staff:
          include:
            - email_domain: example.com
          require:
            - idp: email
          exclude:
            - email: intern@example.com
        admins:
          include:
            - group: staff
      applications:
        - name: grafana
          host: grafana.example.com
          path: /admin
          upstream: http://127.0.0.1:3000
          upstream_timeout: 30s
          session_duration: 8h
          identity_providers: [email]
          allow_encoded_slashes: true
          auto_redirect: true
          cors:
            allowed_origins: [https://app.example.com]
            allowed_methods: [GET, POST]
            allowed_headers: [Content-Type]
            allow_credentials: true
            max_age: 1h
          relays:
            - path: /admin/tunnel
              kind: sentry_envelope
              name: sentry-relay
              projects: ["4"]
              max_body: 512KiB
              per_minute: 60
          policies:
            - name: machines
              action: service_auth
              include:
                - service_token: [ci, deploy]
                - any_service_token: true
            - name: health
              action: bypass
              include:
                - ip: [10.0.0.0/8, "2001:db8::/32"]
            - name: contractors-out
              action: block
              include:
                - email_list: contractors.txt
            - name: staff
              action: allow
              include:
                - everyone: true
                - email: [alice@example.com]
                - email_domain: [example.com]
                - group: admins
                - idp: [email, sso]
                - github_org: example
                - github_team: example/platform
                - oidc_claim: { name: department, value: engineering }
                - oidc_group: [engineering]
                - certificate: true
                - common_name: [ci.example.com]
              require:
                - ip: 192.168.0.0/16
              exclude:
                - email: [mallory@example.com]
      """;

  @TempDir
  Path directory;

  /** Where the loader thinks the file under test lives; relative paths resolve beside it. */
  private Path file;

  @BeforeEach
  void writeTheFilesTheDocumentsName() throws IOException {
    file = directory.resolve("portcullis.yaml");
    Files.writeString(directory.resolve("contractors.txt"), "# contractors\nbob@example.com\n");
    Files.writeString(directory.resolve("sso.secret"), "sso-secret\n");
  }

  @Test
  void theSchemaIsAValidDraft7Schema() {
    Schema metaSchema = REGISTRY.getSchema(SchemaLocation.of(DRAFT_7));

    assertThat(SCHEMA_TREE.path("$schema").asText()).isEqualTo(DRAFT_7);
    assertThat(metaSchema.validate(SCHEMA_TREE)).isEmpty();
  }

  @Test
  void everyKeyOfTheSchemaIsDescribedForEditors() {
    List<String> undescribed = new ArrayList<>();
    collectUndescribed(SCHEMA_TREE, "", undescribed);

    assertThat(undescribed).isEmpty();
  }

  @Test
  void theRuleSelectorsAreExactlyTheLoadersInTheSameOrder() {
    List<String> selectors = new ArrayList<>();
    SCHEMA_TREE.at("/definitions/rule/properties").fieldNames().forEachRemaining(selectors::add);

    assertThat(selectors).containsExactlyElementsOf(ConfigLoader.SELECTORS);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examples")
  void everyShippedExampleIsAcceptedByTheLoaderAndTheSchema(Path example) throws Exception {
    // Every variable set, to a value that suits the free-text keys that examples reference.
    new ConfigLoader(name -> "x").load(example);

    assertThat(schemaErrors(YAML.readTree(example.toFile()))).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examples")
  void everyShippedExampleNamesTheSchemaOnItsFirstLine(Path example) throws IOException {
    String first = Files.readAllLines(example).get(0);
    Path copiedTo = example.equals(DEMO_TEMPLATE) ? DEMO_COPY_DIR : example.getParent();

    assertThat(first).startsWith(MODELINE);
    assertThat(copiedTo.resolve(first.substring(MODELINE.length())).normalize())
        .isEqualTo(SCHEMA_FILE);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validVariants")
  void theLoaderAndTheSchemaBothAccept(String yaml) {
    assertThat(loaderProblems(yaml)).isEmpty();
    assertThat(schemaErrors(yaml)).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidVariants")
  void theLoaderAndTheSchemaBothRefuse(String yaml) {
    assertThat(loaderProblems(yaml)).as("the loader's problems").isNotEmpty();
    assertThat(schemaErrors(yaml)).as("the schema's errors").isNotEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedByTheLoaderAlone")
  void checksThatNeedTheWholeFileOrTheEnvironmentAreTheLoadersAlone(String yaml) {
    assertThat(loaderProblems(yaml)).as("the loader's problems").isNotEmpty();
    assertThat(schemaErrors(yaml)).as("the schema's errors").isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedByTheSchemaAlone")
  void theSchemaIsStricterOnlyAboutSpellingsThatReadBadly(String yaml) {
    assertThat(loaderProblems(yaml)).as("the loader's problems").isEmpty();
    assertThat(schemaErrors(yaml)).as("the schema's errors").isNotEmpty();
  }

  @Test
  void theMaximalDocumentIsAcceptedByTheLoaderAndTheSchema() throws IOException {
    String rewritten = writeYaml(YAML.readTree(MAXIMAL));

    assertThat(loaderProblems(MAXIMAL)).isEmpty();
    assertThat(schemaErrors(MAXIMAL)).isEmpty();
    assertThat(loaderProblems(rewritten)).as("as the renaming tests write it").isEmpty();
  }

  @Test
  void theMaximalDocumentUsesEveryKeyOfTheSchema() throws IOException {
    Set<String> inSchema = new TreeSet<>();
    collectSchemaKeys(SCHEMA_TREE, "", inSchema, 0);

    assertThat(new TreeSet<>(documentKeys(YAML.readTree(MAXIMAL)))).isEqualTo(inSchema);
  }

  /**
   * Asks the loader which keys it accepts at each mapping of the maximal document: a key it
   * does not know makes it list the ones it does ("expected one of: ..."), the same sentence
   * ConfigLoaderTest pins. So a key added to the loader fails here until the schema has it,
   * even before anybody adds it to the maximal document. Identity providers are compared per
   * type too, with the keys the schema's if/then for that type names.
   */
  @Test
  void atEveryMappingTheLoaderExpectsExactlyTheKeysOfTheSchema() throws IOException {
    JsonNode maximal = YAML.readTree(MAXIMAL);
    Map<String, Set<String>> byLoader = new TreeMap<>();
    List<String> unanswered = new ArrayList<>();
    mappings(maximal, "", "", (pointer, path) -> {
      JsonNode probed = maximal.deepCopy();
      ((ObjectNode) probed.at(pointer)).put(PROBE, "x");
      List<String> expected = loaderMessages(writeYaml(probed)).stream()
          .map(EXPECTED_KEYS::matcher).filter(Matcher::matches).map(m -> m.group(1)).toList();
      if (expected.size() != 1) {
        unanswered.add(path + " (" + pointer + ")");
        return;
      }
      Set<String> keys = new TreeSet<>(List.of(expected.get(0).split(", ")));
      byLoader.computeIfAbsent(path, k -> new TreeSet<>()).addAll(keys);
      if (path.equals("identity_providers[]")) {
        byLoader.put(path + " type=" + maximal.at(pointer + "/type").asText(), keys);
      }
    });

    assertThat(unanswered).as("mappings where the loader named no expected keys").isEmpty();
    assertThat(byLoader).isEqualTo(schemaKeysByMapping());
  }

  @TestFactory
  Stream<DynamicTest> eachKeyMisspeltIsRefusedByTheLoaderAndTheSchema() throws IOException {
    JsonNode maximal = YAML.readTree(MAXIMAL);
    return documentKeys(maximal).stream()
        .filter(key -> !key.equals("groups.*"))
        .map(key -> DynamicTest.dynamicTest(key, () -> {
          JsonNode misspelt = maximal.deepCopy();
          assertThat(renameFirst(misspelt, "", key)).as("found " + key).isTrue();
          String yaml = writeYaml(misspelt);

          assertThat(loaderProblems(yaml)).as("the loader's problems").isNotEmpty();
          assertThat(schemaErrors(yaml)).as("the schema's errors").isNotEmpty();
        }));
  }

  // ---- the tables

  /**
   * Every configuration file in examples/ and the demo's template. Files named *.cases.yaml are
   * expected decisions for `portcullis policy test`, not configuration.
   */
  static Stream<Path> examples() throws IOException {
    try (Stream<Path> listed = Files.list(Path.of("examples"))) {
      List<Path> found = new ArrayList<>(listed
          .filter(p -> p.toString().matches(".*\\.ya?ml"))
          .filter(p -> !p.toString().endsWith(".cases.yaml"))
          .sorted().toList());
      found.add(DEMO_TEMPLATE);
      return found.stream();
    }
  }

  static Stream<Arguments> validVariants() {
    return Stream.of(
        row("a capitalised true, which YAML reads as a boolean",
            variant("- email: alice@example.com", "- everyone: True")),
        row("the minimal document as written", MINIMAL),
        row("variables in a port, a duration and a URL", variant(
            "  session_duration: 24h\n",
            "  session_duration: ${SESSION}\n"
                + "smtp: { host: mail.example.com, port: \"${SMTP_PORT}\", "
                + "from: access@example.com, password: \"${SMTP_PASSWORD}\" }\n")
            .replace("upstream: http://127.0.0.1:3000", "upstream: ${UPSTREAM}")),
        row("mail delivery with an smtp section", variant(
            "- { id: email, type: onetimepin, delivery: console }",
            "- { id: email, type: onetimepin }\n"
                + "smtp: { host: 127.0.0.1, port: 25, from: \"Portcullis <a@example.com>\", "
                + "starttls: none, password: 123456 }")),
        row("a wildcard host", variant("host: grafana.example.com", "host: \"*.example.com\"")),
        row("an upper-case host with a trailing dot",
            variant("host: grafana.example.com", "host: Grafana.Example.com.")),
        row("an upstream with a path", variant("upstream: http://127.0.0.1:3000",
            "upstream: https://[::1]:8443/base/")),
        row("the built-in upstream",
            variant("upstream: http://127.0.0.1:3000", "upstream: builtin:whoami")),
        row("a path prefix with a trailing slash and an escape", variant(
            "upstream: http://127.0.0.1:3000", "upstream: http://127.0.0.1:3000\n"
                + "    path: \"/admin/%C3%A9t%C3%A9;v=1/\"")),
        row("a combined duration",
            variant("session_duration: 24h", "session_duration: 1h30m")),
        row("an IPv6 listen address", "listen: \"[::1]:8080\"\n" + MINIMAL),
        row("selector values as lists and as numbers or booleans", variant(
            "- email: alice@example.com",
            "- email: [alice@example.com, Bob@Example.com]\n"
                + "          - oidc_claim: { name: email_verified, value: true }\n"
                + "          - oidc_group: [42]\n"
                + "          - ip: 10.1.2.3")),
        row("a GitHub provider with only the keys it needs", withProvider(
            "{ id: github, type: github, client_id: abc, client_secret: \"${GITHUB_SECRET}\" }")),
        row("an OpenID Connect provider with empty scopes", withProvider(
            "{ id: sso, type: oidc, issuer: \"https://sso.example.com\", client_id: abc, "
                + "client_secret_file: sso.secret, scopes: [] }")),
        row("empty require and exclude lists", variant(
            "- email: alice@example.com", "- email: alice@example.com\n"
                + "        require: []\n        exclude: []")));
  }

  static Stream<Arguments> invalidVariants() {
    String rule = "          - email: alice@example.com\n";
    return Stream.of(
        row("an unknown root key", "listn: 127.0.0.1:8080\n" + MINIMAL),
        row("an unknown application key", variant("upstream:", "upstreams:")),
        row("a misspelt selector",
            variant("- email: alice@example.com", "- emial: alice@example.com")),
        row("an unknown action", variant("action: allow", "action: permit")),
        row("a duration without a unit", variant("session_duration: 24h",
            "session_duration: 24")),
        row("a duration with an unknown unit", variant("session_duration: 24h",
            "session_duration: 3x")),
        row("a zero duration", variant("session_duration: 24h", "session_duration: 0s")),
        row("a rule with two selectors", variant(rule,
            "          - { email: alice@example.com, everyone: true }\n")),
        row("a rule without a selector", variant(rule, "          - {}\n")),
        row("an empty include", variant("include: [ { email_domain: example.com } ]",
            "include: []")),
        row("a policy without include", variant("        include:\n"
            + "          - group: staff\n          - email: alice@example.com\n", "")),
        row("everyone: false", variant(rule, "          - everyone: false\n")),
        row("an empty list of values", variant(rule, "          - email: []\n")),
        row("an address without @", variant(rule, "          - email: alice\n")),
        row("a domain with @", variant("email_domain: example.com",
            "email_domain: \"@example.com\"")),
        row("an oidc_claim with an unknown key", variant(rule,
            "          - oidc_claim: { name: a, value: b, values: c }\n")),
        row("an oidc_claim without a value", variant(rule,
            "          - oidc_claim: { name: a }\n")),
        row("a GitHub team without its organization", variant(rule,
            "          - github_team: platform\n")),
        row("an upper-case identity provider id", variant("id: email", "id: Email")
            .replace("- group: staff", "- idp: Email")),
        row("an unknown identity provider type", variant("type: onetimepin", "type: saml")),
        row("a onetimepin provider mailing codes without smtp",
            variant(", delivery: console", "")),
        row("an unknown delivery", variant("delivery: console", "delivery: pigeon")),
        row("a GitHub provider with two secrets", withProvider(
            "{ id: github, type: github, client_id: abc, client_secret: x, "
                + "client_secret_file: sso.secret }")),
        row("a GitHub provider without a secret",
            withProvider("{ id: github, type: github, client_id: abc }")),
        row("a GitHub provider with a key of another type", withProvider(
            "{ id: github, type: github, client_id: abc, client_secret: x, delivery: console }")),
        row("a one-time PIN provider with a key of another type",
            variant("delivery: console", "delivery: console, client_id: abc")),
        row("an OpenID Connect provider without an issuer", withProvider(
            "{ id: sso, type: oidc, client_id: abc, client_secret: x }")),
        row("an OpenID Connect issuer with a query", withProvider(
            "{ id: sso, type: oidc, issuer: \"https://sso.example.com/?realm=a\", "
                + "client_id: abc, client_secret: x }")),
        row("OpenID Connect scopes without openid", withProvider(
            "{ id: sso, type: oidc, issuer: \"https://sso.example.com\", client_id: abc, "
                + "client_secret: x, scopes: [email] }")),
        row("a provider timeout without a unit", withProvider(
            "{ id: github, type: github, client_id: abc, client_secret: x, timeout: 10 }")),
        row("no identity provider",
            variant("  - { id: email, type: onetimepin, delivery: console }\n", "")
                .replace("identity_providers:", "identity_providers: []")),
        row("no auth section", variant("""
            auth:
              url: https://auth.example.com
              session_duration: 24h
            """, "")),
        row("an auth url with a path",
            variant("url: https://auth.example.com", "url: https://example.com/auth")),
        row("an auth url that is not http",
            variant("url: https://auth.example.com", "url: ftp://auth.example.com")),
        row("an unknown smtp key", variant("  session_duration: 24h\n",
            "  session_duration: 24h\nsmtp: { host: h, from: a@example.com, pasword: x }\n")),
        row("an smtp port out of range", variant("  session_duration: 24h\n",
            "  session_duration: 24h\nsmtp: { host: h, from: a@example.com, port: 70000 }\n")),
        row("an smtp sender that is not an address", variant("  session_duration: 24h\n",
            "  session_duration: 24h\nsmtp: { host: h, from: Portcullis }\n")),
        row("an unknown starttls", variant("  session_duration: 24h\n",
            "  session_duration: 24h\nsmtp: { host: h, from: a@example.com, starttls: maybe }\n")),
        row("a listen address without a port", "listen: 8080\n" + MINIMAL),
        row("a PostgreSQL store", "store: postgresql://db/portcullis\n" + MINIMAL),
        row("a trusted proxy with a prefix too long",
            "trusted_proxies: [10.0.0.0/33]\n" + MINIMAL),
        row("a group name in capitals", variant("  staff:", "  Staff:")),
        row("a group with an unknown key", variant("include: [ { email_domain: example.com } ]",
            "include: [ { email_domain: example.com } ]\n    exclud: []")),
        row("an application without policies", variant("""
                policies:
                  - name: staff
                    action: allow
                    include:
                      - group: staff
                      - email: alice@example.com
            """, "")),
        row("an application name in capitals", variant("name: grafana", "name: Grafana")),
        row("a host with a scheme", variant("host: grafana.example.com",
            "host: https://grafana.example.com")),
        row("a host with a port", variant("host: grafana.example.com",
            "host: grafana.example.com:443")),
        row("an upstream that is not http", variant("upstream: http://127.0.0.1:3000",
            "upstream: ftp://127.0.0.1")),
        row("an upstream with a query", variant("upstream: http://127.0.0.1:3000",
            "upstream: http://127.0.0.1:3000/?a=b")),
        row("a path with a dot segment", variant("upstream: http://127.0.0.1:3000",
            "upstream: http://127.0.0.1:3000\n    path: /a/../b")),
        row("a path with a needless escape", variant("upstream: http://127.0.0.1:3000",
            "upstream: http://127.0.0.1:3000\n    path: /a/%41")),
        row("a path hiding a dot segment", variant("upstream: http://127.0.0.1:3000",
            "upstream: http://127.0.0.1:3000\n    path: \"/a/..;x\"")),
        row("allow_encoded_slashes as a string", variant("upstream: http://127.0.0.1:3000",
            "upstream: http://127.0.0.1:3000\n    allow_encoded_slashes: \"true\"")),
        row("a blank policy name", variant("- name: staff", "- name: \" \"")));
  }

  static Stream<Arguments> refusedByTheLoaderAlone() {
    return Stream.of(
        row("a group selector naming no group",
            variant("- group: staff", "- group: nobody")),
        row("groups that use each other", variant(
            "    include: [ { email_domain: example.com } ]\n",
            "    include: [ { group: admins } ]\n"
                + "  admins:\n    include: [ { group: staff } ]\n")),
        row("an idp selector naming no identity provider",
            variant("- group: staff", "- idp: github")),
        row("an application allowing an unknown identity provider",
            variant("upstream: http://127.0.0.1:3000",
                "upstream: http://127.0.0.1:3000\n    identity_providers: [github]")),
        row("two identity providers with one id", variant(
            "- { id: email, type: onetimepin, delivery: console }",
            "- { id: email, type: onetimepin, delivery: console }\n"
                + "  - { id: email, type: onetimepin, delivery: console }")),
        row("two applications with one name", MINIMAL + """
              - name: grafana
                host: other.example.com
                upstream: http://127.0.0.1:3001
                policies: [ { name: p, action: allow, include: [ { everyone: true } ] } ]
            """),
        row("two applications on one host and path", MINIMAL + """
              - name: again
                host: grafana.example.com
                upstream: http://127.0.0.1:3001
                policies: [ { name: p, action: allow, include: [ { everyone: true } ] } ]
            """),
        row("two policies with one name", variant("- email: alice@example.com", """
            - email: alice@example.com
                  - name: staff
                    action: block
                    include: [ { everyone: true } ]""")),
        row("an application on the auth domain's host",
            variant("host: grafana.example.com", "host: auth.example.com")),
        row("an email list file that does not exist",
            variant("- email: alice@example.com", "- email_list: missing.txt")),
        row("a client secret file that does not exist", withProvider(
            "{ id: github, type: github, client_id: abc, client_secret_file: missing.secret }")),
        row("an unset environment variable",
            variant("upstream: http://127.0.0.1:3000", "upstream: ${NOT_SET}")),
        row("a variable that holds no duration",
            variant("session_duration: 24h", "session_duration: ${WORD}")),
        row("a port in YAML's hexadecimal notation", variant("  session_duration: 24h\n",
            "  session_duration: 24h\nsmtp: { host: h, from: a@example.com, port: 0x9DD }\n")),
        row("an IPv4-mapped address with an IPv6 prefix length",
            variant("- email: alice@example.com", "- ip: \"::ffff:10.0.0.1/104\"")));
  }

  static Stream<Arguments> refusedByTheSchemaAlone() {
    return Stream.of(
        row("a quoted port number", variant("  session_duration: 24h\n",
            "  session_duration: 24h\nsmtp: { host: h, from: a@example.com, port: \"2525\" }\n")),
        row("an application name written as a number", variant("name: grafana", "name: 2024")));
  }

  private static Arguments row(String what, String yaml) {
    return Arguments.of(Named.of(what, yaml));
  }

  /** The minimal document with a second identity provider, written in flow style. */
  private static String withProvider(String flow) {
    String first = "  - { id: email, type: onetimepin, delivery: console }\n";
    return variant(first, first + "  - " + flow + "\n");
  }

  /** The minimal document with one piece of text replaced; the piece must be there. */
  private static String variant(String from, String to) {
    if (!MINIMAL.contains(from)) {
      throw new IllegalArgumentException("not in the minimal document: " + from);
    }
    return MINIMAL.replace(from, to);
  }

  // ---- both judges

  private List<String> loaderProblems(String yaml) {
    return loaderProblems(yaml, ENVIRONMENT::get);
  }

  private List<String> loaderMessages(String yaml) {
    try {
      new ConfigLoader(ENVIRONMENT::get).load(file, new StringReader(yaml));
      return List.of();
    } catch (ConfigException e) {
      return e.problems().stream().map(Problem::message).toList();
    }
  }

  private static String writeYaml(JsonNode document) {
    try {
      return YAML.writeValueAsString(document);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private List<String> loaderProblems(String yaml, Function<String, String> environment) {
    try {
      new ConfigLoader(environment).load(file, new StringReader(yaml));
      return List.of();
    } catch (ConfigException e) {
      return e.problems().stream().map(Problem::toString).toList();
    }
  }

  private static List<String> schemaErrors(String yaml) {
    try {
      return schemaErrors(YAML.readTree(yaml));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> schemaErrors(JsonNode document) {
    return SCHEMA.validate(document).stream().map(Object::toString).toList();
  }

  // ---- walking the schema and the documents

  /**
   * Calls {@code visit} with the JSON pointer and key path of every mapping whose keys the
   * loader checks: not the groups (their keys are names) and not rules (checked as selectors).
   */
  private static void mappings(JsonNode node, String pointer, String path,
      BiConsumer<String, String> visit) {
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        mappings(node.get(i), pointer + "/" + i, itemPath(path), visit);
      }
    } else if (node.isObject()) {
      if (!path.equals("groups") && !path.equals("<rule>")) {
        visit.accept(pointer, path);
      }
      node.properties().forEach(entry -> mappings(entry.getValue(),
          pointer + "/" + entry.getKey(), join(path, keyInPath(path, entry.getKey())), visit));
    }
  }

  /** The schema's keys grouped by the mapping that holds them, as the loader test sees them. */
  private static Map<String, Set<String>> schemaKeysByMapping() {
    Set<String> keys = new TreeSet<>();
    collectSchemaKeys(SCHEMA_TREE, "", keys, 0);
    Map<String, Set<String>> out = new TreeMap<>();
    for (String key : keys) {
      int dot = key.lastIndexOf('.');
      String mapping = dot < 0 ? "" : key.substring(0, dot);
      if (!mapping.equals("groups") && !mapping.equals("<rule>")) {
        out.computeIfAbsent(mapping, k -> new TreeSet<>()).add(key.substring(dot + 1));
      }
    }
    for (JsonNode branch : SCHEMA_TREE.at("/definitions/identity_provider/allOf")) {
      Set<String> names = new TreeSet<>();
      branch.at("/then/propertyNames/enum").forEach(name -> names.add(name.asText()));
      out.put("identity_providers[] type=" + branch.at("/if/properties/type/const").asText(),
          names);
    }
    return out;
  }

  /** Collects the schema paths of properties and definitions that have no description. */
  private static void collectUndescribed(JsonNode node, String where, List<String> out) {
    for (String group : List.of("properties", "definitions")) {
      node.path(group).properties().forEach(entry -> {
        String path = where + "/" + group + "/" + entry.getKey();
        if (!entry.getValue().hasNonNull("description")) {
          out.add(path);
        }
        collectUndescribed(entry.getValue(), path, out);
      });
    }
    // Conditions (if, not, contains) restate keys; they are not what an editor shows.
    for (String key : List.of("items", "additionalProperties", "then")) {
      if (node.path(key).isObject()) {
        collectUndescribed(node.path(key), where + "/" + key, out);
      }
    }
    for (String key : List.of("anyOf", "oneOf", "allOf")) {
      for (int i = 0; i < node.path(key).size(); i++) {
        collectUndescribed(node.path(key).get(i), where + "/" + key + "/" + i, out);
      }
    }
  }

  /**
   * Collects the keys a document may have, written as {@code applications[].policies[].name};
   * the names of a mapping whose keys are free (the groups) are written {@code *}, and the keys
   * of rules {@code <rule>.email} (see {@link #itemPath}).
   */
  private static void collectSchemaKeys(JsonNode node, String path, Set<String> out,
      int depth) {
    if (depth > 32) {
      throw new IllegalStateException("the schema nests too deep at " + path);
    }
    if (node.has("$ref")) {
      String ref = node.get("$ref").asText();
      assertThat(ref).as("only local references").startsWith("#/");
      collectSchemaKeys(SCHEMA_TREE.at(ref.substring(1)), path, out, depth + 1);
    }
    node.path("properties").properties().forEach(entry -> {
      String child = join(path, entry.getKey());
      out.add(child);
      collectSchemaKeys(entry.getValue(), child, out, depth + 1);
    });
    if (node.path("additionalProperties").isObject()) {
      String child = join(path, "*");
      out.add(child);
      collectSchemaKeys(node.get("additionalProperties"), child, out, depth + 1);
    }
    if (node.path("items").isObject()) {
      collectSchemaKeys(node.get("items"), itemPath(path), out, depth + 1);
    }
    for (String key : List.of("anyOf", "oneOf", "allOf")) {
      for (JsonNode branch : node.path(key)) {
        collectSchemaKeys(branch, path, out, depth + 1);
      }
    }
  }

  /** The keys used in a document, in order of first use, written as the schema's are. */
  private static Set<String> documentKeys(JsonNode document) {
    Set<String> out = new LinkedHashSet<>();
    collectDocumentKeys(document, "", out);
    return out;
  }

  private static void collectDocumentKeys(JsonNode node, String path, Set<String> out) {
    if (node.isArray()) {
      node.forEach(item -> collectDocumentKeys(item, itemPath(path), out));
    } else if (node.isObject()) {
      node.properties().forEach(entry -> {
        String child = join(path, keyInPath(path, entry.getKey()));
        out.add(child);
        collectDocumentKeys(entry.getValue(), child, out);
      });
    }
  }

  /** Renames the first occurrence of the key at {@code target} by appending "_x". */
  private static boolean renameFirst(JsonNode node, String path, String target) {
    if (node.isArray()) {
      for (JsonNode item : node) {
        if (renameFirst(item, itemPath(path), target)) {
          return true;
        }
      }
    } else if (node instanceof ObjectNode object) {
      for (Map.Entry<String, JsonNode> entry : object.properties()) {
        String child = join(path, keyInPath(path, entry.getKey()));
        if (child.equals(target)) {
          rename(object, entry.getKey(), entry.getKey() + "_x");
          return true;
        }
        if (renameFirst(entry.getValue(), child, target)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Renames a key in place, keeping the order of keys so that the file reads the same. */
  private static void rename(ObjectNode object, String from, String to) {
    List<Map.Entry<String, JsonNode>> entries = new ArrayList<>(object.properties());
    object.removeAll();
    for (Map.Entry<String, JsonNode> entry : entries) {
      object.set(entry.getKey().equals(from) ? to : entry.getKey(), entry.getValue());
    }
  }

  /**
   * The items of {@code include}, {@code require} and {@code exclude} are rules wherever they
   * stand, in groups or policies, so their keys are written once, as {@code <rule>.email}.
   */
  private static String itemPath(String listPath) {
    return RULE_LISTS.matcher(listPath).matches() ? "<rule>" : listPath + "[]";
  }

  /** Group names are the file's own words, not keys of the schema. */
  private static String keyInPath(String parentPath, String key) {
    return parentPath.equals("groups") ? "*" : key;
  }

  private static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private static JsonNode readJson(Path path) {
    try {
      return JSON.readTree(path.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
