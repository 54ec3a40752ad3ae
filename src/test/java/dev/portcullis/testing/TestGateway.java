package dev.portcullis.testing;

import dev.portcullis.config.ConfigLoader;
import dev.portcullis.config.PortcullisConfig;
import dev.portcullis.gateway.Gateway;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Portcullis started in-process from a configuration file, on a free loopback port, with a
 * controllable clock and a captured console (where {@code delivery: console} PINs go).
 *
 * <p>The YAML template may use {@code {port}}, {@code {data}} and {@code {upstream}} (the port of
 * a {@link RecordingUpstream} started for the test), and {@code {smtp_port}} when given.
 */
public final class TestGateway implements AutoCloseable {
  /** Two applications on one recording upstream, PINs on the console. */
  public static final String DEFAULT_CONFIG = """
      listen: 127.0.0.1:{port}
      data_dir: {data}
      auth:
        url: http://auth.localhost:{port}
        session_duration: 24h
      identity_providers:
        - { id: email, type: onetimepin, delivery: console }
      applications:
        - name: app
          host: app.localhost
          upstream: http://127.0.0.1:{upstream}
          session_duration: 2h
          policies:
            - { name: staff, action: allow, include: [ { email_domain: [example.com] } ] }
            - { name: no-mallory, action: block, include: [ { email: [mallory@example.com] } ] }
        - name: other
          host: other.localhost
          upstream: http://127.0.0.1:{upstream}
          policies:
            - { name: admins, action: allow, include: [ { email: [admin@example.com] } ] }
      """;

  private final Vertx vertx;
  private final Gateway gateway;
  private final MutableClock clock;
  private final RecordingUpstream upstream;
  private final NotifyingBuffer console;
  private final Path configFile;

