package dev.portcullis.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.HeadlessChromium;
import dev.portcullis.testing.RecordingUpstream.Received;
import dev.portcullis.testing.StaticPages;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.support.ui.ExpectedCondition;

/**
 * The Sentry scenario of issue 5 in a real browser: the real {@code @sentry/browser} from npm
 * (pinned in {@code src/test/sentry}, bundled by the build into
 * {@code target/sentry/sentry.bundle.js}) runs in headless Chromium on a page of another origin,
 * with its {@code tunnel} pointed at Portcullis. Sentry's own pages stay behind a login; only the
 * relay lets the SDK's envelopes through, to a stand-in Sentry that records them.
 *
 * <p>The page records what its SDK heard back: the client's {@code afterSendEvent} hook gets the
 * tunnel's status code, which a cross-origin page can read only when the answer carries
 * {@code Access-Control-Allow-Origin}. The test waits for that status in the browser, then
 * looks at the upstream: a forwarded envelope is recorded before its answer exists.
 */
class SentryTunnelBrowserTest {
  private static final String CONFIG = """
      listen: 127.0.0.1:{port}
      data_dir: {data}
      auth:
        url: http://auth.localhost:{port}
      identity_providers:
        - { id: email, type: onetimepin, delivery: console }
      applications:
        - name: sentry
          host: sentry.localhost
          upstream: http://127.0.0.1:{upstream}
          cors:
            allowed_origins: [{page_origin}]
            allowed_methods: [POST]
            allowed_headers: [Content-Type]
          relays:
            - { path: /tunnel, kind: sentry_envelope, name: sentry-tunnel, projects: ["4"] }
          policies:
            - { name: staff, action: allow, include: [ { email_domain: [example.com] } ] }
      """;
  private static final String PAGE_HOST = "page.localhost";
  private static final String DSN = "https://publickey@sentry.localhost/4";
  private static final String MARKER = "portcullis-tunnel-test";
  /** The version pinned in src/test/sentry/package.json; the SDK reports it in envelopes. */
  private static final String SDK_VERSION = "11.12.0";
  /** Envelopes the SDK may send before the event's: a session update, a client report. */
  private static final int MOST_ENVELOPES_BEFORE_THE_EVENT = 5;

  @TempDir
  Path dir;

  private StaticPages pages;
  private TestGateway gateway;
  private HeadlessChromium chromium;

