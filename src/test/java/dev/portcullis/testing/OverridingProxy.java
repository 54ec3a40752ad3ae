package dev.portcullis.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A front for a real server on 127.0.0.1 that passes every request through, Host header
 * included, except where a test queued a canned answer for a path. Lets a test make a real
 * identity provider answer one request badly (a forged token, rotated keys, garbage).
 */
public final class OverridingProxy implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;
  private final Map<String, Queue<Canned>> overrides = new ConcurrentHashMap<>();

  private record Canned(int status, String body) {}

  public OverridingProxy(int targetPort) {
    HttpClient client = vertx.createHttpClient();
    this.server = vertx.createHttpServer().requestHandler(request -> {
      Queue<Canned> queue = overrides.get(request.path());
      Canned canned = queue == null ? null : queue.poll();
      if (canned != null) {
        request.response().setStatusCode(canned.status())
            .putHeader("Content-Type", "application/json").end(canned.body());
        return;
      }
      request.body().compose(body -> client.request(new RequestOptions()
              .setMethod(request.method()).setHost("127.0.0.1").setPort(targetPort)
              .setURI(request.uri()))
          .compose(forward -> {
            forward.headers().addAll(request.headers());
            return forward.send(body);
          })
          .compose(answer -> answer.body().map(answerBody -> {
            request.response().setStatusCode(answer.statusCode());
            answer.headers().forEach(h -> {
              if (!h.getKey().equalsIgnoreCase("transfer-encoding")) {
                request.response().putHeader(h.getKey(), h.getValue());
              }
            });
            request.response().end(answerBody);
            return (Void) null;
          })))
          .onFailure(e -> request.response().setStatusCode(502).end());
    });
    server.listen(0, "127.0.0.1").await();
  }

  public int port() {
    return server.actualPort();
  }

  /** The next request for exactly this path gets this answer instead of the server's. */
  public void override(String path, int status, String body) {
    overrides.computeIfAbsent(path, p -> new ConcurrentLinkedQueue<>())
        .add(new Canned(status, body));
  }

  @Override
  public void close() {
    vertx.close().await();
  }
}
