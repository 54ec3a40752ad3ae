package dev.portcullis.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.RecordingUpstream.Received;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP contract of issue 2, exercised over real sockets against an in-process gateway. */
class GatewayHttpTest {
  private static final String YOU = "you@example.com";

  @TempDir
  Path dir;

  private TestGateway gateway;
  private Http http;

  @BeforeEach
  void start() throws Exception {
    gateway = TestGateway.start(dir);
    http = gateway.http();
  }

  @AfterEach
  void stop() {
    gateway.close();
  }

  private String app(String path) {
    return gateway.appUrl("app.localhost", path);
  }

  private static String enc(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  // ---- no credential

  @Test
  void browserWithoutCookieIsRedirectedToLogin() {
    HttpResponse<String> response = http.get(app("/reports?year=2026"), "Accept", "text/html");

    assertThat(response.statusCode()).isEqualTo(302);
    assertThat(response.headers().firstValue("location")).hasValue(
        gateway.authUrl("/login?redirect_url=" + enc(app("/reports?year=2026"))));
    assertThat(gateway.upstream().reached()).isFalse();
  }

  @Test
  void apiClientWithoutCookieGets401JsonNotARedirect() {
    for (String accept : new String[] {"application/json", "*/*"}) {
      HttpResponse<String> response = http.get(app("/api"), "Accept", accept);

      assertThat(response.statusCode()).isEqualTo(401);
      assertThat(response.headers().firstValue("location")).isEmpty();
      JsonObject body = new JsonObject(response.body());
      assertThat(body.getString("error")).isEqualTo("user-unauthenticated");
      assertThat(body.getString("login_url")).startsWith(gateway.authUrl("/login?"));
      assertThat(body.getString("request_id")).isEqualTo(
          response.headers().firstValue("x-request-id").orElseThrow());
    }
  }

  @Test
  void browserPostWithoutCookieGets401NotARedirect() {
    HttpResponse<String> response = http.send("POST", app("/form"), "a=1", "Accept",
        "text/html");

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(gateway.upstream().reached()).isFalse();
  }

  @Test
  void unknownHostGets404() {
    HttpResponse<String> response = http.get("http://nothing.localhost/", "Accept",
        "application/json");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(response.body()).getString("error")).isEqualTo("app-not-found");
  }

  // ---- signed in

  @Test
  void signedInRequestReachesUpstreamWithIdentityAndWithoutForgedHeaders() throws Exception {
    gateway.signIn(http, YOU, app("/"));

    HttpResponse<String> response = http.send("POST", app("/submit?x=1"), "payload",
        "Accept", "application/json",
        "X-Portcullis-Email", "ceo@example.com",
        "X-Portcullis-User", "forged",
        "x-portcullis-jwt-assertion", "forged",
        "Cf-Access-Authenticated-User-Email", "ceo@example.com",
        "X-Real-IP", "10.9.9.9",
        "Cookie", "portcullis_app_app=" + http.cookie("app.localhost", "portcullis_app_app")
            + "; theme=dark; portcullis_session=stolen");

    assertThat(response.statusCode()).isEqualTo(200);
    Received seen = gateway.upstream().take();
    assertThat(seen.method()).isEqualTo("POST");
    assertThat(seen.uri()).isEqualTo("/submit?x=1");
    assertThat(seen.body()).isEqualTo("payload");
    assertThat(seen.headers().get("x-portcullis-email")).containsExactly(YOU);
    assertThat(seen.headers().get("x-portcullis-user")).hasSize(1).doesNotContain("forged");
    assertThat(seen.headers().get("x-portcullis-jwt-assertion")).hasSize(1)
        .doesNotContain("forged");
    assertThat(seen.header("cf-access-authenticated-user-email")).isNull();
    assertThat(seen.header("x-real-ip")).isNull();
    assertThat(seen.header("cookie")).isEqualTo("theme=dark");
    assertThat(seen.header("x-forwarded-for")).isEqualTo("127.0.0.1");
    assertThat(seen.header("x-forwarded-host")).isEqualTo("app.localhost:" + gateway.port());
    assertThat(seen.header("x-forwarded-proto")).isEqualTo("http");
  }

