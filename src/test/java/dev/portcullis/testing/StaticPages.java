package dev.portcullis.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A web site of fixed files on 127.0.0.1, on its own Vert.x instance so that it can be started
 * before a gateway whose configuration names its origin. Answers 404 for anything not put.
 */
public final class StaticPages implements AutoCloseable {
  private final Vertx vertx;
  private final HttpServer server;
  private final Map<String, File> files = new ConcurrentHashMap<>();

  private record File(String contentType, Buffer body) {}

  private StaticPages(Vertx vertx) {
    this.vertx = vertx;
    this.server = vertx.createHttpServer().requestHandler(request -> {
      File file = files.get(request.path());
      if (file == null) {
        request.response().setStatusCode(404).end();
        return;
      }
      request.response().putHeader("Content-Type", file.contentType())
          .putHeader("Cache-Control", "no-store").end(file.body());
    });
  }

  /** Starts the site on an ephemeral loopback port. */
  public static StaticPages start() {
    StaticPages pages = new StaticPages(Vertx.vertx());
    try {
      pages.server.listen(0, "127.0.0.1").await();
    } catch (RuntimeException e) {
      pages.vertx.close().await();
      throw e;
    }
    return pages;
  }

  /** Serves {@code body} at {@code path} from now on. */
  public StaticPages put(String path, String contentType, byte[] body) {
    files.put(path, new File(contentType, Buffer.buffer(body)));
    return this;
  }

  public int port() {
    return server.actualPort();
  }

  /** The origin under which a browser sees this site at {@code host}, a loopback name. */
  public String origin(String host) {
    return "http://" + host + ":" + port();
  }

  @Override
  public void close() {
    try {
      server.close().await();
    } finally {
      vertx.close().await();
    }
  }
}