  @BeforeEach
  void start() throws Exception {
    pages = StaticPages.start();
    pages.put("/sentry.bundle.js", "text/javascript; charset=utf-8",
        Files.readAllBytes(sdkBundle()));
    gateway = TestGateway.start(dir, CONFIG, Map.of("page_origin", pages.origin(PAGE_HOST)));
    chromium = HeadlessChromium.start(Files.createDirectories(dir.resolve("chromium-profile")));
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
        if (pages != null) {
          pages.close();
        }
      }
    }
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void theBrowserSdkReportsAThrownErrorThroughTheRelayToSentry() throws Exception {
    openPageWithTunnel("/relay.html", gateway.appUrl("sentry.localhost", "/tunnel"));

    assertThat(awaitTunnelStatus()).isEqualTo(200);

    Received event = eventEnvelope();
    assertThat(event.method()).isEqualTo("POST");
    assertThat(event.uri()).isEqualTo("/api/4/envelope/");
    assertThat(event.header("content-type")).isEqualTo("text/plain;charset=UTF-8");
    assertThat(event.header("x-portcullis-service-token")).isEqualTo("relay:sentry-tunnel");
    assertThat(event.header("x-portcullis-jwt-assertion")).isNotBlank();
    assertThat(event.header("cookie")).isNull();
    JsonObject header = new JsonObject(event.body().lines().findFirst().orElseThrow());
    assertThat(header.getString("dsn")).isEqualTo(DSN);
    assertThat(header.getJsonObject("sdk").getString("name"))
        .isEqualTo("sentry.javascript.browser");
    assertThat(header.getJsonObject("sdk").getString("version")).isEqualTo(SDK_VERSION);
    assertThat(event.body().lines().toList()).contains("{\"type\":\"event\"}");
    assertThat(gateway.gateway().counters()).containsKey("relay_accepted")
        .noneSatisfy((name, count) -> assertThat(name).startsWith("relay_refused"));
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void withoutTheRelayTheSameSdkRequestNeedsALoginAndReachesNothing() {
    openPageWithTunnel("/no-relay.html", gateway.appUrl("sentry.localhost", "/not-a-tunnel"));

    assertThat(awaitTunnelStatus()).isEqualTo(401);

    assertThat(gateway.upstream().reached()).as("the upstream was reached").isFalse();
    assertThat(gateway.gateway().counters()).doesNotContainKey("relay_accepted");
  }

  // ---- helpers

  /**
   * Serves a page that loads the SDK, initialises it with the tunnel, keeps every status the
   * tunnel answers for an event in {@code window.tunnelStatuses}, and throws an uncaught error;
   * then opens it.
   */
  private void openPageWithTunnel(String path, String tunnel) {
    String page = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Sentry tunnel test</title>
        <script src="/sentry.bundle.js"></script>
        </head>
        <body>
        <p id="state">loading</p>
        <script>
          window.tunnelStatuses = [];
          Sentry.init({ dsn: "%s", tunnel: "%s", release: "portcullis-test",
              environment: "test" });
          Sentry.getClient().on("afterSendEvent", function (event, response) {
            window.tunnelStatuses.push(response && response.statusCode);
          });
          document.getElementById("state").textContent = "ready";
          setTimeout(function () { throw new Error("%s"); }, 0);
        </script>
        </body>
        </html>
        """.formatted(DSN, tunnel, MARKER);
    pages.put(path, "text/html; charset=utf-8", page.getBytes(StandardCharsets.UTF_8));
    chromium.driver().get(pages.origin(PAGE_HOST) + path);
  }

  /** Waits until the SDK heard back from its tunnel about the event; returns the status. */
  private long awaitTunnelStatus() {
    ExpectedCondition<Long> statusKnown = new ExpectedCondition<>() {
      @Override
      public Long apply(org.openqa.selenium.WebDriver driver) {
        Object status = ((JavascriptExecutor) driver).executeScript(
            "return window.tunnelStatuses && window.tunnelStatuses.length > 0"
                + " ? window.tunnelStatuses[0] : null;");
        return status instanceof Number n ? n.longValue() : null;
      }

      @Override
      public String toString() {
        return "the SDK's tunnel to answer an event";
      }
    };
    return chromium.await(statusKnown);
  }

  /**
   * The envelope carrying the thrown error. The SDK may send others through the same tunnel
   * first (a session update); each must also have come the relay's way.
   */
  private Received eventEnvelope() throws InterruptedException {
    for (int i = 0; i <= MOST_ENVELOPES_BEFORE_THE_EVENT; i++) {
      Received seen = gateway.upstream().take();
      assertThat(seen.uri()).isEqualTo("/api/4/envelope/");
      assertThat(seen.header("x-portcullis-service-token")).isEqualTo("relay:sentry-tunnel");
      if (seen.body().contains(MARKER)) {
        return seen;
      }
    }
    throw new AssertionError("no envelope carrying " + MARKER + " reached the upstream");
  }

  /** The bundle the build made (exec-maven-plugin in pom.xml, phase generate-test-resources). */
  private static Path sdkBundle() throws Exception {
    Path testClasses = Path.of(SentryTunnelBrowserTest.class.getProtectionDomain()
        .getCodeSource().getLocation().toURI());
    Path bundle = testClasses.resolveSibling("sentry").resolve("sentry.bundle.js");
    if (!Files.isRegularFile(bundle)) {
      throw new IllegalStateException(bundle + " is missing: the build makes it from "
          + "src/test/sentry with npm and esbuild before the tests (mvn generate-test-resources)");
    }
    return bundle;
  }
}
