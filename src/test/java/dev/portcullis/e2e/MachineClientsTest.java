package dev.portcullis.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.portcullis.cli.Main;
import dev.portcullis.machine.ServiceTokens;
import dev.portcullis.store.JdbcStore;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.RawHttp;
import dev.portcullis.testing.RawHttp.Framing;
import dev.portcullis.testing.RecordingUpstream.Received;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Machine clients end to end over real sockets (issue 5): service tokens under both header
 * families, bypassed paths, CORS answered by Portcullis, and the {@code sentry_envelope} relay.
 *
 * <p>Each test starts its own gateway, so counters, rate-limit windows and the clock begin
 * fresh. Tokens are written to the gateway's own store through a second connection that shares
 * its clock, then {@code refreshServiceTokens()} makes the running server see them at once
 * instead of at its next two-second refresh. Time moves by {@code clock().advance}; nothing
 * sleeps. "Did not reach the upstream" is checked after the answer arrived: a forwarded request
 * is recorded before its answer can exist.
 */
class MachineClientsTest {
  private static final String CONFIG = """
      listen: 127.0.0.1:{port}
      data_dir: {data}
      auth:
        url: http://auth.localhost:{port}
      identity_providers:
        - { id: email, type: onetimepin, delivery: console }
      applications:
        - name: api
          host: api.localhost
          upstream: http://127.0.0.1:{upstream}
          cors:
            allowed_origins: [http://web.localhost:8080]
            allowed_methods: [GET, POST]
            allowed_headers: [Content-Type]
          policies:
            - name: machines
              action: service_auth
              include: [ { service_token: [ci, deploy, cli-bot] } ]
            - { name: staff, action: allow, include: [ { email_domain: [example.com] } ] }
        - name: health
          host: api.localhost
          path: /health
          upstream: http://127.0.0.1:{upstream}
          policies:
            - { name: public, action: bypass, include: [ { everyone: true } ] }
        - name: hooks
          host: hooks.localhost
          upstream: http://127.0.0.1:{upstream}
          policies:
            - { name: any-machine, action: service_auth, include: [ { any_service_token: true } ] }
        - name: sentry
          host: sentry.localhost
          upstream: http://127.0.0.1:{upstream}
          cors:
            allowed_origins: [http://web.localhost:8080]
            allowed_methods: [POST]
            allowed_headers: [Content-Type]
          relays:
            - path: /tunnel
              kind: sentry_envelope
              name: sentry-tunnel
              projects: ["4"]
              max_body: 64KiB
            - path: /tunnel-slow
              kind: sentry_envelope
              name: sentry-slow
              projects: ["4"]
              per_minute: 3
          policies:
            - { name: staff, action: allow, include: [ { email_domain: [example.com] } ] }
      """;
  private static final String API = "api.localhost";
  private static final String HOOKS = "hooks.localhost";
  private static final String SENTRY = "sentry.localhost";
  private static final String WEB_ORIGIN = "http://web.localhost:8080";
  private static final String FOREIGN_ORIGIN = "http://evil.localhost:8080";
  /** The relay's {@code max_body}: 64 KiB. */
  private static final int MAX_BODY = 64 * 1024;
  private static final String DSN = "https://publickey@sentry.localhost/4";
  private static final String SDK_CONTENT_TYPE = "text/plain;charset=UTF-8";
  /** Every header a client can put a service token in; none may reach an upstream. */
  private static final List<String> TOKEN_HEADERS = List.of("portcullis-client-id",
      "portcullis-client-secret", "cf-access-client-id", "cf-access-client-secret");

  @TempDir
  Path dir;

  private TestGateway gateway;
  private Http http;
  private JdbcStore store;
  private ServiceTokens tokens;

  @BeforeEach
  void start() throws Exception {
    gateway = TestGateway.start(dir, CONFIG, Map.of());
    http = gateway.http();
    store = JdbcStore.open(gateway.gateway().config().storeUrl());
    tokens = new ServiceTokens(store, gateway.clock());
  }

  @AfterEach
  void stop() {
    try {
      if (store != null) {
        store.close();
      }
    } finally {
      if (gateway != null) {
        gateway.close();
      }
    }
  }

  // ---- service tokens

