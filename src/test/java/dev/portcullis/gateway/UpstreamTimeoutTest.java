package dev.portcullis.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UpstreamTimeoutTest {
  @TempDir
  Path dir;

  @Test
  void silentUpstreamGives504AfterItsTimeoutAndBigBodiesStreamThrough() throws Exception {
    Vertx vertx = Vertx.vertx();
    // Accepts requests and never answers them.
    HttpServer silent = vertx.createHttpServer().requestHandler(request -> { })
        .listen(0, "127.0.0.1").await();
    String template = TestGateway.DEFAULT_CONFIG + """
          - name: slow
            host: slow.localhost
            upstream: http://127.0.0.1:{silent}
            upstream_timeout: 300ms
            policies:
              - { name: staff, action: allow, include: [ { email_domain: [example.com] } ] }
        """;
    try (TestGateway gateway = TestGateway.start(dir, template,
        Map.of("silent", String.valueOf(silent.actualPort())))) {
      Http http = gateway.http();
      gateway.signIn(http, "you@example.com", gateway.appUrl("slow.localhost", "/"));

      HttpResponse<String> response = http.get(gateway.appUrl("slow.localhost", "/report"),
          "Accept", "application/json");

      assertThat(response.statusCode()).isEqualTo(504);
      assertThat(new JsonObject(response.body()).getString("error"))
          .isEqualTo("upstream-timeout");

      gateway.signIn(http, "you@example.com", gateway.appUrl("app.localhost", "/"));
      String big = "x".repeat(3 * 1024 * 1024);
      HttpResponse<String> upload = http.send("PUT", gateway.appUrl("app.localhost", "/upload"),
          big, "Accept", "application/json");
      assertThat(upload.statusCode()).isEqualTo(200);
      assertThat(gateway.upstream().take().body()).hasSize(big.length()).isEqualTo(big);
    } finally {
      silent.close().await();
      vertx.close().await();
    }
  }
}