  @Test
  void identityEndpointShowsTheSignedInPerson() throws Exception {
    gateway.signIn(http, YOU, app("/"));

    JsonObject identity = new JsonObject(http.get(app("/.portcullis/identity")).body());

    assertThat(identity.getString("email")).isEqualTo(YOU);
    assertThat(identity.getString("application")).isEqualTo("app");
    assertThat(identity.getString("idp")).isEqualTo("email");
  }

  @Test
  void signedInEmailThatNoPolicyAllowsGets403NamingEmailAndApp() throws Exception {
    gateway.signIn(http, YOU, app("/"));
    String other = gateway.appUrl("other.localhost", "/");

    HttpResponse<String> page = http.get(gateway.authUrl("/authorize?redirect_url="
        + enc(other)), "Accept", "text/html");
    HttpResponse<String> json = http.get(gateway.authUrl("/authorize?redirect_url="
        + enc(other)), "Accept", "application/json");

    assertThat(page.statusCode()).isEqualTo(403);
    assertThat(page.body()).contains("You cannot open other").contains(YOU);
    assertThat(json.statusCode()).isEqualTo(403);
    JsonObject body = new JsonObject(json.body());
    assertThat(body.getString("error")).isEqualTo("user-unauthorized");
    assertThat(body.getString("email")).isEqualTo(YOU);
    assertThat(body.getString("application")).isEqualTo("other");
  }

  @Test
  void launcherListsOnlyTheApplicationsThisPersonMayOpen() throws Exception {
    gateway.signIn(http, YOU, app("/"));

    HttpResponse<String> launcher = http.get(gateway.authUrl("/"), "Accept", "text/html");

    assertThat(launcher.statusCode()).isEqualTo(200);
    assertThat(launcher.body()).contains(">app<").doesNotContain(">other<");
  }

  // ---- cookies that must count as no cookie

