package dev.portcullis.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.Http;
import dev.portcullis.testing.RecordingUpstream;
import dev.portcullis.testing.RecordingUpstream.Received;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Path-scoped, wildcard and bypass applications over real sockets: which application a request
 * falls under, what the decision is, and the exact path the upstream receives.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayPathTest {
  private static final String CONFIG = """
      listen: 127.0.0.1:{port}
      data_dir: {data}
      auth:
        url: http://auth.localhost:{port}
      identity_providers:
        - { id: email, type: onetimepin, delivery: console }
      applications:
        - name: app
          host: app.localhost
          upstream: http://127.0.0.1:{upstream}
          policies:
            - { name: staff, action: allow, include: [ { email_domain: [example.com] } ] }
        - name: admin
          host: app.localhost
          path: /admin
          upstream: http://127.0.0.1:{upstream}
          policies:
            - { name: admins, action: allow, include: [ { email: [admin@example.com] } ] }
        - name: public
          host: app.localhost
          path: /public
          upstream: http://127.0.0.1:{upstream}
          policies:
            - { name: anyone, action: bypass, include: [ { everyone: true } ] }
        - name: tenants
          host: "*.tenant.localhost"
          upstream: http://127.0.0.1:{upstream}
          policies:
            - { name: staff, action: allow, include: [ { email_domain: [example.com] } ] }
        - name: files
          host: files.localhost
          allow_encoded_slashes: true
          upstream: http://127.0.0.1:{upstream}
          policies:
            - { name: staff, action: allow, include: [ { email_domain: [example.com] } ] }
      """;

  @TempDir
  static Path dir;

  private TestGateway gateway;
  private Http http;

  @BeforeAll
  void start() throws Exception {
    gateway = TestGateway.start(dir, CONFIG, Map.of());
    http = gateway.http();
    gateway.signIn(http, "you@example.com", gateway.appUrl("app.localhost", "/"));
    gateway.signIn(http, "you@example.com", gateway.appUrl("files.localhost", "/"));
  }

  @AfterAll
  void stop() {
    gateway.close();
  }

  /** Sends a raw request line, so that paths no URI class accepts can be tried. */
  private String[] raw(String method, String target, String host, String cookie)
      throws IOException, InterruptedException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      String request = method + " " + target + " HTTP/1.1\r\nHost: " + host + ":"
          + gateway.port() + "\r\nAccept: application/json\r\nConnection: close\r\n"
          + (cookie == null ? "" : "Cookie: " + cookie + "\r\n") + "\r\n";
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      String status = response.substring(9, 12);
      String path = null;
      if (status.equals("200") && response.contains("upstream saw ")) {
        Received seen = gateway.upstream().take();
        path = seen.uri();
      }
      return new String[] {status, path};
    }
  }

  private String appCookie() {
    return "portcullis_app_app=" + http.cookie("app.localhost", "portcullis_app_app");
  }

  @ParameterizedTest(name = "{0} -> {1} {2}")
  @CsvSource({
      "/a/./b/../c,            200, /a/c",
      "//a///b,                200, /a/b",
      "/%61%62%7Ec,            200, /ab~c",
      "/a/%2e%2e/b,            200, /b",
      "/a/.%2E/b,              200, /b",
      "/../../etc/passwd,      200, /etc/passwd",
      "/x;jsessionid=1,        200, /x;jsessionid=1",
      "/q?a=1&b=%2F,           200, /q?a=1&b=%2F",
      "/a%2fb,                 400, ",
      "/a%5Cb,                 400, ",
      "/a\\b,                  400, ",
      "/a%00b,                 400, ",
      "/a%0d%0ab,              400, ",
      "/a%zzb,                 400, ",
      "/..;/admin,             400, ",
      "/admin/../secret,       200, /secret",
      "/public/../x,           200, /x",
      "/administrator,         200, /administrator",
  })
  void pathsAreNormalizedOnceAndTheUpstreamGetsTheNormalizedPath(String target, int status,
      String upstreamPath) throws Exception {
    String[] result = raw("GET", target, "app.localhost", appCookie());

    assertThat(result[0]).isEqualTo(String.valueOf(status));
    assertThat(result[1]).isEqualTo(upstreamPath);
  }

  @Test
  void aPathUnderAPrefixBelongsToThatApplicationAndNeedsItsOwnLogin() throws Exception {
    HttpResponse<String> response = http.get(gateway.appUrl("app.localhost", "/admin/users"),
        "Accept", "application/json");
    HttpResponse<String> hidden = http.get(gateway.appUrl("app.localhost",
        "/x/%2E%2E/admin/users"), "Accept", "application/json");

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(response.body()).getString("login_url"))
        .endsWith(URLEncoder.encode(gateway.appUrl("app.localhost", "/admin/users"),
            StandardCharsets.UTF_8));
    assertThat(hidden.statusCode()).as("dot segments cannot skip the admin policies")
        .isEqualTo(401);
    assertThat(gateway.upstream().reached()).isFalse();
  }

  @Test
  void signingInToAPathApplicationIsRefusedForSomeoneItsPoliciesExclude() {
    String target = gateway.appUrl("app.localhost", "/admin/");

    HttpResponse<String> authorize = http.get(gateway.authUrl("/authorize?redirect_url="
        + URLEncoder.encode(target, StandardCharsets.UTF_8)), "Accept", "application/json");

    assertThat(authorize.statusCode()).isEqualTo(403);
    assertThat(new JsonObject(authorize.body()).getString("application")).isEqualTo("admin");
  }

  @Test
  void bypassedPathsNeedNoLoginAndCarryNoIdentity() throws Exception {
    HttpResponse<String> response = gateway.http().get(gateway.appUrl("app.localhost",
        "/public/logo.png"), "Accept", "application/json", "X-Portcullis-Email",
        "ceo@example.com");

    assertThat(response.statusCode()).isEqualTo(200);
    Received seen = gateway.upstream().take();
    assertThat(seen.uri()).isEqualTo("/public/logo.png");
    assertThat(seen.header("x-portcullis-email")).isNull();
    assertThat(seen.header("x-portcullis-jwt-assertion")).isNull();
  }

  @Test
  void aBypassedApplicationDoesNotEarnAStrangerACode() throws Exception {
    Http stranger = gateway.http();

    gateway.requestCode(stranger, "outsider@elsewhere.test",
        gateway.appUrl("app.localhost", "/public/x"));
    gateway.requestCode(stranger, "outsider@elsewhere.test", "");
    gateway.requestCode(stranger, "member@example.com", "");
    gateway.awaitCode("member@example.com");

    assertThat(gateway.consoleText()).doesNotContain("outsider@elsewhere.test");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "chunked not last           | Transfer-Encoding: chunked, identity",
      "an unknown coding          | Transfer-Encoding: xchunked",
      "two lengths                | Content-Length: 4~Content-Length: 5",
  })
  void aBodyFramedAmbiguouslyIsRefusedAndItsConnectionClosed(String what, String framing)
      throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
      socket.setSoTimeout(10_000);
      String smuggle = "POST /x HTTP/1.1\r\nHost: app.localhost\r\nCookie: " + appCookie()
          // "~" stands for a line break between two headers in the table above.
          + "\r\n" + framing.replace("~", "\r\n") + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
          + "GET /smuggled HTTP/1.1\r\nHost: app.localhost\r\nCookie: " + appCookie()
          + "\r\n\r\n";
      socket.getOutputStream().write(smuggle.getBytes(StandardCharsets.ISO_8859_1));
      String answers = new String(socket.getInputStream().readAllBytes(),
          StandardCharsets.ISO_8859_1);

      assertThat(answers).as(what).startsWith("HTTP/1.1 400");
      assertThat(answers.split("HTTP/1.1 ", -1)).as(what + ": one answer, then closed")
          .hasSize(2);
      assertThat(gateway.upstream().drain()).extracting(RecordingUpstream.Received::uri)
          .doesNotContain("/x", "/smuggled");
    }
  }

  @Test
  void aRequestFramedByLengthAndChunkedIsReadAsChunkedAndEndsItsConnection() throws Exception {
    gateway.upstream().drain();
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
      socket.setSoTimeout(10_000);
      String smuggle = "POST /framed HTTP/1.1\r\nHost: app.localhost\r\nCookie: "
          + appCookie() + "\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "5\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: app.localhost\r\n"
          + "Cookie: " + appCookie() + "\r\n\r\n";
      socket.getOutputStream().write(smuggle.getBytes(StandardCharsets.ISO_8859_1));
      String answers = new String(socket.getInputStream().readAllBytes(),
          StandardCharsets.ISO_8859_1);

      assertThat(answers.split("HTTP/1.1 ", -1)).as("one answer, then closed").hasSize(2);
      assertThat(answers).startsWith("HTTP/1.1 200");
      List<Received> seen = gateway.upstream().drain();
      assertThat(seen).extracting(Received::uri).containsExactly("/framed");
      assertThat(seen.get(0).body()).isEqualTo("hello");
    }
  }

  @Test
  void aHostNamedTwiceOrTwoWaysIsRefused() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
      socket.setSoTimeout(10_000);
      String twice = "GET / HTTP/1.1\r\nHost: app.localhost\r\nHost: files.localhost\r\n"
          + "Connection: close\r\n\r\n";
      socket.getOutputStream().write(twice.getBytes(StandardCharsets.ISO_8859_1));
      assertThat(new String(socket.getInputStream().readAllBytes(),
          StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 400");
    }
    assertThat(raw("GET", "http://files.localhost:" + gateway.port() + "/x", "app.localhost",
        appCookie())[0]).isEqualTo("400");
    assertThat(raw("GET", "http://app.localhost:" + gateway.port() + "/x", "app.localhost",
        appCookie())).containsExactly("200", "/x");
  }

  @Test
  void hostsCompareCaseInsensitivelyAndWithoutATrailingDot() throws Exception {
    assertThat(raw("GET", "/ok", "APP.Localhost.", appCookie())).containsExactly("200", "/ok");
  }

  @Test
  void aWildcardApplicationServesOneLabelAndSignsInOnTheConcreteHost() throws Exception {
    Http browser = gateway.http();
    String target = gateway.appUrl("acme.tenant.localhost", "/dash");

    HttpResponse<String> first = browser.get(target, "Accept", "text/html");
    assertThat(first.statusCode()).isEqualTo(302);
    gateway.signIn(browser, "you@example.com", target);
    HttpResponse<String> after = browser.get(target, "Accept", "application/json");

    assertThat(after.statusCode()).isEqualTo(200);
    assertThat(gateway.upstream().take().header("x-portcullis-email"))
        .isEqualTo("you@example.com");
    assertThat(browser.get(gateway.appUrl("a.b.tenant.localhost", "/"), "Accept",
        "application/json").statusCode()).isEqualTo(404);
  }

  @Test
  void encodedSlashesPassOnlyWhereAnApplicationAllowsThemAndStayEncoded() throws Exception {
    String cookie = "portcullis_app_files=" + http.cookie("files.localhost",
        "portcullis_app_files");

    assertThat(raw("GET", "/repo/a%2fb.txt", "files.localhost", cookie))
        .containsExactly("200", "/repo/a%2Fb.txt");
    assertThat(raw("GET", "/repo/a%2fb.txt", "app.localhost", appCookie())[0])
        .isEqualTo("400");
  }

  @Test
  void methodsAreCaseSensitiveAndPassThroughUnchanged() throws Exception {
    String[] lower = raw("get", "/lower", "app.localhost", null);
    String[] custom = raw("PROPFIND", "/dav", "app.localhost", appCookie());

    assertThat(lower[0]).as("'get' is not GET: no login redirect").isEqualTo("401");
    assertThat(custom).containsExactly("200", "/dav");
    assertThat(raw("TRACE", "/x", "app.localhost", appCookie())[0]).isEqualTo("405");
  }
}
