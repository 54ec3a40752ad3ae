package dev.portcullis.proxy;

import dev.portcullis.web.Pages;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.util.AbstractMap.SimpleEntry;
import java.util.List;
import java.util.Map;

/**
 * The built-in upstream named {@code builtin:whoami}: a tiny HTTP server on 127.0.0.1 that
 * shows the request it received, headers included, so that a newcomer sees the identity
 * Portcullis hands over. It answers JSON when asked for it.
 */
public final class WhoamiUpstream {
  private final HttpServer server;

  private WhoamiUpstream(HttpServer server) {
    this.server = server;
  }

  /** Starts on an ephemeral loopback port. */
  public static Future<WhoamiUpstream> start(Vertx vertx, Pages pages) {
    HttpServer server = vertx.createHttpServer().requestHandler(request -> {
      List<Map.Entry<String, String>> headers = request.headers().entries().stream()
          .map(e -> (Map.Entry<String, String>) new SimpleEntry<>(e.getKey(), e.getValue()))
          .sorted(Map.Entry.comparingByKey(String.CASE_INSENSITIVE_ORDER))
          .toList();
      String accept = request.getHeader("Accept");
      if (accept != null && accept.contains("application/json")) {
        JsonObject body = new JsonObject().put("method", request.method().name())
            .put("uri", request.uri());
        JsonObject headerJson = new JsonObject();
        headers.forEach(h -> headerJson.put(h.getKey(), h.getValue()));
        request.response().putHeader("Content-Type", "application/json")
            .end(body.put("headers", headerJson).encodePrettily());
        return;
      }
      request.response().putHeader("Content-Type", "text/html; charset=utf-8")
          .end(pages.render("whoami", Map.of("method", request.method().name(),
              "uri", request.uri(), "headers", headers)));
    });
    return server.listen(0, "127.0.0.1").map(WhoamiUpstream::new);
  }

  public int port() {
    return server.actualPort();
  }

  public Future<Void> close() {
    return server.close();
  }
}
