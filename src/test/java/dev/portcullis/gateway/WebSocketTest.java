package dev.portcullis.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** WebSocket upgrades: decided like any request, then forwarded frame by frame both ways. */
class WebSocketTest {
  /** The default configuration with the first application ("app") on the WebSocket upstream. */
  private static final String CONFIG = TestGateway.DEFAULT_CONFIG.replaceFirst(
      "upstream: http://127.0.0.1:\\{upstream}", "upstream: http://127.0.0.1:{ws}");

  @TempDir
  Path dir;

  @Test
  void anAllowedUpgradeReachesTheUpstreamWithIdentityAndFramesFlowBothWays() throws Exception {
    Vertx vertx = Vertx.vertx();
    CompletableFuture<MultiMap> handshake = new CompletableFuture<>();
    HttpServer echo = vertx.createHttpServer().webSocketHandler(socket -> {
      handshake.complete(socket.headers());
      socket.textMessageHandler(text -> socket.writeTextMessage("echo: " + text));
      socket.binaryMessageHandler(bytes -> socket.writeBinaryMessage(
          Buffer.buffer("bin:").appendBuffer(bytes)));
    }).listen(0, "127.0.0.1").await();
    try (TestGateway gateway = TestGateway.start(dir, CONFIG,
        Map.of("ws", String.valueOf(echo.actualPort())))) {
      Http http = gateway.http();
      gateway.signIn(http, "you@example.com", gateway.appUrl("app.localhost", "/"));
      WebSocketClient client = vertx.createWebSocketClient();
      WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1")
          .setPort(gateway.port()).setURI("/live/ws?x=1")
          .addHeader("Host", "app.localhost:" + gateway.port())
          .addHeader("Cookie", "portcullis_app_app="
              + http.cookie("app.localhost", "portcullis_app_app"))
          .addHeader("X-Portcullis-Email", "ceo@example.com");

      WebSocket socket = client.connect(options).await();
      CompletableFuture<String> text = new CompletableFuture<>();
      CompletableFuture<String> binary = new CompletableFuture<>();
      socket.textMessageHandler(text::complete);
      socket.binaryMessageHandler(bytes -> binary.complete(bytes.toString()));
      socket.writeTextMessage("hello");
      socket.writeBinaryMessage(Buffer.buffer("raw"));

      assertThat(text.get(10, TimeUnit.SECONDS)).isEqualTo("echo: hello");
      assertThat(binary.get(10, TimeUnit.SECONDS)).isEqualTo("bin:raw");
      MultiMap seen = handshake.get(10, TimeUnit.SECONDS);
      assertThat(seen.getAll("X-Portcullis-Email")).containsExactly("you@example.com");
      assertThat(seen.get("X-Portcullis-Jwt-Assertion")).isNotBlank();
      assertThat(seen.get("Cookie")).isNull();

      // Without a cookie the upgrade is refused before it reaches the upstream.
      WebSocketConnectOptions anonymous = new WebSocketConnectOptions().setHost("127.0.0.1")
          .setPort(gateway.port()).setURI("/live/ws")
          .addHeader("Host", "app.localhost:" + gateway.port());
      Throwable refused = client.connect(anonymous).toCompletionStage().toCompletableFuture()
          .handle((ok, failure) -> failure).get(10, TimeUnit.SECONDS);
      assertThat(refused).isInstanceOf(UpgradeRejectedException.class);
      assertThat(((UpgradeRejectedException) refused).getStatus()).isEqualTo(401);
      client.close().await();
    } finally {
      echo.close().await();
      vertx.close().await();
    }
  }
}