  /** The two header families a token can come in. */
  enum Family {
    PORTCULLIS("Portcullis-Client-Id", "Portcullis-Client-Secret"),
    CLOUDFLARE("CF-Access-Client-Id", "CF-Access-Client-Secret");

    final String id;
    final String secret;

    Family(String id, String secret) {
      this.id = id;
      this.secret = secret;
    }

    String[] headers(String clientId, String secret) {
      return new String[] {id, clientId, this.secret, secret};
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("families")
  void theRightPairIsAdmittedAndTheUpstreamSeesTheServiceIdentityButNoTokenHeaders(
      Family family) throws Exception {
    ServiceTokens.Issued ci = create("ci");

    HttpResponse<String> response = http.get(gateway.appUrl(API, "/deploy?ref=main"),
        concat(family.headers(ci.clientId(), ci.secret()), "X-Portcullis-Email",
            "forged@example.com", "X-Portcullis-Service-Token", "forged"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("upstream saw GET /deploy?ref=main");
    Received seen = gateway.upstream().take();
    assertThat(seen.uri()).isEqualTo("/deploy?ref=main");
    assertThat(seen.header("x-portcullis-service-token")).isEqualTo("ci");
    assertThat(seen.header("x-portcullis-email")).isNull();
    assertThat(seen.header("x-portcullis-user")).isNull();
    assertNoTokenHeaders(seen);
    assertServiceAssertion(seen.header("x-portcullis-jwt-assertion"), "ci", "api");
  }

  static Stream<Family> families() {
    return Stream.of(Family.values());
  }

  /**
   * One way a client presents a pair that must be refused, given the token {@code ci} that
   * exists; {@code headers} builds the request headers from it.
   */
  record Refusal(Function<ServiceTokens.Issued, String[]> headers, String code) {}

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedPairs")
  void aPairThatProvesNothingIsRefusedWith401Json(Refusal refusal) throws Exception {
    ServiceTokens.Issued ci = create("ci");

    HttpResponse<String> response = http.get(gateway.appUrl(API, "/deploy"),
        refusal.headers().apply(ci));

    assertJsonRefusal(response, 401, refusal.code());
    assertNothingReachedTheUpstream();
  }

  static Stream<Arguments> refusedPairs() {
    return Stream.of(
        refusal("wrong secret", ci -> Family.PORTCULLIS.headers(ci.clientId(),
            ci.secret().substring(1) + "x"), "service-token-invalid"),
        refusal("another token's secret", ci -> Family.CLOUDFLARE.headers(ci.clientId(),
            "A".repeat(43)), "service-token-invalid"),
        refusal("unknown client id", ci -> Family.PORTCULLIS.headers("ci.AAAAAAAAAAAAAAAA",
            ci.secret()), "service-token-invalid"),
        refusal("client id only", ci -> new String[] {"Portcullis-Client-Id", ci.clientId()},
            "service-token-malformed"),
        refusal("secret only", ci -> new String[] {"CF-Access-Client-Secret", ci.secret()},
            "service-token-malformed"),
        refusal("two families, two pairs", ci -> concat(
            Family.PORTCULLIS.headers(ci.clientId(), ci.secret()),
            Family.CLOUDFLARE.headers(ci.clientId(), "B".repeat(43))),
            "service-token-malformed"));
  }

  private static Arguments refusal(String name, Function<ServiceTokens.Issued, String[]> headers,
      String code) {
    return Arguments.of(Named.of(name, new Refusal(headers, code)));
  }

  @Test
  void aTokenIsAdmittedUntilItExpiresAndRefusedFromThen() throws Exception {
    ServiceTokens.Issued deploy = tokens.create("deploy", Duration.ofHours(1));
    gateway.gateway().refreshServiceTokens();
    String[] headers = Family.PORTCULLIS.headers(deploy.clientId(), deploy.secret());

    gateway.clock().advance(Duration.ofMinutes(59));
    assertThat(http.get(gateway.appUrl(API, "/x"), headers).statusCode()).isEqualTo(200);
    gateway.upstream().take();

    gateway.clock().advance(Duration.ofMinutes(1));
    assertJsonRefusal(http.get(gateway.appUrl(API, "/x"), headers), 401,
        "service-token-expired");
    assertNothingReachedTheUpstream();
  }

  @Test
  void aRevokedTokenIsRefusedOnceTheServerHasRefreshed() throws Exception {
    ServiceTokens.Issued ci = create("ci");
    String[] headers = Family.PORTCULLIS.headers(ci.clientId(), ci.secret());
    assertThat(http.get(gateway.appUrl(API, "/x"), headers).statusCode()).isEqualTo(200);
    gateway.upstream().take();

    tokens.revoke("ci");
    gateway.gateway().refreshServiceTokens();

    assertJsonRefusal(http.get(gateway.appUrl(API, "/x"), headers), 401,
        "service-token-revoked");
    assertNothingReachedTheUpstream();
  }

  @Test
  void aRotatedOutSecretWorksDuringItsGracePeriodOnlyAndTheNewOneKeepsWorking()
      throws Exception {
    ServiceTokens.Issued old = create("ci");
    ServiceTokens.Issued rotated = tokens.rotate("ci", Duration.ofHours(2));
    gateway.gateway().refreshServiceTokens();
    assertThat(rotated.clientId()).isEqualTo(old.clientId());
    String[] oldPair = Family.PORTCULLIS.headers(old.clientId(), old.secret());
    String[] newPair = Family.CLOUDFLARE.headers(rotated.clientId(), rotated.secret());

    gateway.clock().advance(Duration.ofHours(2).minusSeconds(1));
    assertAdmittedAs("ci", http.get(gateway.appUrl(API, "/x"), oldPair));
    assertAdmittedAs("ci", http.get(gateway.appUrl(API, "/x"), newPair));

    gateway.clock().advance(Duration.ofSeconds(1));
    assertJsonRefusal(http.get(gateway.appUrl(API, "/x"), oldPair), 401,
        "service-token-rotated-out");
    assertNothingReachedTheUpstream();
    assertAdmittedAs("ci", http.get(gateway.appUrl(API, "/x"), newPair));
  }

  @Test
  void aValidTokenThatNoServiceAuthPolicyNamesIsForbiddenButPassesAnyServiceToken()
      throws Exception {
    ServiceTokens.Issued stranger = create("stranger");
    String[] headers = Family.PORTCULLIS.headers(stranger.clientId(), stranger.secret());

    HttpResponse<String> refused = http.get(gateway.appUrl(API, "/x"), headers);

    JsonObject body = assertJsonRefusal(refused, 403, "service-token-unauthorized");
    assertThat(body.getString("service_token")).isEqualTo("stranger");
    assertThat(body.getString("application")).isEqualTo("api");
    assertNothingReachedTheUpstream();
    assertAdmittedAs("stranger", http.get(gateway.appUrl(HOOKS, "/hook"), headers));
  }

  @Test
  void aMachineAskingForHtmlStillGetsJsonAndNeverARedirect() throws Exception {
    ServiceTokens.Issued ci = create("ci");
    ServiceTokens.Issued stranger = create("stranger");
    String[] html = {"Accept", "text/html,application/xhtml+xml"};

    assertJsonRefusal(http.get(gateway.appUrl(API, "/"), concat(html,
        Family.PORTCULLIS.headers(ci.clientId(), "wrong"))), 401, "service-token-invalid");
    assertJsonRefusal(http.get(gateway.appUrl(API, "/"), concat(html,
        "Portcullis-Client-Id", ci.clientId())), 401, "service-token-malformed");
    assertJsonRefusal(http.get(gateway.appUrl(API, "/"), concat(html,
        Family.CLOUDFLARE.headers(stranger.clientId(), stranger.secret()))), 403,
        "service-token-unauthorized");
    assertNothingReachedTheUpstream();
  }

  @Test
  void aTokenCreatedWithTheCliIsAdmittedOnceTheServerRefreshes() throws Exception {
    String created = cli("token", "create", "cli-bot", "--duration", "30d");
    String clientId = Http.find(created, "Portcullis-Client-Id: (\\S+)");
    String secret = Http.find(created, "Portcullis-Client-Secret: (\\S+)");

    gateway.gateway().refreshServiceTokens();

    assertAdmittedAs("cli-bot", http.get(gateway.appUrl(API, "/x"),
        Family.PORTCULLIS.headers(clientId, secret)));
    String listed = cli("token", "list");
    assertThat(listed).contains("cli-bot", clientId, "active").doesNotContain(secret);
  }

  // ---- bypass

  @Test
  void aBypassedPathNeedsNothingLosesForgedIdentityHeadersAndIsCounted() throws Exception {
    HttpResponse<String> response = http.get(gateway.appUrl(API, "/health/live"),
        "X-Portcullis-Email", "ceo@example.com", "X-Portcullis-Service-Token", "ci",
        "X-Portcullis-Jwt-Assertion", "forged.jwt.value",
        "Cf-Access-Authenticated-User-Email", "ceo@example.com");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("upstream saw GET /health/live");
    Received seen = gateway.upstream().take();
    assertThat(seen.headers().keySet()).noneMatch(name -> name.startsWith("x-portcullis-")
        || name.startsWith("cf-access-"));
    assertThat(gateway.gateway().counters()).containsEntry("bypassed", 1L);
  }

  @Test
  void aTokenHeaderGivenTwiceIsRefusedRatherThanGuessed() throws Exception {
    ServiceTokens.Issued ci = create("ci");
    ServiceTokens.Issued deploy = create("deploy");

    RawHttp.Response response = RawHttp.send(gateway.port(), "GET", API, "/x", null,
        Framing.LENGTH, "Accept", "application/json",
        "Portcullis-Client-Id", deploy.clientId(), "Portcullis-Client-Id", ci.clientId(),
        "Portcullis-Client-Secret", ci.secret());

    assertThat(response.status()).isEqualTo(401);
    assertThat(new JsonObject(response.body()).getString("error"))
        .isEqualTo("service-token-malformed");
    assertThat(gateway.upstream().reached()).isFalse();
  }

  @Test
  void aStaleOrBrokenServiceTokenDoesNotCloseAPublicPath() throws Exception {
    HttpResponse<String> stale = http.get(gateway.appUrl(API, "/health/live"),
        "Accept", "application/json", "Portcullis-Client-Id", "ci.unknown",
        "Portcullis-Client-Secret", "wrong");
    HttpResponse<String> half = http.get(gateway.appUrl(API, "/health/ready"),
        "Accept", "application/json", "CF-Access-Client-Id", "ci.unknown");

    assertThat(stale.statusCode()).isEqualTo(200);
    assertThat(half.statusCode()).isEqualTo(200);
    assertThat(gateway.upstream().take().headers().keySet())
        .noneMatch(name -> name.startsWith("portcullis-client-"));
    assertThat(gateway.upstream().take().headers().keySet())
        .noneMatch(name -> name.startsWith("cf-access-"));
  }

  // ---- CORS

  @Test
  void aPreflightFromAnAllowedOriginIsAnsweredByPortcullisAlone() {
    HttpResponse<String> response = http.send("OPTIONS", gateway.appUrl(API, "/items"), null,
        "Origin", WEB_ORIGIN, "Access-Control-Request-Method", "POST",
        "Access-Control-Request-Headers", "Content-Type");

    assertThat(response.statusCode()).isEqualTo(204);
    assertThat(response.body()).isEmpty();
    assertThat(response.headers().firstValue("access-control-allow-origin"))
        .contains(WEB_ORIGIN);
    assertThat(response.headers().firstValue("access-control-allow-methods"))
        .contains("GET, POST");
    assertThat(response.headers().firstValue("access-control-allow-headers"))
        .contains("content-type");
    assertThat(response.headers().firstValue("access-control-max-age")).contains("600");
    assertThat(response.headers().firstValue("vary")).contains(
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
    assertThat(response.headers().firstValue("access-control-allow-credentials")).isEmpty();
    assertNothingReachedTheUpstream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedPreflights")
  void aPreflightOutsideTheRulesIsForbiddenAndReachesNothing(String origin, String method,
      String headers, String code) {
    HttpResponse<String> response = http.send("OPTIONS", gateway.appUrl(API, "/items"), null,
        "Origin", origin, "Access-Control-Request-Method", method,
        "Access-Control-Request-Headers", headers);

    assertJsonRefusal(response, 403, code);
    assertThat(response.headers().firstValue("access-control-allow-origin")).isEmpty();
    assertThat(response.headers().firstValue("access-control-allow-methods")).isEmpty();
    assertNothingReachedTheUpstream();
    assertThat(gateway.gateway().counters()).containsEntry("cors_refused", 1L);
  }

  static Stream<Arguments> refusedPreflights() {
    return Stream.of(
        Arguments.of(FOREIGN_ORIGIN, "POST", "content-type", "cors-origin-not-allowed"),
        Arguments.of("null", "POST", "content-type", "cors-origin-not-allowed"),
        Arguments.of(WEB_ORIGIN, "DELETE", "content-type", "cors-method-not-allowed"),
        Arguments.of(WEB_ORIGIN, "POST", "content-type, x-admin", "cors-headers-not-allowed"));
  }

  @Test
  void aPostClaimingToBeAPreflightIsAnOrdinaryRequestThatNeedsCredentials() {
    HttpResponse<String> response = http.send("POST", gateway.appUrl(API, "/items"), "{}",
        "Content-Type", "application/json", "X-HTTP-Method-Override", "OPTIONS",
        "Origin", WEB_ORIGIN, "Access-Control-Request-Method", "POST");

    assertJsonRefusal(response, 401, "user-unauthenticated");
    assertThat(response.headers().firstValue("access-control-allow-origin"))
        .contains(WEB_ORIGIN);
    assertThat(response.headers().firstValue("access-control-allow-methods")).isEmpty();
    assertNothingReachedTheUpstream();
  }

  @Test
  void refusalsCarryCorsHeadersForAnAllowedOriginOnly() throws Exception {
    ServiceTokens.Issued stranger = create("stranger");
    String[] unauthorized = Family.PORTCULLIS.headers(stranger.clientId(), stranger.secret());
    String[] wrongSecret = Family.PORTCULLIS.headers(stranger.clientId(), "wrong");

    for (String origin : List.of(WEB_ORIGIN, FOREIGN_ORIGIN)) {
      String expected = origin.equals(WEB_ORIGIN) ? origin : null;
      List<HttpResponse<String>> answers = List.of(
          http.get(gateway.appUrl(API, "/items"), "Origin", origin),
          http.get(gateway.appUrl(API, "/items"), concat(wrongSecret, "Origin", origin)),
          http.get(gateway.appUrl(API, "/items"), concat(unauthorized, "Origin", origin)));
      assertThat(answers).extracting(HttpResponse::statusCode).containsExactly(401, 401, 403);
      for (HttpResponse<String> answer : answers) {
        assertThat(answer.headers().firstValue("access-control-allow-origin").orElse(null))
            .as("Access-Control-Allow-Origin for %s on a %d", origin, answer.statusCode())
            .isEqualTo(expected);
        assertThat(answer.headers().allValues("vary")).contains("Origin");
      }
    }
    assertNothingReachedTheUpstream();
  }

  // ---- the sentry_envelope relay

  @Test
  void aValidEnvelopeIsForwardedUnchangedUnderTheRelaysServiceIdentity() throws Exception {
    byte[] envelope = envelope(DSN);

    RawHttp.Response response = RawHttp.send(gateway.port(), "POST", SENTRY, "/tunnel",
        envelope, Framing.LENGTH, "Content-Type", SDK_CONTENT_TYPE, "Origin", WEB_ORIGIN,
        "Cookie", "portcullis_app_sentry=stolen; theme=dark", "X-Portcullis-Email",
        "ceo@example.com");

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("upstream saw POST /api/4/envelope/");
    assertThat(response.header("access-control-allow-origin")).isEqualTo(WEB_ORIGIN);
    Received seen = gateway.upstream().take();
    assertThat(seen.method()).isEqualTo("POST");
    assertThat(seen.uri()).isEqualTo("/api/4/envelope/");
    assertThat(seen.body()).isEqualTo(new String(envelope, StandardCharsets.UTF_8));
    assertThat(seen.header("content-type")).isEqualTo(SDK_CONTENT_TYPE);
    assertThat(seen.header("x-portcullis-service-token")).isEqualTo("relay:sentry-tunnel");
    assertThat(seen.header("x-portcullis-email")).isNull();
    assertThat(seen.header("cookie")).isNull();
    assertServiceAssertion(seen.header("x-portcullis-jwt-assertion"), "relay:sentry-tunnel",
        "sentry");
    assertThat(gateway.gateway().counters()).containsEntry("relay_accepted", 1L);
  }

  @Test
  void aPreflightToTheRelayFollowsTheApplicationsCorsRules() {
    HttpResponse<String> allowed = http.send("OPTIONS", gateway.appUrl(SENTRY, "/tunnel"), null,
        "Origin", WEB_ORIGIN, "Access-Control-Request-Method", "POST",
        "Access-Control-Request-Headers", "content-type");
    HttpResponse<String> refused = http.send("OPTIONS", gateway.appUrl(SENTRY, "/tunnel"), null,
        "Origin", FOREIGN_ORIGIN, "Access-Control-Request-Method", "POST");

    assertThat(allowed.statusCode()).isEqualTo(204);
    assertThat(allowed.headers().firstValue("access-control-allow-origin")).contains(WEB_ORIGIN);
    assertThat(allowed.headers().firstValue("access-control-allow-methods")).contains("POST");
    assertJsonRefusal(refused, 403, "cors-origin-not-allowed");
    assertThat(refused.headers().firstValue("access-control-allow-origin")).isEmpty();
    assertNothingReachedTheUpstream();
    assertThat(gateway.gateway().counters()).doesNotContainKeys("relay_accepted",
        "relay_refused.relay-method-not-allowed");
  }

  @Test
  void aChunkedEnvelopeWithoutContentLengthIsForwardedToo() throws Exception {
    byte[] envelope = envelope(DSN);

    RawHttp.Response response = RawHttp.send(gateway.port(), "POST", SENTRY, "/tunnel",
        envelope, Framing.CHUNKED, "Content-Type", "application/x-sentry-envelope");

    assertThat(response.status()).isEqualTo(200);
    Received seen = gateway.upstream().take();
    assertThat(seen.uri()).isEqualTo("/api/4/envelope/");
    assertThat(seen.body()).isEqualTo(new String(envelope, StandardCharsets.UTF_8));
  }

  /**
   * What a client sends to the relay.
   *
   * @param declaredLength when set, only a head declaring this {@code Content-Length} is sent
   */
  record Sent(String method, byte[] body, Framing framing, Long declaredLength,
      String... headers) {}

  @ParameterizedTest(name = "{0} -> {1} {2}")
  @MethodSource("refusedEnvelopes")
  void whatIsNotAnAcceptableEnvelopeIsRefusedCountedAndNeverForwarded(Sent sent, int status,
      String code) throws Exception {
    RawHttp.Response response = sent.declaredLength() != null
        ? RawHttp.sendHeadOnly(gateway.port(), sent.method(), SENTRY, "/tunnel",
            sent.declaredLength(), sent.headers())
        : RawHttp.send(gateway.port(), sent.method(), SENTRY, "/tunnel", sent.body(),
            sent.framing(), sent.headers());

    assertThat(response.status()).isEqualTo(status);
    assertThat(response.header("content-type")).isEqualTo("application/json");
    JsonObject body = new JsonObject(response.body());
    assertThat(body.getString("error")).isEqualTo(code);
    assertThat(body.getString("request_id")).isNotBlank();
    assertNothingReachedTheUpstream();
    assertThat(gateway.gateway().counters())
        .containsEntry("relay_refused." + code, 1L)
        .doesNotContainKey("relay_accepted");
    if (status == 405) {
      assertThat(response.header("allow")).isEqualTo("POST");
    }
  }

  static Stream<Arguments> refusedEnvelopes() throws Exception {
    String[] sdk = {"Content-Type", SDK_CONTENT_TYPE};
    byte[] oversized = padded(envelope(DSN), MAX_BODY + 1);
    return Stream.of(
        refused("malformed first line", post("not json\n{\"type\":\"event\"}\n{}\n", sdk),
            400, "envelope-header-malformed"),
        refused("first line a JSON array", post("[\"" + DSN + "\"]\n{\"type\":\"event\"}\n{}",
            sdk), 400, "envelope-header-malformed"),
        refused("no dsn", post("{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n"
            + "{\"type\":\"event\"}\n{}\n", sdk), 400, "envelope-dsn-missing"),
        refused("dsn not a DSN", new Sent("POST", envelope("not a dsn"), Framing.LENGTH,
            null, sdk), 400, "envelope-dsn-malformed"),
        refused("another project", new Sent("POST",
            envelope("https://publickey@sentry.localhost/5"), Framing.LENGTH, null, sdk),
            403, "envelope-project-not-allowed"),
        refused("another host", new Sent("POST",
            envelope("https://publickey@o1.ingest.sentry.invalid/4"), Framing.LENGTH, null,
            sdk), 403, "envelope-dsn-host-mismatch"),
        refused("an item that is not JSON", post("{\"dsn\":\"" + DSN + "\"}\nnot an item\n",
            sdk), 400, "envelope-item-malformed"),
        refused("Content-Length over max_body", new Sent("POST", null, Framing.LENGTH,
            (long) MAX_BODY + 1, sdk), 413, "envelope-too-large"),
        refused("chunked past max_body", new Sent("POST", oversized,
            Framing.CHUNKED_UNFINISHED, null, sdk), 413, "envelope-too-large"),
        refused("gzip bomb", new Sent("POST", gzip(new byte[20 << 20]),
            Framing.LENGTH, null, concat(sdk, "Content-Encoding", "gzip")), 413,
            "envelope-too-large"),
        refused("brotli", new Sent("POST", envelope(DSN), Framing.LENGTH, null,
            concat(sdk, "Content-Encoding", "br")), 415, "envelope-encoding-unsupported"),
        refused("GET", new Sent("GET", null, Framing.LENGTH, null), 405,
            "relay-method-not-allowed"),
        refused("PUT", new Sent("PUT", envelope(DSN), Framing.LENGTH, null, sdk), 405,
            "relay-method-not-allowed"));
  }

  private static Arguments refused(String name, Sent sent, int status, String code) {
    return Arguments.of(Named.of(name, sent), status, code);
  }

  private static Sent post(String body, String... headers) {
    return new Sent("POST", body.getBytes(StandardCharsets.UTF_8), Framing.LENGTH, null,
        headers);
  }

  @Test
  void theRateLimitRefusesTheFourthEnvelopeInAMinuteAndLiftsAfterIt() throws Exception {
    String url = gateway.appUrl(SENTRY, "/tunnel-slow");
    String envelope = new String(envelope(DSN), StandardCharsets.UTF_8);

    for (int i = 0; i < 3; i++) {
      assertThat(http.send("POST", url, envelope, "Content-Type", SDK_CONTENT_TYPE)
          .statusCode()).as("envelope %d", i + 1).isEqualTo(200);
      assertThat(gateway.upstream().take().header("x-portcullis-service-token"))
          .isEqualTo("relay:sentry-slow");
    }
    assertJsonRefusal(http.send("POST", url, envelope, "Content-Type", SDK_CONTENT_TYPE), 429,
        "relay-rate-limited");
    // Without trusted proxies a client's X-Forwarded-For names nobody: still the same client.
    assertJsonRefusal(http.send("POST", url, envelope, "Content-Type", SDK_CONTENT_TYPE,
        "X-Forwarded-For", "203.0.113.9"), 429, "relay-rate-limited");
    assertNothingReachedTheUpstream();
    assertThat(gateway.gateway().counters()).containsEntry("relay_refused.relay-rate-limited",
        2L).containsEntry("relay_accepted", 3L);

    gateway.clock().advance(Duration.ofMinutes(1));

    assertThat(http.send("POST", url, envelope, "Content-Type", SDK_CONTENT_TYPE).statusCode())
        .isEqualTo(200);
    assertThat(gateway.upstream().take().uri()).isEqualTo("/api/4/envelope/");
  }

  @Test
  void theSameEnvelopeOffTheRelayPathNeedsALoginAndReachesNothing() {
    String envelope = new String(envelope(DSN), StandardCharsets.UTF_8);

    for (String path : List.of("/api/4/envelope/", "/tunnel/", "/tunnel2", "/Tunnel")) {
      HttpResponse<String> response = http.send("POST", gateway.appUrl(SENTRY, path), envelope,
          "Content-Type", SDK_CONTENT_TYPE, "Origin", WEB_ORIGIN);
      assertJsonRefusal(response, 401, "user-unauthenticated");
      assertThat(response.headers().firstValue("access-control-allow-origin"))
          .contains(WEB_ORIGIN);
    }
    assertNothingReachedTheUpstream();
    assertThat(gateway.gateway().counters()).doesNotContainKey("relay_accepted");
  }

  // ---- helpers

  private ServiceTokens.Issued create(String name) {
    ServiceTokens.Issued issued = tokens.create(name, Duration.ofDays(30));
    gateway.gateway().refreshServiceTokens();
    return issued;
  }

  /** Runs a {@code portcullis} command in-process against this gateway's configuration. */
  private String cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(List.of("--config", gateway.configFile().toString()));
    int exit = Main.commandLine().setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true)).execute(all.toArray(String[]::new));
    assertThat(exit).as("exit status of %s; stderr: %s", all, err).isZero();
    return out.toString();
  }

  private void assertAdmittedAs(String token, HttpResponse<String> response)
      throws InterruptedException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    Received seen = gateway.upstream().take();
    assertThat(seen.header("x-portcullis-service-token")).isEqualTo(token);
    assertNoTokenHeaders(seen);
  }

  private static void assertNoTokenHeaders(Received seen) {
    assertThat(seen.headers().keySet()).doesNotContainAnyElementsOf(TOKEN_HEADERS);
  }

  /** A JSON refusal: status, no redirect, no caching, the error code and a request id. */
  private static JsonObject assertJsonRefusal(HttpResponse<String> response, int status,
      String code) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("location")).isEmpty();
    assertThat(response.headers().firstValue("content-type")).contains("application/json");
    assertThat(response.headers().firstValue("cache-control")).contains("no-store");
    JsonObject body = new JsonObject(response.body());
    assertThat(body.getString("error")).isEqualTo(code);
    assertThat(body.getString("request_id")).isNotBlank();
    return body;
  }

