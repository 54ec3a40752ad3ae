package dev.portcullis.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.GithubStandIn;
import dev.portcullis.testing.GithubStandIn.Email;
import dev.portcullis.testing.GithubStandIn.Org;
import dev.portcullis.testing.GithubStandIn.Team;
import dev.portcullis.testing.GithubStandIn.User;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.RecordingUpstream.Received;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sign in with GitHub (issue 4), over real sockets: a browser-like client goes from Portcullis
 * to a {@link GithubStandIn} and back, and the org and team rules decide. Every failure the issue
 * names ends on a page with its status and a request id, and leaves no session behind.
 *
 * <p>Portcullis's {@link Http} client sends everything to the gateway's port with the URL's host
 * in the Host header, so the one hop to the stand-in (its authorize page) goes through a plain
 * {@link HttpClient} instead.
 */
class GithubLoginTest {
  private static final String CONFIG = """
      listen: 127.0.0.1:{port}
      data_dir: {data}
      auth:
        url: http://auth.localhost:{port}
        session_duration: 24h
      identity_providers:
        - id: github
          type: github
          client_id: {client_id}
          client_secret: {client_secret}
          web_url: http://127.0.0.1:{github}
          api_url: http://127.0.0.1:{github}/api
          timeout: {timeout}
      applications:
        - name: acme
          host: acme.localhost
          upstream: http://127.0.0.1:{upstream}
          policies:
            - { name: acme-members, action: allow, include: [ { github_org: [acme] } ] }
        - name: platform
          host: platform.localhost
          upstream: http://127.0.0.1:{upstream}
          policies:
            - { name: platform-team, action: allow, include: [ { github_team: [acme/platform] } ] }
      """;
  private static final String CLIENT_ID = "Iv1.portcullis-test";
  private static final String CLIENT_SECRET = "stand-in-secret-8c1f";
  /** Generous: the stand-in answers in milliseconds, but a cold JVM is slow at first. */
  private static final String NORMAL_TIMEOUT = "10s";
  /** Short enough to keep the slow-provider tests quick, long enough to never fire by luck. */
  private static final String SHORT_TIMEOUT = "300ms";
  private static final String HTML = "text/html";
  private static final User ADA = new User(583231, "ada", "Ada Lovelace");
  private static final String ADA_EMAIL = "ada@example.com";
  private static final String TOKEN_PATH = "/login/oauth/access_token";

  @TempDir
  Path dir;

  private GithubStandIn github;
  private TestGateway gateway;
  private Http http;
  private final HttpClient browserAtGithub = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .followRedirects(HttpClient.Redirect.NEVER)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  @BeforeEach
  void start() throws Exception {
    github = GithubStandIn.start(CLIENT_ID, CLIENT_SECRET).user(ADA)
        .emails(Email.primaryVerified(ADA_EMAIL));
    startGateway(NORMAL_TIMEOUT);
  }

