package dev.portcullis.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.GithubStandIn;
import dev.portcullis.testing.GithubStandIn.Email;
import dev.portcullis.testing.GithubStandIn.Org;
import dev.portcullis.testing.GithubStandIn.User;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GitHub membership re-checks: a person removed from the organization loses access at the next
 * check, not when the session expires; GitHub being down keeps sessions; a revoked token ends
 * them. The clock is moved by hand and the check is run directly, so nothing waits.
 */
class GithubRecheckTest {
  private static final String CONFIG = """
      listen: 127.0.0.1:{port}
      data_dir: {data}
      auth:
        url: http://auth.localhost:{port}
      identity_providers:
        - id: github
          type: github
          client_id: client-1
          client_secret: secret-1
          web_url: http://127.0.0.1:{github}
          api_url: http://127.0.0.1:{github}/api
          timeout: 2s
          recheck_interval: 1h
      applications:
        - name: acme
          host: acme.localhost
          upstream: http://127.0.0.1:{upstream}
          policies:
            - { name: members, action: allow, include: [ { github_org: [acme] } ] }
      """;

  @TempDir
  Path dir;

  private GithubStandIn github;
  private TestGateway gateway;
  private Http http;
  private final HttpClient direct = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER).build();

  @BeforeEach
  void start() throws Exception {
    github = GithubStandIn.start("client-1", "secret-1")
        .user(new User(42, "grace", "Grace Hopper"))
        .emails(Email.primaryVerified("grace@example.com"))
        .orgs(Org.publicly("acme"), Org.privately("other"));
    gateway = TestGateway.start(dir, CONFIG, Map.of("github", String.valueOf(github.port())));
    github.callbackUrl(gateway.authUrl("/callback/github"));
    http = gateway.http();
    signIn();
  }

  @AfterEach
  void stop() {
    try {
      gateway.close();
    } finally {
      github.close();
    }
  }

  private String acme() {
    return gateway.appUrl("acme.localhost", "/");
  }

  private void signIn() throws Exception {
    HttpResponse<String> start = http.get(gateway.authUrl("/login/github?redirect_url="
        + URLEncoder.encode(acme(), StandardCharsets.UTF_8)), "Accept", "text/html");
    HttpResponse<String> consent = direct.send(HttpRequest.newBuilder(URI.create(
        start.headers().firstValue("location").orElseThrow())).build(),
        HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> callback = http.get(consent.headers().firstValue("location")
        .orElseThrow(), "Accept", "text/html");
    assertThat(callback.statusCode()).as(callback.body()).isEqualTo(302);
    gateway.followToApp(http, callback.headers().firstValue("location").orElseThrow());
    assertThat(open()).isEqualTo(200);
  }

  private int open() {
    return http.get(acme(), "Accept", "application/json").statusCode();
  }

  @Test
  void nothingIsCheckedBeforeTheInterval() {
    assertThat(gateway.gateway().recheckMemberships().await()).isZero();
    assertThat(open()).isEqualTo(200);
  }

  @Test
  void removalFromTheOrganizationEndsTheSessionAtTheNextCheck() {
    github.orgs(Org.privately("other"));
    gateway.clock().advance(Duration.ofMinutes(61));

    assertThat(gateway.gateway().recheckMemberships().await()).isEqualTo(1);

    assertThat(open()).isEqualTo(401);
    assertThat(http.get(gateway.authUrl("/authorize?redirect_url="
        + URLEncoder.encode(acme(), StandardCharsets.UTF_8)), "Accept", "text/html")
        .headers().firstValue("location").orElseThrow())
        .as("the global session is gone too").startsWith(gateway.authUrl("/login?"));
  }

  @Test
  void unchangedMembershipKeepsTheSessionAndIsCheckedAgainLater() {
    gateway.clock().advance(Duration.ofMinutes(61));

    assertThat(gateway.gateway().recheckMemberships().await()).isZero();
    assertThat(open()).isEqualTo(200);
    assertThat(gateway.gateway().recheckMemberships().await()).as("rescheduled an hour on")
        .isZero();
    github.orgs();
    gateway.clock().advance(Duration.ofMinutes(61));
    assertThat(gateway.gateway().recheckMemberships().await()).isEqualTo(1);
  }

  @Test
  void gitHubBeingDownDoesNotEndSessions() {
    github.fail("/api/user/orgs", 503);
    gateway.clock().advance(Duration.ofMinutes(61));

    assertThat(gateway.gateway().recheckMemberships().await()).isZero();
    assertThat(open()).isEqualTo(200);
  }

  @Test
  void aTokenGitHubNoLongerAcceptsEndsTheSession() {
    github.fail("/api/user", 401);
    gateway.clock().advance(Duration.ofMinutes(61));

    assertThat(gateway.gateway().recheckMemberships().await()).isEqualTo(1);
    assertThat(open()).isEqualTo(401);
  }
}