  private void assertNothingReachedTheUpstream() {
    assertThat(gateway.upstream().reached()).as("the upstream was reached").isFalse();
  }

  /**
   * The upstream's assertion: ES256 under a key the auth domain publishes, for this application
   * only, naming the service rather than a person.
   */
  private void assertServiceAssertion(String token, String service, String application)
      throws Exception {
    assertThat(token).as("X-Portcullis-Jwt-Assertion").isNotNull();
    SignedJWT assertion = SignedJWT.parse(token);
    assertThat(assertion.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
    HttpResponse<String> jwks = http.get(gateway.authUrl("/.well-known/jwks.json"));
    assertThat(jwks.statusCode()).isEqualTo(200);
    JWK key = JWKSet.parse(jwks.body()).getKeyByKeyId(assertion.getHeader().getKeyID());
    assertThat(key).as("the assertion's key in the JWKS").isNotNull();
    assertThat(assertion.verify(new ECDSAVerifier(key.toECKey()))).isTrue();

    JWTClaimsSet claims = assertion.getJWTClaimsSet();
    assertThat(claims.getStringClaim("type")).isEqualTo("service");
    assertThat(claims.getStringClaim("service_token")).isEqualTo(service);
    assertThat(claims.getSubject()).isEqualTo("service:" + service);
    assertThat(claims.getAudience()).containsExactly(application);
    assertThat(claims.getIssuer()).isEqualTo("http://auth.localhost:" + gateway.port());
    assertThat(claims.getClaim("email")).isNull();
    assertThat(claims.getExpirationTime()).isAfter(java.util.Date.from(
        gateway.clock().instant()));
  }

  /** An envelope as the browser SDK sends it through a tunnel: header, item header, event. */
  private static byte[] envelope(String dsn) {
    String header = new JsonObject().put("event_id", "9ec79c33ec9942ab8353589fcb2e04dc")
        .put("sent_at", "2026-12-04T12:00:00.000Z").put("dsn", dsn)
        .put("sdk", new JsonObject().put("name", "sentry.javascript.browser")
            .put("version", "11.12.0")).encode();
    String event = new JsonObject().put("event_id", "9ec79c33ec9942ab8353589fcb2e04dc")
        .put("level", "error").put("platform", "javascript")
        .put("exception", new JsonObject().put("values", List.of(new JsonObject()
            .put("type", "Error").put("value", "portcullis-machine-test")))).encode();
    return (header + "\n{\"type\":\"event\"}\n" + event + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** The envelope followed by blank lines up to {@code size} bytes: still a valid envelope. */
  private static byte[] padded(byte[] envelope, int size) {
    byte[] out = Arrays.copyOf(envelope, size);
    Arrays.fill(out, envelope.length, size, (byte) '\n');
    return out;
  }

  private static byte[] gzip(byte[] data) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  private static String[] concat(String[] first, String... more) {
    String[] all = Arrays.copyOf(first, first.length + more.length);
    System.arraycopy(more, 0, all, first.length, more.length);
    return all;
  }
}
