package dev.portcullis.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.machine.CorsRules.Allowed;
import dev.portcullis.machine.CorsRules.Preflight;
import dev.portcullis.machine.CorsRules.Refusal;
import dev.portcullis.machine.CorsRules.Refused;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CorsRulesTest {
  private static final String APP = "https://app.example.com";

  private final CorsRules rules = new CorsRules(
      List.of(APP, "http://localhost:3000"), List.of("GET", "POST", "PUT"),
      List.of("Content-Type", "Authorization", "X-Requested-With"), true,
      Duration.ofMinutes(5));

  private static Map<String, String> headers(String... nameValues) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      map.put(nameValues[i], nameValues[i + 1]);
    }
    return map;
  }

  // ---- recognising a preflight

  @ParameterizedTest
  @CsvSource(nullValues = "NULL", value = {
      "OPTIONS, https://app.example.com, PUT,  true",
      "OPTIONS, https://app.example.com, '',   true",
      "OPTIONS, null,                    GET,  true",
      "OPTIONS, NULL,                    PUT,  false",
      "OPTIONS, https://app.example.com, NULL, false",
      "options, https://app.example.com, PUT,  false",
      "Options, https://app.example.com, PUT,  false",
      "GET,     https://app.example.com, PUT,  false",
      "POST,    https://app.example.com, PUT,  false"})
  void onlyTheRealOptionsMethodWithBothHeadersIsAPreflight(String method, String origin,
      String requestMethod, boolean preflight) {
    assertThat(CorsRules.isPreflight(method, origin, requestMethod)).isEqualTo(preflight);
  }

  @Test
  void aHeaderClaimingTheOptionsMethodNeverMakesAPreflight() {
    Map<String, String> claimed = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    claimed.putAll(headers("Origin", APP, "Access-Control-Request-Method", "DELETE",
        "X-HTTP-Method-Override", "OPTIONS", "X-HTTP-Method", "OPTIONS",
        "X-Method-Override", "OPTIONS"));

    assertThat(CorsRules.isPreflight("POST", claimed::get)).isFalse();
    assertThat(CorsRules.isPreflight("GET", claimed::get)).isFalse();
    assertThat(CorsRules.isPreflight("OPTIONS", claimed::get)).isTrue();
  }

  @Test
  void headerLookupIsUsedForOriginAndRequestMethod() {
    Map<String, String> lowerCase = headers("origin", APP,
        "access-control-request-method", "PUT");
    Map<String, String> lookup = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    lookup.putAll(lowerCase);

    assertThat(CorsRules.isPreflight("OPTIONS", lookup::get)).isTrue();
    assertThat(CorsRules.isPreflight("OPTIONS", name -> null)).isFalse();
  }

  // ---- answering a preflight

  @Test
  void allowedPreflightEchoesTheOriginAndListsEverythingTheBrowserNeeds() {
    Preflight answer = rules.preflightResponse(APP, "PUT", "content-type, authorization");

    assertThat(answer).isEqualTo(new Allowed(headers(
        "Access-Control-Allow-Origin", APP,
        "Access-Control-Allow-Credentials", "true",
        "Access-Control-Allow-Methods", "GET, POST, PUT",
        "Access-Control-Allow-Headers", "content-type, authorization",
        "Access-Control-Max-Age", "300",
        "Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")));
  }

  @Test
  void preflightWithoutCredentialsOrRequestedHeadersSendsNeither() {
    CorsRules open = CorsRules.forOrigins(List.of(APP));

    assertThat(open.preflightResponse(APP, "POST", null)).isEqualTo(new Allowed(headers(
        "Access-Control-Allow-Origin", APP,
        "Access-Control-Allow-Methods", "GET, HEAD, POST",
        "Access-Control-Max-Age", "600",
        "Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")));
    assertThat(open.preflightResponse(APP, "POST", " , ")).isEqualTo(
        open.preflightResponse(APP, "POST", null));
  }

  @Test
  void wildcardOriginStillEchoesTheOneOriginThatAsked() {
    CorsRules any = CorsRules.forOrigins(List.of("*"));

    assertThat(any.preflightResponse("https://anywhere.example", "GET", null))
        .isInstanceOfSatisfying(Allowed.class, a -> assertThat(a.headers())
            .containsEntry("Access-Control-Allow-Origin", "https://anywhere.example")
            .doesNotContainKey("Access-Control-Allow-Credentials"));
    assertThat(any.headersFor("https://anywhere.example"))
        .containsEntry("Access-Control-Allow-Origin", "https://anywhere.example");
  }

  @Test
  void wildcardMethodsAndHeadersAllowWhateverIsAskedAndNameExactlyThat() {
    CorsRules any = new CorsRules(List.of(APP), List.of("*"), List.of("*"), false, null);

    assertThat(any.preflightResponse(APP, "PROPFIND", "x-one, X-Two"))
        .isInstanceOfSatisfying(Allowed.class, a -> assertThat(a.headers())
            .containsEntry("Access-Control-Allow-Methods", "PROPFIND")
            .containsEntry("Access-Control-Allow-Headers", "x-one, x-two"));
  }

  @Test
  void refusedPreflightsSayWhy() {
    record Row(String origin, String method, String headers, Refused expected) {}
    List<Row> rows = List.of(
        new Row("https://evil.example", "GET", null, new Refused(Refusal.ORIGIN_NOT_ALLOWED,
            "cross-origin requests from this origin are not allowed")),
        new Row("", "GET", null, new Refused(Refusal.ORIGIN_NOT_ALLOWED,
            "cross-origin requests from this origin are not allowed")),
        new Row(APP, "DELETE", null, new Refused(Refusal.METHOD_NOT_ALLOWED,
            "cross-origin DELETE requests are not allowed")),
        new Row(APP, "", null, new Refused(Refusal.MALFORMED,
            "Access-Control-Request-Method is not a method")),
        new Row(APP, "GET POST", null, new Refused(Refusal.MALFORMED,
            "Access-Control-Request-Method is not a method")),
        new Row(APP, "PUT", "content-type, x-secret", new Refused(Refusal.HEADERS_NOT_ALLOWED,
            "the request header 'x-secret' is not allowed in cross-origin requests")),
        new Row(APP, "PUT", "content-type, bad header", new Refused(Refusal.MALFORMED,
            "Access-Control-Request-Headers is not a list of header names")));
    for (Row row : rows) {
      assertThat(rules.preflightResponse(row.origin(), row.method(), row.headers()))
          .as("%s", row).isEqualTo(row.expected());
    }
  }

  @Test
  void requestedMethodAndHeadersCompareCaseInsensitively() {
    assertThat(rules.preflightResponse(APP, "put", "CONTENT-TYPE")).isInstanceOf(Allowed.class);
  }

  @Test
  void refusalCodesAreStableKebabCase() {
    assertThat(List.of(Refusal.values())).extracting(Refusal::code).containsExactly(
        "cors-origin-not-allowed", "cors-method-not-allowed", "cors-headers-not-allowed",
        "cors-preflight-malformed");
  }

  // ---- origins

  @ParameterizedTest
  @CsvSource(nullValues = "NULL", value = {
      "https://app.example.com,      true",
      "https://APP.Example.com,      true",
      "HTTPS://app.example.com,      true",
      "https://app.example.com:443,  true",
      "http://localhost:3000,        true",
      "http://app.example.com,       false",
      "https://app.example.com:8443, false",
      "https://app.example.com/,     false",
      "https://app.example.com/x,    false",
      "https://app.example.com.evil.example, false",
      "https://evil-app.example.com, false",
      "https://example.com,          false",
      "https://user@app.example.com, false",
      "http://localhost:3001,        false",
      "http://localhost,             false",
      "app.example.com,              false",
      "null,                         false",
      "NULL,                         false",
      "'',                           false",
      "*,                            false"})
  void originsMatchExactlyBySchemeHostAndPort(String origin, boolean allowed) {
    assertThat(rules.allowsOrigin(origin)).isEqualTo(allowed);
  }

  @Test
  void configuredDefaultPortsAndCaseAreNormalized() {
    CorsRules normalized = CorsRules.forOrigins(List.of("HTTPS://App.Example.com:443",
        "http://Localhost:80", "http://[::1]:8080"));

    assertThat(normalized.allowedOrigins()).containsExactly("https://app.example.com",
        "http://localhost", "http://[::1]:8080");
    assertThat(normalized.allowsOrigin("https://app.example.com")).isTrue();
    assertThat(normalized.allowsOrigin("http://localhost")).isTrue();
    assertThat(normalized.allowsOrigin("http://[::1]:8080")).isTrue();
  }

  @Test
  void nullOriginIsAllowedOnlyWhenListedAndNeverByTheWildcard() {
    assertThat(CorsRules.forOrigins(List.of("*")).allowsOrigin("null")).isFalse();
    assertThat(CorsRules.forOrigins(List.of("null")).allowsOrigin("null")).isTrue();
    assertThat(CorsRules.forOrigins(List.of("null")).allowsOrigin(APP)).isFalse();
    assertThat(CorsRules.forOrigins(List.of("*")).allowsOrigin(null)).isFalse();
  }

  @Test
  void noOriginsAllowsNone() {
    CorsRules none = CorsRules.forOrigins(List.of());

    assertThat(none.allowsOrigin(APP)).isFalse();
    assertThat(new CorsRules(null, null, null, false, null).allowedOrigins()).isEmpty();
  }

  // ---- headers on actual responses

  @Test
  void actualResponsesToAllowedOriginsCarryTheCorsHeaders() {
    assertThat(rules.headersFor(APP)).isEqualTo(headers(
        "Access-Control-Allow-Origin", APP,
        "Access-Control-Allow-Credentials", "true",
        "Vary", "Origin"));
    assertThat(CorsRules.forOrigins(List.of(APP)).headersFor(APP)).isEqualTo(headers(
        "Access-Control-Allow-Origin", APP,
        "Vary", "Origin"));
  }

  @Test
  void actualResponsesToOtherOriginsCarryOnlyVary() {
    assertThat(rules.headersFor("https://evil.example")).isEqualTo(headers("Vary", "Origin"));
    assertThat(rules.headersFor(null)).isEqualTo(headers("Vary", "Origin"));
    assertThat(rules.headersFor("null")).isEqualTo(headers("Vary", "Origin"));
  }

  @Test
  void headerMapsCannotBeChangedByTheCaller() {
    assertThatThrownBy(() -> rules.headersFor(APP).put("X", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
    Allowed allowed = (Allowed) rules.preflightResponse(APP, "GET", null);
    assertThatThrownBy(() -> allowed.headers().put("X", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  // ---- settings

  @Test
  void defaultsAreSafelistedMethodsNoHeadersNoCredentialsAndTenMinutes() {
    CorsRules defaults = CorsRules.forOrigins(List.of(APP));

    assertThat(defaults).isEqualTo(new CorsRules(List.of(APP), List.of("GET", "HEAD", "POST"),
        List.of(), false, Duration.ofMinutes(10)));
  }

  @Test
  void methodsAreUpperCasedHeadersLowerCasedAndDuplicatesDropped() {
    CorsRules normalized = new CorsRules(List.of(APP), List.of("get", "GET", "patch"),
        List.of("X-Token", "x-token", "Content-Type"), false, Duration.ZERO);

    assertThat(normalized.allowedMethods()).containsExactly("GET", "PATCH");
    assertThat(normalized.allowedHeaders()).containsExactly("x-token", "content-type");
    assertThat(normalized.maxAge()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"*", "null"})
  void wildcardOrNullOriginWithCredentialsIsRefusedWhenConfiguring(String origin) {
    assertThatThrownBy(() -> new CorsRules(List.of(APP, origin), null, null, true, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("allowed_origins: '" + origin + "' cannot be combined with "
            + "allow_credentials: true, or any web page could read the answers meant for the "
            + "signed-in user; list the origins instead");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "https://app.example.com/   | 'https://app.example.com/' is not an origin; write "
          + "SCHEME://HOST or SCHEME://HOST:PORT, without path, such as https://app.example.com",
      "https://*.example.com      | 'https://*.example.com' is not an origin: only a lone '*' "
          + "is a wildcard",
      "app.example.com            | 'app.example.com' is not an origin; write SCHEME://HOST or "
          + "SCHEME://HOST:PORT, without path, such as https://app.example.com"})
  void badOriginEntriesAreNamedWhenConfiguring(String entry, String problem) {
    assertThat(CorsRules.originProblem(entry)).isEqualTo(problem);
    assertThatThrownBy(() -> CorsRules.forOrigins(List.of(entry)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("allowed_origins: " + problem);
  }

  @ParameterizedTest
  @ValueSource(strings = {"https://a.example?x", "https://a.example#x", "https://u@a.example",
      "https://a.example:", "https://", "mailto:a@example.com", "https://a.example/path",
      "https://a b.example"})
  void textsThatAreNotBareOriginsAreProblems(String entry) {
    assertThat(CorsRules.originProblem(entry)).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"*", "null", "https://app.example.com", "http://localhost:3000",
      "http://127.0.0.1:8080", "http://[::1]", "chrome-extension://abcdefghijklmnop"})
  void acceptableOriginEntriesHaveNoProblem(String entry) {
    assertThat(CorsRules.originProblem(entry)).isNull();
  }

  @Test
  void emptyOrMissingOriginEntryIsAProblem() {
    assertThat(CorsRules.originProblem("")).isEqualTo("an origin is empty");
    assertThat(CorsRules.originProblem(null)).isEqualTo("an origin is empty");
  }

  @Test
  void badMethodsHeadersAndMaxAgesAreRefusedWhenConfiguring() {
    assertThatThrownBy(() -> new CorsRules(List.of(APP), List.of("GET POST"), null, false, null))
        .hasMessage("allowed_methods: 'GET POST' is not a method or '*'");
    assertThatThrownBy(() -> new CorsRules(List.of(APP), null, List.of("x-*"), false, null))
        .hasMessage("allowed_headers: 'x-*' is not a header name or '*'");
    assertThatThrownBy(() -> new CorsRules(List.of(APP), null, null, false,
        Duration.ofSeconds(-1))).hasMessage("max_age must be between 0s and 24h");
    assertThatThrownBy(() -> new CorsRules(List.of(APP), null, null, false,
        Duration.ofDays(1).plusSeconds(1))).hasMessage("max_age must be between 0s and 24h");
  }
}
