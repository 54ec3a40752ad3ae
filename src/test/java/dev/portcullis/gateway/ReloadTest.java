package dev.portcullis.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.config.ConfigException;
import dev.portcullis.config.ConfigLoader;
import dev.portcullis.config.Problem;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Live reload: valid files apply atomically, invalid ones change nothing, sessions survive. */
class ReloadTest {
  private static final String OTHER_ALLOWS_YOU = TestGateway.DEFAULT_CONFIG.replace(
      "{ name: admins, action: allow, include: [ { email: [admin@example.com] } ] }",
      "{ name: admins, action: allow, include: [ { email: [admin@example.com, "
          + "you@example.com] } ] }");

  @TempDir
  Path dir;

  @Test
  void aValidConfigurationAppliesToNewRequestsAndSessionsSurvive() throws Exception {
    try (TestGateway gateway = TestGateway.start(dir, TestGateway.DEFAULT_CONFIG, Map.of())) {
      Http http = gateway.http();
      gateway.signIn(http, "you@example.com", gateway.appUrl("app.localhost", "/"));
      String other = gateway.appUrl("other.localhost", "/");
      String authorize = gateway.authUrl("/authorize?redirect_url="
          + java.net.URLEncoder.encode(other, java.nio.charset.StandardCharsets.UTF_8));
      assertThat(http.get(authorize, "Accept", "text/html").statusCode()).isEqualTo(403);

      gateway.rewriteConfig(OTHER_ALLOWS_YOU);
      Gateway.Reload result = gateway.gateway().reload().await();

      assertThat(result).isEqualTo(new Gateway.Reload.Applied(2));
      assertThat(http.get(authorize, "Accept", "text/html").statusCode()).isEqualTo(302);
      assertThat(http.get(gateway.appUrl("app.localhost", "/"), "Accept", "application/json")
          .statusCode()).as("the app cookie from before the reload").isEqualTo(200);
    }
  }

  @Test
  void anInvalidConfigurationIsRejectedWithCheckMessagesAndTheOldOneStays() throws Exception {
    try (TestGateway gateway = TestGateway.start(dir, TestGateway.DEFAULT_CONFIG, Map.of())) {
      Http http = gateway.http();
      gateway.signIn(http, "you@example.com", gateway.appUrl("app.localhost", "/"));
      String broken = TestGateway.DEFAULT_CONFIG.replace("action: allow", "action: alow");
      gateway.rewriteConfig(broken);
      List<String> expected = problemsOf(gateway.configFile());

      Gateway.Reload result = gateway.gateway().reload().await();

      assertThat(expected).isNotEmpty();
      assertThat(result).isEqualTo(new Gateway.Reload.Rejected(expected));
      assertThat(http.get(gateway.appUrl("app.localhost", "/"), "Accept", "application/json")
          .statusCode()).isEqualTo(200);
    }
  }

  @Test
  void changingWhatNeedsARestartIsRejected() throws Exception {
    try (TestGateway gateway = TestGateway.start(dir, TestGateway.DEFAULT_CONFIG, Map.of())) {
      gateway.rewriteConfig(TestGateway.DEFAULT_CONFIG.replace("url: http://auth.localhost:",
          "url: http://login.localhost:"));

      Gateway.Reload result = gateway.gateway().reload().await();

      assertThat(result).isInstanceOf(Gateway.Reload.Rejected.class);
      assertThat(((Gateway.Reload.Rejected) result).problems()).singleElement().asString()
          .endsWith("auth.url changed; restart Portcullis to apply it (sessions are bound to "
              + "it)");
      assertThat(gateway.http().get(gateway.authUrl("/login"), "Accept", "text/html")
          .statusCode()).isEqualTo(200);
    }
  }

  @Test
  void savingTheFileReloadsIt() throws Exception {
    try (TestGateway gateway = TestGateway.start(dir, TestGateway.DEFAULT_CONFIG, Map.of(),
        true)) {
      CompletableFuture<Gateway.Reload> reloaded = new CompletableFuture<>();
      gateway.gateway().onReload(reloaded::complete);

      gateway.rewriteConfig(OTHER_ALLOWS_YOU);

      assertThat(reloaded.get(10, TimeUnit.SECONDS)).isEqualTo(new Gateway.Reload.Applied(2));
    }
  }

  @Test
  void changingAnEmailListReloadsIt() throws Exception {
    Path list = dir.resolve("admins.txt");
    Files.writeString(list, "admin@example.com\n");
    String template = TestGateway.DEFAULT_CONFIG.replace(
        "{ name: admins, action: allow, include: [ { email: [admin@example.com] } ] }",
        "{ name: admins, action: allow, include: [ { email_list: admins.txt } ] }");
    try (TestGateway gateway = TestGateway.start(dir, template, Map.of(), true)) {
      Http http = gateway.http();
      gateway.signIn(http, "you@example.com", gateway.appUrl("app.localhost", "/"));
      String authorize = gateway.authUrl("/authorize?redirect_url=" + java.net.URLEncoder
          .encode(gateway.appUrl("other.localhost", "/"), java.nio.charset.StandardCharsets.UTF_8));
      assertThat(http.get(authorize, "Accept", "text/html").statusCode()).isEqualTo(403);
      CompletableFuture<Gateway.Reload> reloaded = new CompletableFuture<>();
      gateway.gateway().onReload(reloaded::complete);

      Files.writeString(list, "admin@example.com\nyou@example.com\n");

      assertThat(reloaded.get(10, TimeUnit.SECONDS)).isInstanceOf(Gateway.Reload.Applied.class);
      assertThat(http.get(authorize, "Accept", "text/html").statusCode()).isEqualTo(302);
    }
  }

  private static List<String> problemsOf(Path file) {
    try {
      new ConfigLoader().load(file);
      return List.of();
    } catch (ConfigException e) {
      return e.problems().stream().map(Problem::toString).toList();
    }
  }
}
