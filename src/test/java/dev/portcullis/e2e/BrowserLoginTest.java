package dev.portcullis.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.portcullis.testing.HeadlessChromium;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.RecordingUpstream;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import jakarta.mail.Address;
import jakarta.mail.internet.MimeMessage;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The acceptance test of issue 2, end to end: a real browser opens a protected application, is
 * sent to the auth domain, asks for a PIN, reads it from a real SMTP server, signs in, reaches
 * the upstream with a verifiable identity, and signs out, after which its old app cookie opens
 * nothing.
 *
 * <p>Everything listens on 127.0.0.1: GreenMail, the recording upstream, Portcullis, and
 * Chromium, which resolves {@code *.localhost} to loopback by itself. Waits are conditions with
 * a deadline (the browser's, GreenMail's, the upstream's), never sleeps.
 */
class BrowserLoginTest {
  private static final String CONFIG = """
      listen: 127.0.0.1:{port}
      data_dir: {data}
      auth:
        url: http://auth.localhost:{port}
        session_duration: 24h
      smtp: { host: 127.0.0.1, port: {smtp_port}, from: access@example.com, starttls: none }
      identity_providers:
        - { id: email, type: onetimepin }
      applications:
        - name: app
          host: app.localhost
          upstream: http://127.0.0.1:{upstream}
          policies:
            - { name: staff, action: allow, include: [ { email_domain: [example.com] } ] }
      """;
  private static final String APP_HOST = "app.localhost";
  private static final String EMAIL = "you@example.com";
  /** The PIN is sent after the code page is answered; on a slow machine that takes a moment. */
  private static final Duration MAIL_WAIT = Duration.ofSeconds(15);

  @TempDir
  Path dir;

  private GreenMail mail;
  private TestGateway gateway;
  private HeadlessChromium chromium;
  private Http http;

  @BeforeEach
  void start() throws Exception {
    mail = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    mail.start();
    gateway = TestGateway.start(dir, CONFIG,
        Map.of("smtp_port", String.valueOf(mail.getSmtp().getPort())));
    http = gateway.http();
    chromium = HeadlessChromium.start(Files.createDirectories(dir.resolve("chromium-profile")));
    // Signed in, the browser's favicon request would reach the upstream whenever it likes.
    chromium.block("*/favicon.ico");
  }

  @AfterEach
  void stop() {
    try {
      if (chromium != null) {
        chromium.close();
      }
    } finally {
      try {
        if (gateway != null) {
          gateway.close();
        }
      } finally {
        if (mail != null) {
          mail.stop();
        }
      }
    }
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void browserSignsInWithEmailedPinReachesTheAppAndSigningOutVoidsItsCookie() throws Exception {
    WebDriver browser = chromium.driver();
    String hello = gateway.appUrl(APP_HOST, "/hello");
    plantApplicationCookie(browser);

    browser.get(hello);
    assertOnLoginPage(browser, hello);

    browser.findElement(By.id("email")).sendKeys(EMAIL);
    browser.findElement(By.cssSelector("button[type=submit]")).click();
    assertOnCodePage(browser);

    String pin = pinFromMail();

    browser.findElement(By.id("code")).sendKeys(pin);
    browser.findElement(By.cssSelector("button[type=submit]")).click();
    chromium.await(ExpectedConditions.urlToBe(hello));
    assertThat(browser.findElement(By.tagName("body")).getText())
        .isEqualTo("upstream saw GET /hello");
    assertIdentityReachedUpstream(gateway.upstream().take());

    String oldAppCookie = appCookieThatWorksOutsideTheBrowser(browser, hello);

    browser.get(gateway.appUrl(APP_HOST, "/.portcullis/logout"));
    chromium.await(ExpectedConditions.urlToBe(gateway.authUrl("/logout")));
    assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Signed out");
    assertThat(browser.findElement(By.tagName("main")).getText())
        .contains("You are signed out of every application.");
    assertThat(browser.manage().getCookieNamed("portcullis_session")).isNull();

    // The cookie was revoked, not merely deleted from this browser: a copy of it opens nothing.
    HttpResponse<String> afterLogout = getWithAppCookie(hello, oldAppCookie);
    assertThat(afterLogout.statusCode()).isEqualTo(401);
    assertThat(afterLogout.headers().firstValue("content-type")).hasValue("application/json");
    JsonObject refusal = new JsonObject(afterLogout.body());
    assertThat(refusal.getString("error")).isEqualTo("user-unauthenticated");
    assertThat(refusal.getString("login_url"))
        .isEqualTo(gateway.authUrl("/login?redirect_url=" + encode(hello)));
    assertThat(refusal.getString("request_id")).isNotBlank();

    browser.get(hello);
    assertOnLoginPage(browser, hello);

    // Both refusals were answered, so had either been forwarded the upstream would hold it now.
    assertThat(gateway.upstream().reached()).as("the upstream was reached after logout")
        .isFalse();
    assertThat(mail.getReceivedMessages()).as("mails sent").hasSize(1);
  }

  /**
   * Gives the browser a cookie of the application's own on its host, so that the upstream's
   * {@code Cookie} header shows that Portcullis strips only its own cookies. The reserved
   * {@code certs} endpoint is public, so opening it puts the browser on the host without a
   * login.
   */
  private void plantApplicationCookie(WebDriver browser) {
    browser.get(gateway.appUrl(APP_HOST, "/.portcullis/certs"));
    browser.manage().addCookie(new Cookie("theme", "dark", "/"));
  }

  private void assertOnLoginPage(WebDriver browser, String target) {
    String login = gateway.authUrl("/login?redirect_url=" + encode(target));
    chromium.await(ExpectedConditions.urlToBe(login));
    assertThat(browser.getTitle()).isEqualTo("Sign in · Portcullis");
    assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Sign in to app");
    assertThat(browser.findElement(By.name("redirect_url")).getDomProperty("value"))
        .isEqualTo(target);
  }

  private void assertOnCodePage(WebDriver browser) {
    chromium.await(ExpectedConditions.urlToBe(gateway.authUrl("/login/email")));
    chromium.await(ExpectedConditions.visibilityOfElementLocated(By.id("code")));
    assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Check your email");
    assertThat(browser.findElement(By.tagName("main")).getText())
        .contains(EMAIL)
        .contains("valid for 10 minutes");
  }

  /** Waits for the one PIN mail, checks what it says and returns its code. */
  private String pinFromMail() throws Exception {
    assertThat(mail.waitForIncomingEmail(MAIL_WAIT.toMillis(), 1))
        .as("a PIN mail arrived within %s", MAIL_WAIT).isTrue();
    MimeMessage[] received = mail.getReceivedMessages();
    assertThat(received).hasSize(1);
    MimeMessage message = received[0];
    assertThat(Arrays.stream(message.getAllRecipients()).map(Address::toString))
        .containsExactly(EMAIL);
    assertThat(Arrays.stream(message.getFrom()).map(Address::toString))
        .containsExactly("access@example.com");
    assertThat(message.getSubject()).isEqualTo("Your sign-in code for app");
    assertThat(message.getContent()).isInstanceOf(String.class);
    String body = (String) message.getContent();
    assertThat(body)
        .contains("sign in to app")
        .contains("valid for 10 minutes");
    return Http.find(body, "(?m)^\\s*(\\d{6})\\s*$");
  }

  /**
   * The upstream learns who is calling from Portcullis's headers alone: the email, and an
   * assertion signed by a key the auth domain publishes, for this application only. Portcullis's
   * own cookies stay behind; the application's cookie passes.
   */
  private void assertIdentityReachedUpstream(RecordingUpstream.Received seen) throws Exception {
    assertThat(seen.method()).isEqualTo("GET");
    assertThat(seen.uri()).isEqualTo("/hello");
    assertThat(seen.header("x-portcullis-email")).isEqualTo(EMAIL);
    assertThat(seen.header("cookie")).isEqualTo("theme=dark");

    SignedJWT assertion = SignedJWT.parse(seen.header("x-portcullis-jwt-assertion"));
    assertThat(assertion.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
    HttpResponse<String> jwksResponse = http.get(gateway.authUrl("/.well-known/jwks.json"));
    assertThat(jwksResponse.statusCode()).isEqualTo(200);
    JWKSet jwks = JWKSet.parse(jwksResponse.body());
    JWK key = jwks.getKeyByKeyId(assertion.getHeader().getKeyID());
    assertThat(key).as("the assertion's key in the JWKS").isNotNull();
    assertThat(key.isPrivate()).as("the published key is public only").isFalse();
    assertThat(assertion.verify(new ECDSAVerifier(key.toECKey()))).isTrue();

    JWTClaimsSet claims = assertion.getJWTClaimsSet();
    assertThat(claims.getIssuer()).isEqualTo("http://auth.localhost:" + gateway.port());
    assertThat(claims.getAudience()).containsExactly("app");
    assertThat(claims.getSubject()).isNotBlank().isEqualTo(seen.header("x-portcullis-user"));
    assertThat(claims.getStringClaim("email")).isEqualTo(EMAIL);
    assertThat(claims.getExpirationTime()).isInTheFuture();
  }

  /**
   * Reads the browser's app cookie and shows, from outside the browser, that a copy of it opens
   * the application; the same copy is refused after logout.
   */
  private String appCookieThatWorksOutsideTheBrowser(WebDriver browser, String url)
      throws InterruptedException {
    Cookie cookie = browser.manage().getCookieNamed("portcullis_app_app");
    assertThat(cookie).as("the app cookie on %s", APP_HOST).isNotNull();
    assertThat(cookie.getDomain()).isEqualTo(APP_HOST);
    assertThat(cookie.isHttpOnly()).isTrue();
    assertThat(cookie.getSameSite()).isEqualTo("Lax");

    HttpResponse<String> response = getWithAppCookie(url, cookie.getValue());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("upstream saw GET /hello");
    RecordingUpstream.Received seen = gateway.upstream().take();
    assertThat(seen.uri()).isEqualTo("/hello");
    assertThat(seen.header("x-portcullis-email")).isEqualTo(EMAIL);
    return cookie.getValue();
  }

  /** A request as an API client would send it, carrying only the given app cookie. */
  private HttpResponse<String> getWithAppCookie(String url, String appCookie) {
    return http.get(url, "Accept", "application/json", "Cookie", "portcullis_app_app=" + appCookie);
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