  private TestGateway(Vertx vertx, Gateway gateway, MutableClock clock,
      RecordingUpstream upstream, NotifyingBuffer console, Path configFile) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.clock = clock;
    this.upstream = upstream;
    this.console = console;
    this.configFile = configFile;
  }

  public static TestGateway start(Path dir) throws Exception {
    return start(dir, DEFAULT_CONFIG, Map.of());
  }

  /** Starts with a template and extra placeholder values; the file is not watched. */
  public static TestGateway start(Path dir, String template, Map<String, String> extra)
      throws Exception {
    return start(dir, template, extra, false);
  }

  /** Starts with a template, extra placeholder values and, if asked, a file watch. */
  public static TestGateway start(Path dir, String template, Map<String, String> extra,
      boolean watch) throws Exception {
    Vertx vertx = Vertx.vertx();
    RecordingUpstream upstream = new RecordingUpstream(vertx);
    // The port must be in the configuration before Portcullis binds it; between finding it
    // free and binding it, another socket of the test run can take it. Then try another.
    for (int attempt = 1; ; attempt++) {
      int port = freePort();
      String yaml = template.replace("{port}", String.valueOf(port))
          .replace("{data}", dir.resolve("data").toString())
          .replace("{upstream}", String.valueOf(upstream.port()));
      for (var e : extra.entrySet()) {
        yaml = yaml.replace("{" + e.getKey() + "}", e.getValue());
      }
      Path file = dir.resolve("portcullis.yaml");
      Files.writeString(file, yaml);
      PortcullisConfig config = new ConfigLoader().load(file);
      MutableClock clock = MutableClock.startingNow();
      NotifyingBuffer console = new NotifyingBuffer();
      try {
        Gateway gateway = Gateway.start(vertx, config, new Gateway.Options(clock,
            new PrintStream(console, true, StandardCharsets.UTF_8), watch)).await();
        return new TestGateway(vertx, gateway, clock, upstream, console, file);
      } catch (Exception e) {
        if (attempt >= 5 || !portTaken(e)) {
          upstream.close();
          vertx.close().await();
          throw e;
        }
      }
    }
  }

  private static boolean portTaken(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException) {
        return true;
      }
    }
    return false;
  }

  /** A port that was free a moment ago; the gateway binds it right after. */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  public int port() {
    return gateway.port();
  }

  public Gateway gateway() {
    return gateway;
  }

  /** Rewrites the configuration file from a template, with the same placeholders. */
  public void rewriteConfig(String template) throws IOException {
    String yaml = template.replace("{port}", String.valueOf(port()))
        .replace("{data}", configFile.getParent().resolve("data").toString())
        .replace("{upstream}", String.valueOf(upstream.port()));
    Path temp = configFile.resolveSibling("portcullis.yaml.tmp");
    Files.writeString(temp, yaml);
    Files.move(temp, configFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  public MutableClock clock() {
    return clock;
  }

  public RecordingUpstream upstream() {
    return upstream;
  }

  public Vertx vertx() {
    return vertx;
  }

  public Path configFile() {
    return configFile;
  }

  public String authUrl(String path) {
    return "http://auth.localhost:" + port() + path;
  }

  public String appUrl(String host, String path) {
    return "http://" + host + ":" + port() + path;
  }

  public Http http() {
    return new Http(port());
  }

  /** The last PIN printed to the console for this address. */
  public String lastCode(String email) {
    List<String> codes = codes(email);
    if (codes.isEmpty()) {
      throw new AssertionError("no code was sent to " + email);
    }
    return codes.get(codes.size() - 1);
  }

  /** Every PIN printed to the console for this address, oldest first. */
  public List<String> codes(String email) {
    Matcher m = Pattern.compile("code (\\d{6}) for " + Pattern.quote(email) + " ")
        .matcher(console.toString(StandardCharsets.UTF_8));
    List<String> codes = new java.util.ArrayList<>();
    while (m.find()) {
      codes.add(m.group(1));
    }
    return codes;
  }

  /** Everything printed to the console so far. */
  public String consoleText() {
    return console.toString(StandardCharsets.UTF_8);
  }

  /** Requests a PIN for {@code email} on the way to {@code target}; returns the code page. */
  public HttpResponse<String> requestCode(Http http, String email, String target) {
    HttpResponse<String> login = http.get(authUrl(target.isEmpty() ? "/login"
        : "/login?redirect_url=" + enc(target)), "Accept", "text/html");
    String csrf = Http.find(login.body(), "name=\"csrf\" value=\"([^\"]+)\"");
    return http.postForm(authUrl("/login/email"), Map.of("email", email, "redirect_url", target,
        "csrf", csrf), "Accept", "text/html");
  }

  /** Submits a code on the code page; returns the answer (302 to /authorize on success). */
  public HttpResponse<String> submitCode(Http http, String code) {
    HttpResponse<String> login = http.get(authUrl("/login"), "Accept", "text/html");
    String csrf = Http.find(login.body(), "name=\"csrf\" value=\"([^\"]+)\"");
    return http.postForm(authUrl("/login/email/verify"), Map.of("code", code, "csrf", csrf),
        "Accept", "text/html");
  }

  /**
   * Signs in over HTTP as a browser would: PIN, authorize, callback. Afterwards {@code http}
   * holds the global session and the app cookie of {@code target}'s host.
   */
  public void signIn(Http http, String email, String target) throws InterruptedException {
    HttpResponse<String> login = http.get(authUrl("/login?redirect_url=" + enc(target)),
        "Accept", "text/html");
    if (login.statusCode() == 302) {
      // Already signed in on the auth domain: only the handoff to this application is left.
      followToApp(http, login.headers().firstValue("location").orElseThrow());
      return;
    }
    int before = codes(email).size();
    requestCode(http, email, target);
    String code = awaitCode(email, before);
    HttpResponse<String> verified = submitCode(http, code);
    expectStatus(verified, 302);
    followToApp(http, verified.headers().firstValue("location").orElseThrow());
  }

  /** Follows /authorize and the callback; returns the callback's answer. */
  public HttpResponse<String> followToApp(Http http, String authorizeUrl) {
    HttpResponse<String> authorize = http.get(authorizeUrl, "Accept", "text/html");
    expectStatus(authorize, 302);
    HttpResponse<String> callback = http.get(authorize.headers().firstValue("location")
        .orElseThrow(), "Accept", "text/html");
    expectStatus(callback, 302);
    return callback;
  }

  /** Waits until a PIN for this email was printed (the mail is sent after the page). */
  public String awaitCode(String email) throws InterruptedException {
    return awaitCode(email, 0);
  }

  /** Waits until more than {@code before} PINs were printed for this email; returns the last. */
  public String awaitCode(String email, int before) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    synchronized (console) {
      while (codes(email).size() <= before) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          throw new AssertionError("no new code was sent to " + email);
        }
        console.wait(left);
      }
      return lastCode(email);
    }
  }

  private static void expectStatus(HttpResponse<String> response, int status) {
    if (response.statusCode() != status) {
      throw new AssertionError("expected " + status + " from " + response.uri() + " but got "
          + response.statusCode() + ": " + response.body());
    }
  }

  private static String enc(String value) {
    return java.net.URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** A console buffer that wakes waiters whenever something is printed. */
  private static final class NotifyingBuffer extends ByteArrayOutputStream {
    @Override
    public synchronized void write(byte[] b, int off, int len) {
      super.write(b, off, len);
      notifyAll();
    }

    @Override
    public synchronized void write(int b) {
      super.write(b);
      notifyAll();
    }
  }

  @Override
  public void close() {
    try {
      gateway.close().await();
    } finally {
      upstream.close();
      vertx.close().await();
    }
  }
}
