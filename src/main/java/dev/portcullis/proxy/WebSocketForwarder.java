package dev.portcullis.proxy;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import java.net.URI;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

/**
 * Forwards an allowed WebSocket upgrade: opens the WebSocket to the upstream first (so that an
 * unreachable upstream still gets a 502 or 504 page), then accepts the client's, and passes
 * frames both ways with back-pressure, text and binary kept apart. A close on either side closes
 * the other with the same status.
 *
 * <p>Subprotocols ({@code Sec-WebSocket-Protocol}) are not negotiated yet: the upgrade is
 * forwarded without them, so a client that insists on one fails its handshake.
 */
public final class WebSocketForwarder {
  /** Time to open the upstream's WebSocket, handshake included. */
  private static final int CONNECT_TIMEOUT_MS = 5_000;

  private final WebSocketClient client;

  public WebSocketForwarder(Vertx vertx) {
    this.client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setConnectTimeout(CONNECT_TIMEOUT_MS));
  }

  /** Whether the request asks to become a WebSocket. */
  public static boolean isUpgrade(HttpServerRequest request) {
    return request.canUpgradeToWebSocket();
  }

  /**
   * Connects to the upstream and, once it accepted, upgrades the client's request. Fails with
   * {@link Forwarder.UpstreamException} when the upstream cannot be reached; the client's request
   * is then still a plain request that the caller answers.
   */
  public Future<Void> forward(HttpServerRequest request, URI upstream, String pathAndQuery,
      ForwardedRequest extra) {
    boolean https = "https".equals(upstream.getScheme());
    int port = upstream.getPort() > 0 ? upstream.getPort() : https ? 443 : 80;
    String base = upstream.getRawPath() == null ? "" : upstream.getRawPath();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    WebSocketConnectOptions options = new WebSocketConnectOptions()
        .setHost(upstream.getHost()).setPort(port).setSsl(https).setURI(base + pathAndQuery)
        .setConnectTimeout(CONNECT_TIMEOUT_MS)
        // The client's own Origin is forwarded below; the client library must not add one.
        .setAllowOriginHeader(false);
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    HeaderHygiene.copyRequestHeaders(request.headers(), headers);
    for (var header : headers) {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      if (!name.startsWith("sec-websocket-")) {
        options.addHeader(header.getKey(), header.getValue());
      }
    }
    extra.identityHeaders().forEach(options::addHeader);
    options.addHeader("X-Forwarded-For", extra.forwardedFor());
    options.addHeader("X-Forwarded-Proto", extra.forwardedProto());
    options.addHeader("X-Forwarded-Host", extra.forwardedHost());
    options.addHeader("X-Request-Id", extra.requestId());

    return client.connect(options)
        .recover(failure -> Future.failedFuture(new Forwarder.UpstreamException(
            failure instanceof TimeoutException || failure instanceof ConnectTimeoutException
                ? UpstreamFailure.TIMED_OUT : UpstreamFailure.UNREACHABLE, failure)))
        .compose(upstreamSocket -> request.toWebSocket()
            .onFailure(e -> upstreamSocket.close())
            .map(clientSocket -> {
              join(clientSocket, upstreamSocket);
              join(upstreamSocket, clientSocket);
              return (Void) null;
            }));
  }

  /** Passes {@code from}'s frames to {@code to}, pausing {@code from} while {@code to} is full. */
  private static void join(WebSocketBase from, WebSocketBase to) {
    from.frameHandler(frame -> {
      // Each side answers its own pings; a close travels through the close handler.
      if (frame.isClose() || frame.isPing()
          || frame.type() == io.vertx.core.http.WebSocketFrameType.PONG) {
        return;
      }
      to.writeFrame(copy(frame));
      if (to.writeQueueFull()) {
        from.pause();
        to.drainHandler(v -> from.resume());
      }
    });
    from.closeHandler(v -> {
      Short status = from.closeStatusCode();
      if (!to.isClosed()) {
        to.close(status == null ? (short) 1000 : status,
            from.closeReason() == null ? "" : from.closeReason());
      }
    });
    from.exceptionHandler(e -> to.close((short) 1011, "upstream error"));
  }

  /** A frame as received, to be written on the other connection. */
  private static WebSocketFrame copy(WebSocketFrame frame) {
    if (frame.isText()) {
      return WebSocketFrame.textFrame(frame.textData(), frame.isFinal());
    }
    if (frame.isBinary()) {
      return WebSocketFrame.binaryFrame(frame.binaryData(), frame.isFinal());
    }
    return WebSocketFrame.continuationFrame(frame.binaryData(), frame.isFinal());
  }

  public Future<Void> close() {
    return client.close();
  }
}
