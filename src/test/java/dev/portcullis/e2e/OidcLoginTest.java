package dev.portcullis.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.OverridingProxy;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Sign-in through OpenID Connect against a real third-party OIDC server (mock-oauth2-server) on
 * 127.0.0.1: the happy path with claims and groups feeding policies, and every failure the
 * issue lists, each leaving no session behind.
 */
class OidcLoginTest {
  private static final String ISSUER_ID = "corp";
  private static final String CLIENT_ID = "portcullis";
  private static final String CONFIG = """
      listen: 127.0.0.1:{port}
      data_dir: {data}
      auth:
        url: http://auth.localhost:{port}
      identity_providers:
        - { id: email, type: onetimepin, delivery: console }
        - id: corp
          type: oidc
          name: Corp SSO
          issuer: {issuer}
          client_id: portcullis
          client_secret: s3cret
          timeout: 2s
      applications:
        - name: app
          host: app.localhost
          upstream: http://127.0.0.1:{upstream}
          policies:
            - { name: staff, action: allow, include: [ { email_domain: [example.com] } ] }
        - name: eng
          host: eng.localhost
          upstream: http://127.0.0.1:{upstream}
          identity_providers: [corp]
          auto_redirect: true
          policies:
            - name: engineers
              action: allow
              include:
                - oidc_group: [engineering]
                - oidc_claim: { name: department, value: platform }
      """;

  @TempDir
  Path dir;