  /** Starts (or restarts) Portcullis with this GitHub timeout, in a directory of its own. */
  private void startGateway(String timeout) throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    Path home = Files.createDirectories(dir.resolve("timeout-" + timeout));
    gateway = TestGateway.start(home, CONFIG, Map.of("github", String.valueOf(github.port()),
        "client_id", CLIENT_ID, "client_secret", CLIENT_SECRET, "timeout", timeout));
    github.callbackUrl(gateway.authUrl("/callback/github"));
    http = gateway.http();
  }

  @AfterEach
  void stop() {
    try {
      if (gateway != null) {
        gateway.close();
      }
    } finally {
      github.close();
      browserAtGithub.close();
    }
  }

  // ---- the flow itself

  @Test
  void loginSendsTheBrowserToGithubWithStatePkceAndTheThreeScopes() {
    String target = acme("/");

    HttpResponse<String> start = http.get(gateway.authUrl("/login/github?redirect_url="
        + enc(target)), "Accept", HTML);

    assertThat(start.statusCode()).isEqualTo(302);
    String location = location(start);
    assertThat(location).startsWith(github.webUrl() + "/login/oauth/authorize?");
    Map<String, String> query = query(location);
    assertThat(query.keySet()).containsExactly("client_id", "redirect_uri", "scope", "state",
        "code_challenge", "code_challenge_method", "allow_signup");
    assertThat(query).containsEntry("client_id", CLIENT_ID)
        .containsEntry("redirect_uri", gateway.authUrl("/callback/github"))
        .containsEntry("scope", "read:user user:email read:org")
        .containsEntry("code_challenge_method", "S256")
        .containsEntry("allow_signup", "false");
    assertThat(query.get("state")).matches("[A-Za-z0-9_-]{43}");
    assertThat(query.get("code_challenge")).matches("[A-Za-z0-9_-]{43}");
    String flowCookie = start.headers().allValues("set-cookie").stream()
        .filter(c -> c.startsWith("portcullis_oauth=")).findFirst().orElseThrow();
    assertThat(flowCookie).containsIgnoringCase("HttpOnly").containsIgnoringCase("SameSite=Lax")
        .containsIgnoringCase("Path=/");
    assertThat(github.requests()).isEmpty();
  }

  @Test
  void tokenExchangeCarriesThePkceVerifierOfTheChallengeSentToGithub() {
    HttpResponse<String> callback = signInWithGithub(http, acme("/"));

    assertThat(callback.statusCode()).isEqualTo(302);
    GithubStandIn.Request authorize = single("/login/oauth/authorize");
    GithubStandIn.Request exchange = single(TOKEN_PATH);
    assertThat(exchange.method()).isEqualTo("POST");
    assertThat(exchange.header("accept")).isEqualTo("application/json");
    assertThat(exchange.form().keySet()).containsExactlyInAnyOrder("client_id", "client_secret",
        "code", "redirect_uri", "code_verifier");
    assertThat(exchange.form()).containsEntry("client_id", CLIENT_ID)
        .containsEntry("client_secret", CLIENT_SECRET)
        .containsEntry("code", query(callback.uri().toString()).get("code"))
        .containsEntry("redirect_uri", gateway.authUrl("/callback/github"));
    String verifier = exchange.form().get("code_verifier");
    assertThat(verifier).matches("[A-Za-z0-9._~-]{43,128}");
    assertThat(GithubStandIn.s256(verifier)).isEqualTo(authorize.param("code_challenge"));
    assertThat(verifier).isNotEqualTo(authorize.param("code_challenge"));
    for (String path : List.of("/api/user", "/api/user/emails", "/api/user/orgs",
        "/api/user/teams")) {
      GithubStandIn.Request call = single(path);
      assertThat(call.header("authorization")).as(path).startsWith("Bearer gho_");
      assertThat(call.header("accept")).as(path).isEqualTo("application/vnd.github+json");
      assertThat(call.header("x-github-api-version")).as(path).isEqualTo("2022-11-28");
    }
  }

  @Test
  void theIdentityReachingTheUpstreamIsThePrimaryVerifiedEmailWithLoginOrgsAndTeams()
      throws Exception {
    github.emails(new Email("ada@old.example", false, true),
        new Email("Ada@Example.com", true, true),
        new Email("ada@unverified.example", false, false))
        .orgs(Org.publicly("globex"), Org.publicly("acme"))
        .teams(new Team("acme", "platform"), new Team("globex", "sales"));

    HttpResponse<String> opened = signInAndOpen(acme("/reports?year=2026"));

    assertThat(opened.statusCode()).isEqualTo(200);
    assertThat(opened.body()).isEqualTo("upstream saw GET /reports?year=2026");
    Received seen = gateway.upstream().take();
    assertThat(seen.headers().get("x-portcullis-email")).containsExactly(ADA_EMAIL);
    JsonObject assertion = payload(seen.header("x-portcullis-jwt-assertion"));
    assertThat(assertion.getString("email")).isEqualTo(ADA_EMAIL);
    assertThat(assertion.getString("idp")).isEqualTo("github");
    assertThat(assertion.getString("name")).isEqualTo("Ada Lovelace");
    assertThat(assertion.getString("gh_login")).isEqualTo("ada");
    // Only the organizations and teams some policy names are kept.
    assertThat(assertion.getJsonArray("gh_orgs")).isEqualTo(new JsonArray().add("acme"));
    assertThat(assertion.getJsonArray("gh_teams"))
        .isEqualTo(new JsonArray().add("acme/platform"));
    assertThat(assertion.getJsonObject("claims").getJsonArray("github_id"))
        .isEqualTo(new JsonArray().add("583231"));
    JsonObject identity = new JsonObject(http.get(acme("/.portcullis/identity")).body());
    assertThat(identity.getString("email")).isEqualTo(ADA_EMAIL);
    assertThat(identity.getString("idp")).isEqualTo("github");
  }

  // ---- the decision: organizations and teams

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "acme,                200",
      "globex;ACME,         200",
      "globex;initech,      403",
      "'',                  403",
  })
  void githubOrgRuleAllowsOnlyMembersOfTheOrg(String orgs, int status) throws Exception {
    github.orgs(names(orgs).map(Org::publicly).toArray(Org[]::new));

    HttpResponse<String> opened = signInAndOpen(acme("/"));

    expectAllowedOrDenied(opened, status, "acme");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "acme/platform,                 200",
      "globex/ops;Acme/platform,      200",
      "acme/sales,                    403",
      "globex/platform,               403",
      "'',                            403",
  })
  void githubTeamRuleAllowsOnlyMembersOfTheTeam(String teams, int status) throws Exception {
    github.orgs(Org.publicly("acme"))
        .teams(names(teams).map(t -> new Team(t.split("/")[0], t.split("/")[1]))
            .toArray(Team[]::new));

    HttpResponse<String> opened = signInAndOpen(platform("/"));

    expectAllowedOrDenied(opened, status, "platform");
  }

  @Test
  void privateOrgMembershipAllowsBecauseReadOrgWasRequested() throws Exception {
    github.orgs(Org.publicly("globex"), Org.privately("acme"));

    HttpResponse<String> opened = signInAndOpen(acme("/"));

    expectAllowedOrDenied(opened, 200, "acme");
    assertThat(single("/login/oauth/authorize").param("scope").split(" ")).contains("read:org");
  }

  @Test
  void everyPageOfOrgsAndTeamsIsRead() throws Exception {
    github.pageSize(2)
        .orgs(Org.publicly("o1"), Org.publicly("o2"), Org.publicly("o3"), Org.privately("o4"),
            Org.publicly("acme"))
        .teams(new Team("o1", "a"), new Team("o2", "b"), new Team("acme", "platform"));

    HttpResponse<String> opened = signInAndOpen(acme("/"));

    Received seen = expectAllowedOrDenied(opened, 200, "acme");
    assertThat(github.requests("/api/user/orgs").stream().map(r -> r.param("page")))
        .containsExactly(null, "2", "3");
    assertThat(github.requests("/api/user/teams").stream().map(r -> r.param("page")))
        .containsExactly(null, "2");
    JsonObject assertion = payload(seen.header("x-portcullis-jwt-assertion"));
    assertThat(assertion.getJsonArray("gh_orgs")).isEqualTo(new JsonArray().add("acme"));
    assertThat(assertion.getJsonArray("gh_teams"))
        .isEqualTo(new JsonArray().add("acme/platform"));
  }

  // ---- failures: a page, a status, a request id, and no session

  static Stream<Arguments> accountsWithoutAVerifiedEmail() {
    return Stream.of(
        Arguments.of("no address at all", new Email[0]),
        Arguments.of("only unverified addresses", new Email[] {
            new Email(ADA_EMAIL, true, false), new Email("ada@old.example", false, false)}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accountsWithoutAVerifiedEmail")
  void accountWithoutAVerifiedEmailIsRefusedWithAPageSayingSo(String name, Email[] emails) {
    github.emails(emails).orgs(Org.publicly("acme"));

    HttpResponse<String> callback = signInWithGithub(http, acme("/"));

    expectFailurePage(callback, 403, "Your account has no verified email address at the "
        + "provider that Portcullis can use (GitHub: the primary address must be verified). "
        + "Verify it there, then sign in again.");
  }

  @Test
  void apiClientIsToldWhyInJsonNotOnAPage() {
    github.emails();
    HttpResponse<String> start = http.get(gateway.authUrl("/login/github?redirect_url="
        + enc(acme("/"))), "Accept", HTML);
    HttpResponse<String> consent = atGithub(location(start));

    HttpResponse<String> callback = http.get(location(consent), "Accept", "application/json");

    assertThat(callback.statusCode()).isEqualTo(403);
    assertThat(callback.headers().firstValue("location")).isEmpty();
    assertThat(callback.headers().firstValue("content-type").orElseThrow())
        .startsWith("application/json");
    JsonObject body = new JsonObject(callback.body());
    assertThat(body.fieldNames()).containsExactlyInAnyOrder("error", "message", "request_id");
    assertThat(body.getString("error")).isEqualTo("email-unverified");
    assertThat(body.getString("request_id"))
        .isEqualTo(callback.headers().firstValue("x-request-id").orElseThrow());
    assertThat(http.cookie("auth.localhost", "portcullis_session")).isNull();
  }

  @ParameterizedTest(name = "{0} answers {1}")
  @CsvSource({
      "/login/oauth/access_token, 500",
      "/api/user,                 502",
      "/api/user/emails,          503",
      "/api/user/orgs,            500",
      "/api/user/teams,           502",
  })
  void githubAnswering5xxGivesA502PageWithARequestId(String path, int status) {
    github.orgs(Org.publicly("acme")).fail(path, status);

    HttpResponse<String> callback = signInWithGithub(http, acme("/"));

    expectFailurePage(callback, 502,
        "The sign-in provider answered with an error. Try again in a moment.");
    assertThat(github.requests(path)).hasSize(1);
  }

  @ParameterizedTest(name = "{0} never answers")
  @CsvSource({TOKEN_PATH, "/api/user/emails", "/api/user/orgs"})
  void githubAnsweringSlowlyGivesA504PageAfterTheTimeout(String path) throws Exception {
    startGateway(SHORT_TIMEOUT);
    github.orgs(Org.publicly("acme")).neverAnswer(path);

    HttpResponse<String> callback = signInWithGithub(http, acme("/"));

    expectFailurePage(callback, 504,
        "The sign-in provider did not answer in time. Try again in a moment.");
    assertThat(github.requests(path)).hasSize(1);
  }

  /**
   * A provider that keeps sending a byte now and then is as slow as one that sends nothing:
   * the timeout bounds the whole call, not only the silences.
   */
  @Test
  void githubTricklingItsAnswerGivesA504PageAfterTheTimeout() throws Exception {
    startGateway(SHORT_TIMEOUT);
    github.orgs(Org.publicly("acme")).trickle("/api/user/orgs");

    HttpResponse<String> callback = signInWithGithub(http, acme("/"));

    expectFailurePage(callback, 504,
        "The sign-in provider did not answer in time. Try again in a moment.");
  }

  @Test
  void consentDeniedAtGithubGivesA403PageAndNoTokenExchange() {
    github.orgs(Org.publicly("acme")).denyConsent();

    HttpResponse<String> callback = signInWithGithub(http, acme("/"));

    assertThat(query(callback.uri().toString())).containsEntry("error", "access_denied");
    expectFailurePage(callback, 403,
        "Sign-in was cancelled at the provider, so Portcullis cannot tell who you are.");
    assertThat(github.requests(TOKEN_PATH)).isEmpty();
  }

  @Test
  void replayedCallbackIsRefusedAndMakesNoSession() {
    github.orgs(Org.publicly("acme"));
    HttpResponse<String> first = signInWithGithub(http, acme("/"));
    assertThat(first.statusCode()).isEqualTo(302);
    String callbackUrl = gateway.authUrl(first.uri().getRawPath() + "?"
        + first.uri().getRawQuery());

    HttpResponse<String> sameBrowser = http.get(callbackUrl, "Accept", HTML);
    Http otherBrowser = gateway.http();
    HttpResponse<String> stolen = otherBrowser.get(callbackUrl, "Accept", HTML);

    String sentence = "This sign-in did not start in this browser, or was already used. "
        + "Start again.";
    assertThat(sameBrowser.statusCode()).isEqualTo(400);
    assertThat(sameBrowser.body()).contains(sentence);
    assertThat(sameBrowser.headers().allValues("set-cookie"))
        .noneMatch(c -> c.startsWith("portcullis_session="));
    // Without the flow cookie Portcullis does not know the target, so the way back is plain.
    expectFailurePage(otherBrowser, stolen, 400, sentence, "/login");
    assertThat(github.requests(TOKEN_PATH)).hasSize(1);
  }

  @Test
  void callbackOfAnotherBrowsersSignInIsRefusedEvenWhileThisOneHasItsOwn() {
    github.orgs(Org.publicly("acme"));
    Http attacker = gateway.http();
    HttpResponse<String> attackerStart = attacker.get(gateway.authUrl(
        "/login/github?redirect_url=" + enc(acme("/"))), "Accept", HTML);
    String attackersCallback = location(atGithub(location(attackerStart)));
    HttpResponse<String> start = http.get(gateway.authUrl("/login/github?redirect_url="
        + enc(acme("/"))), "Accept", HTML);
    assertThat(start.statusCode()).isEqualTo(302);

    HttpResponse<String> callback = http.get(attackersCallback, "Accept", HTML);

    expectFailurePage(callback, 400, "This sign-in did not start in this browser, or was "
        + "already used. Start again.");
    assertThat(github.requests(TOKEN_PATH)).isEmpty();
  }

  // ---- helpers, in the order the tests use them

  private String acme(String path) {
    return gateway.appUrl("acme.localhost", path);
  }

  private String platform(String path) {
    return gateway.appUrl("platform.localhost", path);
  }

  /**
   * A browser's way through a GitHub sign-in on its way to {@code target}: Portcullis's login
   * start, GitHub's authorize page, and back. Returns Portcullis's answer to the callback.
   */
  private HttpResponse<String> signInWithGithub(Http browser, String target) {
    HttpResponse<String> start = browser.get(gateway.authUrl("/login/github?redirect_url="
        + enc(target)), "Accept", HTML);
    assertThat(start.statusCode()).as("login start").isEqualTo(302);
    HttpResponse<String> consent = atGithub(location(start));
    assertThat(consent.statusCode()).as("GitHub's authorize: " + consent.body())
        .isEqualTo(302);
    assertThat(location(consent)).startsWith(gateway.authUrl("/callback/github?"));
    return browser.get(location(consent), "Accept", HTML);
  }

  /** The browser at GitHub's authorize page, where the stand-in consents at once. */
  private HttpResponse<String> atGithub(String url) {
    assertThat(url).startsWith(github.webUrl() + "/");
    try {
      return browserAtGithub.send(HttpRequest.newBuilder(URI.create(url))
          .timeout(Duration.ofSeconds(10)).header("Accept", HTML).GET().build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Signs in with GitHub on the way to {@code target}, then follows Portcullis as a browser:
   * /authorize, the application's callback, the target. Returns the first answer that is not
   * a redirect (the upstream's page, or the refusal).
   */
  private HttpResponse<String> signInAndOpen(String target) {
    HttpResponse<String> callback = signInWithGithub(http, target);
    assertThat(callback.statusCode()).as("callback: " + callback.body()).isEqualTo(302);
    assertThat(location(callback))
        .isEqualTo(gateway.authUrl("/authorize?redirect_url=" + enc(target)));
    assertThat(http.cookie("auth.localhost", "portcullis_session")).isNotNull();
    assertThat(http.cookie("auth.localhost", "portcullis_oauth")).isNull();

    HttpResponse<String> authorize = http.get(location(callback), "Accept", HTML);
    if (authorize.statusCode() != 302) {
      return authorize;
    }
    HttpResponse<String> handoff = http.get(location(authorize), "Accept", HTML);
    assertThat(handoff.statusCode()).as("application callback").isEqualTo(302);
    // The application's callback redirects within its own host.
    URI app = URI.create(target);
    assertThat(location(handoff)).isEqualTo(app.getRawPath()
        + (app.getRawQuery() == null ? "" : "?" + app.getRawQuery()));
    return http.get(target, "Accept", HTML);
  }

  /**
   * 200 from the upstream, or the denied page naming the application and the person. Returns
   * what the upstream received, or null when it was not reached.
   */
  private Received expectAllowedOrDenied(HttpResponse<String> opened, int status, String app)
      throws InterruptedException {
    assertThat(opened.statusCode()).isEqualTo(status);
    if (status == 200) {
      assertThat(opened.body()).isEqualTo("upstream saw GET /");
      Received seen = gateway.upstream().take();
      assertThat(seen.headers().get("x-portcullis-email")).containsExactly(ADA_EMAIL);
      return seen;
    } else {
      assertThat(opened.body()).contains("You cannot open " + app)
          .contains("You are signed in as <strong>" + ADA_EMAIL + "</strong>")
          .contains("Request id: <code>"
              + opened.headers().firstValue("x-request-id").orElseThrow() + "</code>");
      assertThat(gateway.upstream().reached()).isFalse();
      return null;
    }
  }

  /** A failure of a sign-in on the way to acme, in {@link #http}. */
  private void expectFailurePage(HttpResponse<String> response, int status, String sentence) {
    expectFailurePage(http, response, status, sentence,
        "/login?redirect_url=" + enc(acme("/")));
  }

  /**
   * The failure page: its status, the sentence, the way back and the request id; and the
   * browser holds neither a session nor the login flow.
   */
  private void expectFailurePage(Http browser, HttpResponse<String> response, int status,
      String sentence, String retry) {
    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(response.headers().firstValue("location")).isEmpty();
    assertThat(response.headers().firstValue("content-type").orElseThrow())
        .startsWith("text/html");
    String requestId = response.headers().firstValue("x-request-id").orElseThrow();
    assertThat(response.body()).contains("<h1>Sign-in failed</h1>")
        .contains("<p>" + sentence + "</p>")
        .contains("<a class=\"button\" href=\"" + retry + "\">Try again</a>")
        .contains("Request id: <code>" + requestId + "</code>");
    assertThat(browser.cookie("auth.localhost", "portcullis_session")).isNull();
    assertThat(browser.cookie("auth.localhost", "portcullis_oauth")).isNull();
    assertThat(gateway.upstream().reached()).isFalse();
  }

  private GithubStandIn.Request single(String path) {
    List<GithubStandIn.Request> requests = github.requests(path);
    assertThat(requests).as(path).hasSize(1);
    return requests.get(0);
  }

  /** A JWT's claims, read without verifying it: the signature is another test's business. */
  private static JsonObject payload(String jwt) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]),
        StandardCharsets.UTF_8));
  }

  /** Names separated by ';' in a table cell; empty means none. */
  private static Stream<String> names(String cell) {
    return cell.isEmpty() ? Stream.empty() : Arrays.stream(cell.split(";"));
  }

  private static String location(HttpResponse<String> response) {
    return response.headers().firstValue("location").orElseThrow(
        () -> new AssertionError("no Location in " + response.statusCode() + " from "
            + response.uri() + ": " + response.body()));
  }

  private static Map<String, String> query(String url) {
    Map<String, String> out = new LinkedHashMap<>();
    String raw = URI.create(url).getRawQuery();
    for (String pair : raw == null ? new String[0] : raw.split("&")) {
      int eq = pair.indexOf('=');
      out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
          URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return out;
  }

  private static String enc(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
