package dev.portcullis.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP upstream on 127.0.0.1 that records every request it receives and answers
 * {@code 200 upstream saw METHOD PATH}.
 */
public final class RecordingUpstream implements AutoCloseable {
  private final HttpServer server;
  private final LinkedBlockingQueue<Received> received = new LinkedBlockingQueue<>();

  /** One request as the upstream saw it; header names are lower-cased. */
  public record Received(String method, String uri, Map<String, List<String>> headers,
      String body) {
    public String header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null ? null : String.join(", ", values);
    }
  }

  public RecordingUpstream(Vertx vertx) {
    this.server = vertx.createHttpServer().requestHandler(request -> request.body()
        .onSuccess(body -> {
          Map<String, List<String>> headers = new LinkedHashMap<>();
          request.headers().forEach(h -> headers.computeIfAbsent(
              h.getKey().toLowerCase(Locale.ROOT), k -> new java.util.ArrayList<>())
              .add(h.getValue()));
          received.add(new Received(request.method().name(), request.uri(), headers,
              body.toString()));
          request.response().putHeader("Content-Type", "text/plain")
              .end("upstream saw " + request.method().name() + " " + request.uri());
        }));
    server.listen(0, "127.0.0.1").await();
  }

  public int port() {
    return server.actualPort();
  }

  /** The next request received, waiting up to five seconds for it. */
  public Received take() throws InterruptedException {
    Received next = received.poll(5, TimeUnit.SECONDS);
    if (next == null) {
      throw new AssertionError("the upstream received no request");
    }
    return next;
  }

  /** Every request received and not taken yet; does not wait. */
  public java.util.List<Received> drain() {
    java.util.List<Received> out = new java.util.ArrayList<>();
    received.drainTo(out);
    return out;
  }

  /** Whether a request is waiting (the upstream was reached). Does not wait. */
  public boolean reached() {
    return !received.isEmpty();
  }

  @Override
  public void close() {
    server.close().await();
  }
}