  private MockOAuth2Server oidc;
  private OverridingProxy front;
  private TestGateway gateway;
  private Http http;
  private final HttpClient direct = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER).build();

  @BeforeEach
  void start() throws Exception {
    oidc = new MockOAuth2Server();
    oidc.start(java.net.InetAddress.getByName("127.0.0.1"), 0);
    front = new OverridingProxy(oidc.baseUrl().port());
    gateway = TestGateway.start(dir, CONFIG, Map.of("issuer", issuer()));
    http = gateway.http();
  }

  @AfterEach
  void stop() {
    gateway.close();
    front.close();
    oidc.shutdown();
  }

  /** The issuer as Portcullis sees it: through the front, which the server names itself by. */
  private String issuer() {
    return "http://127.0.0.1:" + front.port() + "/" + ISSUER_ID;
  }

  private String app(String host) {
    return gateway.appUrl(host, "/");
  }

  /** The next token the server issues carries these claims (the nonce it adds itself). */
  private void nextLoginClaims(Map<String, Object> claims) {
    oidc.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER_ID, "subject-1",
        JOSEObjectType.JWT.getType(), List.of(CLIENT_ID), claims, 3600));
  }

  private static Map<String, Object> person(String email) {
    Map<String, Object> claims = new HashMap<>();
    claims.put("email", email);
    claims.put("email_verified", true);
    claims.put("name", "Alice Example");
    return claims;
  }

  /** Starts a sign-in; returns the provider's authorization URL. */
  private URI start(String target) {
    HttpResponse<String> login = http.get(gateway.authUrl("/login/corp?redirect_url="
        + enc(target)), "Accept", "text/html");
    assertThat(login.statusCode()).as(login.body()).isEqualTo(302);
    return URI.create(login.headers().firstValue("location").orElseThrow());
  }

  /** Lets the provider authorize (no login form); returns Portcullis's callback URL. */
  private String authorize(URI authorization) throws Exception {
    HttpResponse<String> answer = direct.send(HttpRequest.newBuilder(authorization).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(302);
    return answer.headers().firstValue("location").orElseThrow();
  }

  private HttpResponse<String> callback(String callbackUrl, String accept) {
    return http.get(callbackUrl, "Accept", accept);
  }

  private static String query(URI uri, String name) {
    for (String pair : uri.getRawQuery().split("&")) {
      if (pair.startsWith(name + "=")) {
        return URLDecoder.decode(pair.substring(name.length() + 1), StandardCharsets.UTF_8);
      }
    }
    throw new AssertionError(name + " not in " + uri);
  }

  private void expectNoSession() {
    assertThat(http.cookie("auth.localhost", "portcullis_session")).isNull();
  }

  private static String enc(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  // ---- the happy path

  @Test
  void signingInThroughTheProviderReachesTheApplicationWithClaimsAndGroups() throws Exception {
    Map<String, Object> claims = person("alice@example.com");
    claims.put("groups", List.of("engineering", "everyone"));
    claims.put("department", "platform");
    nextLoginClaims(claims);

    URI authorization = start(app("eng.localhost"));
    assertThat(authorization.toString()).startsWith(issuer() + "/authorize?");
    assertThat(query(authorization, "code_challenge_method")).isEqualTo("S256");
    assertThat(query(authorization, "client_id")).isEqualTo(CLIENT_ID);
    HttpResponse<String> back = callback(authorize(authorization), "text/html");

    assertThat(back.statusCode()).isEqualTo(302);
    assertThat(back.headers().firstValue("location").orElseThrow())
        .startsWith(gateway.authUrl("/authorize?redirect_url="));
    gateway.followToApp(http, back.headers().firstValue("location").orElseThrow());
    assertThat(http.get(app("eng.localhost"), "Accept", "application/json").statusCode())
        .isEqualTo(200);
    var seen = gateway.upstream().take();
    assertThat(seen.header("x-portcullis-email")).isEqualTo("alice@example.com");
    assertThat(seen.header("x-portcullis-groups")).as("only groups a policy names")
        .isEqualTo("engineering");
    JsonObject identity = new JsonObject(http.get(gateway.appUrl("eng.localhost",
        "/.portcullis/identity")).body());
    assertThat(identity.getString("idp")).isEqualTo("corp");

    // The token exchange used PKCE and the client's credentials.
    var token = takeRequestTo("/corp/token");
    assertThat(token.getBody().readUtf8()).contains("code_verifier=");
    assertThat(token.getHeader("Authorization")).startsWith("Basic ");
  }

  private okhttp3.mockwebserver.RecordedRequest takeRequestTo(String path) {
    for (int i = 0; i < 20; i++) {
      var request = oidc.takeRequest(5, java.util.concurrent.TimeUnit.SECONDS);
      if (request == null) {
        break;
      }
      if (request.getPath() != null && request.getPath().startsWith(path)) {
        return request;
      }
    }
    throw new AssertionError("no request to " + path);
  }

  @Test
  void groupsThatNoPolicyNamesAreNotCarriedAndTheWrongGroupIsRefused() throws Exception {
    Map<String, Object> claims = person("bob@example.com");
    claims.put("groups", List.of("sales"));
    nextLoginClaims(claims);

    HttpResponse<String> back = callback(authorize(start(app("eng.localhost"))), "text/html");
    HttpResponse<String> authorize = http.get(back.headers().firstValue("location")
        .orElseThrow(), "Accept", "application/json");

    assertThat(authorize.statusCode()).isEqualTo(403);
    assertThat(new JsonObject(authorize.body()).getString("email")).isEqualTo("bob@example.com");
  }

  @Test
  void anApplicationWithOneRedirectingProviderCanSkipTheLoginPage() {
    HttpResponse<String> login = http.get(gateway.authUrl("/login?redirect_url="
        + enc(app("eng.localhost"))), "Accept", "text/html");

    assertThat(login.statusCode()).isEqualTo(302);
    assertThat(login.headers().firstValue("location")).hasValue("/login/corp?redirect_url="
        + enc(app("eng.localhost")));
  }

  @Test
  void theLoginPageListsTheAllowedProvidersInOrder() {
    HttpResponse<String> both = http.get(gateway.authUrl("/login?redirect_url="
        + enc(app("app.localhost"))), "Accept", "text/html");
    HttpResponse<String> onlyCorp = http.get(gateway.authUrl("/login"), "Accept",
        "text/html");

    assertThat(both.body()).contains("Email me a code").contains("Sign in with Corp SSO");
    assertThat(both.body().indexOf("Email me a code"))
        .isLessThan(both.body().indexOf("Corp SSO"));
    assertThat(onlyCorp.body()).as("the launcher's login lists every provider")
        .contains("Sign in with Corp SSO").contains("Email me a code");
  }

  // ---- failures: each a clear page or JSON, one log line, no session

  @Test
  void anUnverifiedEmailIsRefused() throws Exception {
    Map<String, Object> claims = person("carol@example.com");
    claims.put("email_verified", false);
    nextLoginClaims(claims);

    HttpResponse<String> back = callback(authorize(start(app("app.localhost"))), "text/html");

    assertThat(back.statusCode()).isEqualTo(403);
    assertThat(back.body()).contains("no verified email address").contains("Request id")
        .contains("Try again");
    expectNoSession();
  }

  @Test
  void aReplayedCallbackIsRefused() throws Exception {
    nextLoginClaims(person("alice@example.com"));
    String callbackUrl = authorize(start(app("app.localhost")));
    assertThat(callback(callbackUrl, "text/html").statusCode()).isEqualTo(302);
    http.clearCookies();

    HttpResponse<String> replay = callback(callbackUrl, "application/json");

    assertThat(replay.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(replay.body()).getString("error")).isEqualTo("state-mismatch");
    expectNoSession();
  }

  @Test
  void aCallbackWithAnotherFlowsStateIsRefused() throws Exception {
    String callbackUrl = authorize(start(app("app.localhost")));
    Http other = gateway.http();
    http = other;
    start(app("app.localhost"));

    HttpResponse<String> crossed = callback(callbackUrl, "application/json");

    assertThat(crossed.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(crossed.body()).getString("error")).isEqualTo("state-mismatch");
  }

  @Test
  void anIdTokenWithAnotherFlowsNonceIsRefused() throws Exception {
    URI authorization = start(app("app.localhost"));
    nextIdToken(ownSigned("the-nonce-of-another-sign-in", CLIENT_ID,
        gateway.clock().instant().plusSeconds(600)));

    HttpResponse<String> mixed = callback(gateway.authUrl("/callback/corp?code=c&state="
        + state(authorization)), "application/json");

    assertThat(mixed.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(mixed.body()).getString("error")).isEqualTo("nonce-mismatch");
    expectNoSession();
  }

  /** Answers the next token request with this ID token instead of the server. */
  private void nextIdToken(String idToken) {
    front.override("/corp/token", 200, new JsonObject().put("id_token", idToken)
        .put("access_token", "at").put("token_type", "Bearer").encode());
  }

  /** A key of the test's own, published through the front in place of the server's keys. */
  private final RSAKey testKey = generateKey("test-key");

  private static RSAKey generateKey(String kid) {
    try {
      return new RSAKeyGenerator(2048).keyID(kid).generate();
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * An ID token signed with the test's key, right in every respect but those the arguments
   * change; the provider's key set is answered with that key on the next fetch.
   */
  private String ownSigned(String nonce, String audience, Instant expiresAt) throws Exception {
    SignedJWT token = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256)
        .keyID(testKey.getKeyID()).type(JOSEObjectType.JWT).build(), new JWTClaimsSet.Builder()
        .issuer(issuer()).audience(audience).subject("subject-9")
        .claim("email", "alice@example.com").claim("email_verified", true)
        .claim("nonce", nonce).issueTime(Date.from(gateway.clock().instant()))
        .expirationTime(Date.from(expiresAt)).build());
    token.sign(new RSASSASigner(testKey));
    front.override("/corp/jwks", 200, new JWKSet(testKey.toPublicJWK()).toString());
    return token.serialize();
  }

  private String state(URI authorization) {
    return enc(query(authorization, "state"));
  }

  @Test
  void aWellFormedTokenFromTheTestsOwnKeyIsAccepted() throws Exception {
    URI authorization = start(app("app.localhost"));
    nextIdToken(ownSigned(query(authorization, "nonce"), CLIENT_ID,
        gateway.clock().instant().plusSeconds(600)));

    HttpResponse<String> back = callback(gateway.authUrl("/callback/corp?code=c&state="
        + state(authorization)), "text/html");

    assertThat(back.statusCode()).as("the control for the forged-token tests").isEqualTo(302);
  }

  @Test
  void anIdTokenForAnotherAudienceIsRefused() throws Exception {
    URI authorization = start(app("app.localhost"));
    nextIdToken(ownSigned(query(authorization, "nonce"), "someone-else",
        gateway.clock().instant().plusSeconds(600)));

    HttpResponse<String> back = callback(gateway.authUrl("/callback/corp?code=c&state="
        + enc(query(authorization, "state"))), "application/json");

    assertThat(back.statusCode()).isEqualTo(502);
    assertThat(new JsonObject(back.body()).getString("error")).isEqualTo("token-invalid");
    expectNoSession();
  }

  @Test
  void anExpiredIdTokenIsRefused() throws Exception {
    URI authorization = start(app("app.localhost"));
    // Expired 61 s ago: just past the 60 s skew.
    nextIdToken(ownSigned(query(authorization, "nonce"), CLIENT_ID,
        gateway.clock().instant().minusSeconds(61)));

    HttpResponse<String> back = callback(gateway.authUrl("/callback/corp?code=c&state="
        + enc(query(authorization, "state"))), "application/json");

    assertThat(back.statusCode()).isEqualTo(502);
    assertThat(new JsonObject(back.body()).getString("error")).isEqualTo("token-invalid");
  }

  @Test
  void anIdTokenWithABadSignatureIsRefused() throws Exception {
    URI authorization = start(app("app.localhost"));
    String[] parts = ownSigned(query(authorization, "nonce"), CLIENT_ID,
        gateway.clock().instant().plusSeconds(600)).split("\\.");
    String forgedPayload = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
        new String(java.util.Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
            .replace("alice@example.com", "admin@example.com").getBytes(StandardCharsets.UTF_8));
    nextIdToken(parts[0] + "." + forgedPayload + "." + parts[2]);

    HttpResponse<String> back = callback(gateway.authUrl("/callback/corp?code=c&state="
        + enc(query(authorization, "state"))), "application/json");

    assertThat(back.statusCode()).isEqualTo(502);
    assertThat(new JsonObject(back.body()).getString("error")).isEqualTo("token-invalid");
    expectNoSession();
  }

  @Test
  void anUnknownKeyIdMakesPortcullisFetchTheRotatedKeysOnce() throws Exception {
    // A first login caches the server's keys.
    nextLoginClaims(person("alice@example.com"));
    assertThat(callback(authorize(start(app("app.localhost"))), "text/html").statusCode())
        .isEqualTo(302);
    http.clearCookies();
    gateway.clock().advance(Duration.ofMinutes(1));

    // The provider rotates to a key Portcullis has not seen.
    RSAKey rotated = new RSAKeyGenerator(2048).keyID("rotated-1").generate();
    URI authorization = start(app("app.localhost"));
    SignedJWT token = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256)
        .keyID("rotated-1").type(JOSEObjectType.JWT).build(), new JWTClaimsSet.Builder()
        .issuer(issuer()).audience(CLIENT_ID).subject("subject-2")
        .claim("email", "dave@example.com").claim("email_verified", true)
        .claim("nonce", query(authorization, "nonce"))
        .issueTime(Date.from(gateway.clock().instant()))
        .expirationTime(Date.from(gateway.clock().instant().plusSeconds(600))).build());
    token.sign(new RSASSASigner(rotated));
    nextIdToken(token.serialize());
    front.override("/corp/jwks", 200, new JWKSet(rotated.toPublicJWK()).toString());

    HttpResponse<String> back = callback(gateway.authUrl("/callback/corp?code=c&state="
        + enc(query(authorization, "state"))), "text/html");

    assertThat(back.statusCode()).as(back.body()).isEqualTo(302);
    assertThat(http.cookie("auth.localhost", "portcullis_session")).isNotNull();
  }

  @Test
  void consentDeniedAtTheProviderIsExplained() {
    URI authorization = start(app("app.localhost"));

    HttpResponse<String> back = callback(gateway.authUrl("/callback/corp?error=access_denied"
        + "&state=" + enc(query(authorization, "state"))), "text/html");

    assertThat(back.statusCode()).isEqualTo(403);
    assertThat(back.body()).contains("cancelled at the provider")
        .contains("/login?redirect_url=");
    expectNoSession();
  }

  @Test
  void aLoginFlowOlderThanTenMinutesHasExpired() throws Exception {
    nextLoginClaims(person("alice@example.com"));
    String callbackUrl = authorize(start(app("app.localhost")));
    gateway.clock().advance(Duration.ofMinutes(11));

    HttpResponse<String> late = callback(callbackUrl, "application/json");

    assertThat(late.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(late.body()).getString("error")).isEqualTo("login-expired");
    expectNoSession();
  }

  @ParameterizedTest(name = "token endpoint answers {0} {1}")
  @CsvSource(delimiter = '|', value = {
      "200 | <html>not json</html> | malformed-response",
      "200 | []                    | malformed-response",
      "200 | {}                    | malformed-response",
      "503 | down                  | provider-error",
      "401 | {}                    | token-invalid",
  })
  void aBadTokenAnswerIsRefusedWithoutASession(int status, String body, String code)
      throws Exception {
    URI authorization = start(app("app.localhost"));
    front.override("/corp/token", status, body);

    HttpResponse<String> back = callback(gateway.authUrl("/callback/corp?code=c&state="
        + enc(query(authorization, "state"))), "application/json");

    assertThat(back.statusCode()).isEqualTo(502);
    assertThat(new JsonObject(back.body()).getString("error")).isEqualTo(code);
    expectNoSession();
  }

  @Test
  void anUnreachableOrSlowProviderGivesAClearPage() throws Exception {
    int closed = TestGateway.freePort();
    io.vertx.core.http.HttpServer silent = gateway.vertx().createHttpServer()
        .requestHandler(request -> { }).listen(0, "127.0.0.1").await();
    String template = CONFIG.replace("timeout: 2s", "timeout: 300ms") + """
          - name: other
            host: other.localhost
            upstream: http://127.0.0.1:{upstream}
            policies: [ { name: all, action: allow, include: [ { everyone: true } ] } ]
        """;
    for (String issuer : List.of("http://127.0.0.1:" + closed + "/corp",
        "http://127.0.0.1:" + silent.actualPort() + "/corp")) {
      Path other = dir.resolve("p" + issuer.hashCode());
      java.nio.file.Files.createDirectories(other);
      try (TestGateway down = TestGateway.start(other, template, Map.of("issuer", issuer))) {
        HttpResponse<String> login = down.http().get(down.authUrl("/login/corp"),
            "Accept", "application/json");
        boolean slow = issuer.contains(String.valueOf(silent.actualPort()));
        assertThat(login.statusCode()).as(issuer).isEqualTo(slow ? 504 : 502);
        assertThat(new JsonObject(login.body()).getString("error"))
            .isEqualTo(slow ? "provider-timeout" : "provider-unreachable");
      }
    }
    silent.close().await();
  }
  @Test
  void aPersonSignsInThroughTheProviderInARealBrowser() throws Exception {
    Map<String, Object> claims = person("erin@example.com");
    claims.put("groups", List.of("engineering"));
    nextLoginClaims(claims);
    Path profile = java.nio.file.Files.createDirectories(dir.resolve("chromium-profile"));
    try (var chromium = dev.portcullis.testing.HeadlessChromium.start(profile)) {
      chromium.block("*/favicon.ico");
      var browser = chromium.driver();

      browser.get(gateway.appUrl("app.localhost", "/reports"));
      chromium.await(org.openqa.selenium.support.ui.ExpectedConditions
          .urlContains("/login?redirect_url="));
      browser.findElement(org.openqa.selenium.By.linkText("Sign in with Corp SSO")).click();
      chromium.await(org.openqa.selenium.support.ui.ExpectedConditions
          .urlToBe(gateway.appUrl("app.localhost", "/reports")));

      assertThat(browser.getPageSource()).contains("upstream saw GET /reports");
      var seen = gateway.upstream().take();
      assertThat(seen.header("x-portcullis-email")).isEqualTo("erin@example.com");
      assertThat(seen.header("cookie")).isNull();
    }
  }
}