  @Test
  void tamperedExpiredWrongAudienceAndUnsignedCookiesCountAsNoCookie() throws Exception {
    gateway.signIn(http, YOU, app("/"));
    String good = http.cookie("app.localhost", "portcullis_app_app");
    String[] parts = good.split("\\.");
    JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]),
        StandardCharsets.UTF_8));
    String forgedPayload = Base64.getUrlEncoder().withoutPadding().encodeToString(
        claims.copy().put("email", "ceo@example.com").encode().getBytes(StandardCharsets.UTF_8));
    JWTClaimsSet parsed = JWTClaimsSet.parse(claims.encode());
    SignedJWT hs256 = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), parsed);
    hs256.sign(new MACSigner(new byte[32]));

    Map<String, String> bad = Map.of(
        "tampered payload", parts[0] + "." + forgedPayload + "." + parts[2],
        "tampered signature", parts[0] + "." + parts[1] + "." + parts[2].substring(0, 10)
            + (parts[2].charAt(10) == 'A' ? 'B' : 'A') + parts[2].substring(11),
        "alg none", new PlainJWT(parsed).serialize(),
        "alg HS256", hs256.serialize(),
        "garbage", "not-a-token");
    for (var entry : bad.entrySet()) {
      HttpResponse<String> response = http.get(app("/"), "Accept", "application/json",
          "Cookie", "portcullis_app_app=" + entry.getValue());
      assertThat(response.statusCode()).as(entry.getKey()).isEqualTo(401);
    }

    // The same valid token presented at another application (another audience).
    HttpResponse<String> elsewhere = http.get(gateway.appUrl("other.localhost", "/"),
        "Accept", "application/json", "Cookie", "portcullis_app_other=" + good);
    assertThat(elsewhere.statusCode()).isEqualTo(401);

    // The global session token presented as an app token (another use).
    HttpResponse<String> session = http.get(app("/"), "Accept", "application/json",
        "Cookie", "portcullis_app_app=" + http.cookie("auth.localhost", "portcullis_session"));
    assertThat(session.statusCode()).isEqualTo(401);

    assertThat(http.get(app("/"), "Accept", "application/json").statusCode()).isEqualTo(200);
    gateway.clock().advance(Duration.ofHours(2).plusSeconds(1));
    assertThat(http.get(app("/"), "Accept", "application/json").statusCode())
        .as("expired after the application's 2h session").isEqualTo(401);
  }

  @Test
  void upstreamAssertionIsNotAcceptedAsAppCookie() throws Exception {
    gateway.signIn(http, YOU, app("/"));
    assertThat(http.get(app("/"), "Accept", "application/json").statusCode()).isEqualTo(200);
    String assertion = gateway.upstream().take().header("x-portcullis-jwt-assertion");

    HttpResponse<String> response = http.get(app("/"), "Accept", "application/json",
        "Cookie", "portcullis_app_app=" + assertion);

    assertThat(response.statusCode()).isEqualTo(401);
  }

  // ---- logout

  @Test
  void logoutRevokesTheSessionSoTheOldAppCookieStopsWorking() throws Exception {
    gateway.signIn(http, YOU, app("/"));
    String oldAppCookie = http.cookie("app.localhost", "portcullis_app_app");
    String oldSession = http.cookie("auth.localhost", "portcullis_session");

    HttpResponse<String> logout = http.get(app("/.portcullis/logout"), "Accept", "text/html");

    assertThat(logout.statusCode()).isEqualTo(302);
    assertThat(logout.headers().firstValue("location")).hasValue(gateway.authUrl("/logout"));
    HttpResponse<String> replay = http.get(app("/"), "Accept", "application/json",
        "Cookie", "portcullis_app_app=" + oldAppCookie);
    assertThat(replay.statusCode()).isEqualTo(401);
    HttpResponse<String> authorize = http.get(gateway.authUrl("/authorize?redirect_url="
        + enc(app("/"))), "Accept", "text/html", "Cookie", "portcullis_session=" + oldSession);
    assertThat(authorize.statusCode()).isEqualTo(302);
    assertThat(authorize.headers().firstValue("location").orElseThrow())
        .startsWith(gateway.authUrl("/login?"));
  }

  @Test
  void authDomainLogoutAlsoEndsEveryAppCookie() throws Exception {
    gateway.signIn(http, YOU, app("/"));
    String oldAppCookie = http.cookie("app.localhost", "portcullis_app_app");

    assertThat(http.get(gateway.authUrl("/logout"), "Accept", "text/html").statusCode())
        .isEqualTo(200);

    assertThat(http.get(app("/"), "Accept", "application/json", "Cookie",
        "portcullis_app_app=" + oldAppCookie).statusCode()).isEqualTo(401);
  }

  // ---- handoff codes

  @Test
  void handoffCodeWorksOnceAndOnlyWithinSixtySeconds() throws Exception {
    gateway.signIn(http, YOU, app("/"));
    String authorize = gateway.authUrl("/authorize?redirect_url=" + enc(app("/")));

    String callback = http.get(authorize, "Accept", "text/html").headers()
        .firstValue("location").orElseThrow();
    assertThat(gateway.http().get(callback, "Accept", "text/html").statusCode()).isEqualTo(302);
    assertThat(gateway.http().get(callback, "Accept", "text/html").statusCode())
        .as("second use").isEqualTo(400);

    String late = http.get(authorize, "Accept", "text/html").headers()
        .firstValue("location").orElseThrow();
    gateway.clock().advance(Duration.ofSeconds(61));
    assertThat(gateway.http().get(late, "Accept", "text/html").statusCode())
        .as("after 61 s").isEqualTo(400);
  }

  @Test
  void handoffCodeForOneApplicationIsRefusedOnAnother() throws Exception {
    gateway.signIn(http, YOU, app("/"));
    String callback = http.get(gateway.authUrl("/authorize?redirect_url=" + enc(app("/"))),
        "Accept", "text/html").headers().firstValue("location").orElseThrow();

    String moved = callback.replace("app.localhost", "other.localhost");

    assertThat(gateway.http().get(moved, "Accept", "text/html").statusCode()).isEqualTo(400);
  }

  // ---- one-time PINs

  @Test
  void pinIsRefusedAfterFiveWrongTriesEvenWhenRightAfterwards() throws Exception {
    gateway.requestCode(http, YOU, app("/"));
    String code = gateway.awaitCode(YOU);
    String wrong = code.equals("000000") ? "111111" : "000000";

    for (int i = 0; i < 5; i++) {
      assertThat(gateway.submitCode(http, wrong).statusCode()).isEqualTo(401);
    }
    HttpResponse<String> right = gateway.submitCode(http, code);

    assertThat(right.statusCode()).isEqualTo(401);
    assertThat(right.body()).contains("That code is not valid");
  }

  @Test
  void pinWorksOnlyOnce() throws Exception {
    gateway.requestCode(http, YOU, app("/"));
    String code = gateway.awaitCode(YOU);
    assertThat(gateway.submitCode(http, code).statusCode()).isEqualTo(302);

    Http other = gateway.http();
    gateway.requestCode(other, YOU, app("/"));
    // The second request sent a new code; the old one must not work in any browser.
    assertThat(gateway.submitCode(other, code).statusCode()).isEqualTo(401);
  }

  @Test
  void pinExpiresAfterTenMinutes() throws Exception {
    gateway.requestCode(http, YOU, app("/"));
    String code = gateway.awaitCode(YOU);

    gateway.clock().advance(Duration.ofMinutes(10).plusSeconds(1));

    assertThat(gateway.submitCode(http, code).statusCode()).isEqualTo(401);
  }

  @Test
  void newPinReplacesThePreviousOne() throws Exception {
    gateway.requestCode(http, YOU, app("/"));
    String first = gateway.awaitCode(YOU);
    gateway.requestCode(http, YOU, app("/"));
    String second = gateway.awaitCode(YOU, 1);

    // Two random codes are equal one time in a million; the first must then still fail.
    assertThat(gateway.submitCode(http, first).statusCode())
        .isEqualTo(first.equals(second) ? 302 : 401);
    if (!first.equals(second)) {
      assertThat(gateway.submitCode(http, second).statusCode()).isEqualTo(302);
    }
  }

  @Test
  void strangerSeesTheSamePageAndGetsNoMail() throws Exception {
    HttpResponse<String> member = gateway.requestCode(http, "member@example.com", app("/"));
    HttpResponse<String> stranger = gateway.requestCode(gateway.http(),
        "stranger@elsewhere.test", app("/"));
    HttpResponse<String> blocked = gateway.requestCode(gateway.http(), "mallory@example.com",
        app("/"));
    gateway.awaitCode("member@example.com");

    assertThat(stranger.statusCode()).isEqualTo(member.statusCode()).isEqualTo(200);
    assertThat(withoutVaryingParts(stranger.body(), "stranger@elsewhere.test"))
        .isEqualTo(withoutVaryingParts(member.body(), "member@example.com"));
    assertThat(blocked.statusCode()).isEqualTo(200);
    assertThat(gateway.consoleText()).doesNotContain("stranger@elsewhere.test")
        .doesNotContain("mallory@example.com");
  }

  private static String withoutVaryingParts(String page, String email) {
    return page.replace(email, "EMAIL").replaceAll("value=\"[0-9a-f]{64}\"", "value=\"CSRF\"");
  }

  @Test
  void addressesWithApostrophesAndPlusSignsGetCodes() throws Exception {
    gateway.requestCode(http, "o'neil+ops@example.com", app("/"));

    assertThat(gateway.awaitCode("o'neil+ops@example.com")).hasSize(6);
  }

  @Test
  void pinRequestsAreLimitedPerEmail() {
    for (int i = 0; i < Gateway.PINS_PER_EMAIL; i++) {
      assertThat(gateway.requestCode(gateway.http(), YOU, app("/")).statusCode()).isEqualTo(200);
    }

    assertThat(gateway.requestCode(gateway.http(), YOU, app("/")).statusCode()).isEqualTo(429);
    gateway.clock().advance(Gateway.PIN_WINDOW);
    assertThat(gateway.requestCode(gateway.http(), YOU, app("/")).statusCode()).isEqualTo(200);
  }

  // ---- forms and redirects

  @Test
  void formsWithoutTheRightCsrfTokenAreRefused() {
    http.get(gateway.authUrl("/login"), "Accept", "text/html");
    Map<String, String> noToken = Map.of("email", YOU, "redirect_url", app("/"));
    Map<String, String> wrongToken = Map.of("email", YOU, "redirect_url", app("/"),
        "csrf", "0".repeat(64));

    assertThat(http.postForm(gateway.authUrl("/login/email"), noToken).statusCode())
        .isEqualTo(403);
    assertThat(http.postForm(gateway.authUrl("/login/email"), wrongToken).statusCode())
        .isEqualTo(403);
    assertThat(gateway.http().postForm(gateway.authUrl("/login/email/verify"),
        Map.of("code", "123456", "csrf", "0".repeat(64))).statusCode()).isEqualTo(403);
    assertThat(gateway.consoleText()).doesNotContain(YOU);
  }

  @Test
  void redirectUrlsOutsideTheConfiguredApplicationsAreRefused() {
    int port = gateway.port();
    String[] tricks = {
        "//evil.example/",
        "/\\evil.example",
        "http://evil.example/",
        "https://app.localhost@evil.example/",
        "http://app.localhost:" + port + "@evil.example/",
        "http://evil.example\\@app.localhost:" + port + "/",
        "http://app.localhost%09:" + port + "/",
        "http://app.localhost:" + port + "/%0d%0aSet-Cookie:x=1 ",
        " http://app.localhost:" + port + "/",
        "http://app.localhost\t:" + port + "/",
        "javascript:alert(1)//app.localhost",
        "http://app.localhost:1/",
        "https://app.localhost:" + port + "/",
        "http://auth.localhost:" + port + "/",
        "/relative/path",
    };
    for (String trick : tricks) {
      HttpResponse<String> login = http.get(gateway.authUrl("/login?redirect_url=" + enc(trick)),
          "Accept", "text/html");
      HttpResponse<String> authorize = http.get(gateway.authUrl("/authorize?redirect_url="
          + enc(trick)), "Accept", "text/html");
      assertThat(login.statusCode()).as(trick).isEqualTo(400);
      assertThat(authorize.statusCode()).as(trick).isEqualTo(400);
    }
    assertThat(http.get(gateway.authUrl("/login?redirect_url=" + enc(app("/x"))),
        "Accept", "text/html").statusCode()).isEqualTo(200);
  }

  @Test
  void doubleSlashPathDoesNotBecomeAProtocolRelativeRedirect() throws Exception {
    gateway.signIn(http, YOU, app("//evil.example/x"));

    String callback = http.get(gateway.authUrl("/authorize?redirect_url="
        + enc(app("//evil.example/x"))), "Accept", "text/html").headers().firstValue("location")
        .orElseThrow();
    HttpResponse<String> landed = http.get(callback, "Accept", "text/html");

    assertThat(landed.headers().firstValue("location")).hasValue("/evil.example/x");
  }

  // ---- upstream failures

  @Test
  void unreachableUpstreamGives502WithRequestId() throws Exception {
    gateway.signIn(http, YOU, app("/"));
    gateway.upstream().close();

    HttpResponse<String> response = http.get(app("/"), "Accept", "application/json");

    assertThat(response.statusCode()).isEqualTo(502);
    JsonObject body = new JsonObject(response.body());
    assertThat(body.getString("error")).isEqualTo("upstream-unavailable");
    assertThat(body.getString("request_id")).isNotBlank();
  }
}
