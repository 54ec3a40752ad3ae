package dev.portcullis.proxy;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.concurrent.TimeoutException;

/**
 * Sends an allowed request to its upstream and streams the answer back. Bodies flow through
 * with back-pressure in both directions and are never buffered whole.
 *
 * <p>The returned future fails with {@link UpstreamException} only when nothing has been sent
 * to the client yet, so the caller can still answer 502 or 504; a failure after the response
 * started just closes the connection.
 */
public final class Forwarder {
  /** Time to open a TCP connection to an upstream; a LAN peer answers in milliseconds. */
  private static final int CONNECT_TIMEOUT_MS = 5_000;
  /** Idle pooled connections are closed after this many seconds. */
  private static final int POOL_IDLE_SECONDS = 60;
  /** Connections kept per upstream; enough for a busy internal tool on two cores. */
  private static final int POOL_SIZE = 64;

  private final HttpClient client;

  public Forwarder(Vertx vertx) {
    this.client = vertx.createHttpClient(
        new HttpClientOptions()
            .setKeepAlive(true)
            .setConnectTimeout(CONNECT_TIMEOUT_MS)
            .setKeepAliveTimeout(POOL_IDLE_SECONDS)
            .setDecompressionSupported(false),
        new PoolOptions().setHttp1MaxSize(POOL_SIZE));
  }

  /**
   * Forwards {@code request} to {@code upstream} (scheme, host, port and base path) with the
   * path and query given. The request must be paused; it is resumed here.
   *
   * @param idleTimeout how long the upstream may stay silent, before or during its answer
   */
  public Future<Void> forward(HttpServerRequest request, URI upstream, String pathAndQuery,
      java.time.Duration idleTimeout, ForwardedRequest extra) {
    boolean https = "https".equals(upstream.getScheme());
    int port = upstream.getPort() > 0 ? upstream.getPort() : https ? 443 : 80;
    String base = upstream.getRawPath() == null ? "" : upstream.getRawPath();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    RequestOptions options = new RequestOptions()
        .setMethod(request.method())
        .setHost(upstream.getHost())
        .setPort(port)
        .setSsl(https)
        .setURI(base + pathAndQuery)
        .setIdleTimeout(idleTimeout.toMillis());

    return client.request(options)
        .compose(upstreamRequest -> send(request, upstreamRequest, upstream, port, https, extra))
        .recover(failure -> Future.failedFuture(new UpstreamException(classify(failure),
            failure)))
        .compose(upstreamResponse -> relay(request.response(), upstreamResponse,
            extra.portcullisOwnsCors()));
  }

  /**
   * Sends a body already read and checked (a relay's envelope) to the upstream as a POST, and
   * streams the answer back. Fails with {@link UpstreamException} as {@link #forward} does.
   *
   * @param headers the request headers to send, besides the identity and forwarding ones
   */
  public Future<Void> post(HttpServerRequest request, URI upstream, String path,
      MultiMap headers, Buffer body, java.time.Duration idleTimeout, ForwardedRequest extra) {
    boolean https = "https".equals(upstream.getScheme());
    int port = upstream.getPort() > 0 ? upstream.getPort() : https ? 443 : 80;
    String base = upstream.getRawPath() == null ? "" : upstream.getRawPath();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
        .setHost(upstream.getHost()).setPort(port).setSsl(https).setURI(base + path)
        .setIdleTimeout(idleTimeout.toMillis());
    return client.request(options)
        .compose(upstreamRequest -> {
          MultiMap out = upstreamRequest.headers();
          out.addAll(headers);
          boolean defaultPort = https ? port == 443 : port == 80;
          out.set(HttpHeaders.HOST, upstream.getHost() + (defaultPort ? "" : ":" + port));
          extra.identityHeaders().forEach(out::set);
          out.set("X-Forwarded-For", extra.forwardedFor());
          out.set("X-Forwarded-Proto", extra.forwardedProto());
          out.set("X-Forwarded-Host", extra.forwardedHost());
          out.set("X-Request-Id", extra.requestId());
          out.set(HttpHeaders.CONTENT_LENGTH, String.valueOf(body.length()));
          return upstreamRequest.send(body);
        })
        .recover(failure -> Future.failedFuture(new UpstreamException(classify(failure),
            failure)))
        .compose(upstreamResponse -> relay(request.response(), upstreamResponse,
            extra.portcullisOwnsCors()));
  }

  private Future<HttpClientResponse> send(HttpServerRequest request,
      HttpClientRequest upstreamRequest, URI upstream, int port, boolean https,
      ForwardedRequest extra) {
    MultiMap headers = upstreamRequest.headers();
    HeaderHygiene.copyRequestHeaders(request.headers(), headers);
    boolean defaultPort = https ? port == 443 : port == 80;
    headers.set(HttpHeaders.HOST, upstream.getHost() + (defaultPort ? "" : ":" + port));
    extra.identityHeaders().forEach(headers::set);
    headers.set("X-Forwarded-For", extra.forwardedFor());
    headers.set("X-Forwarded-Proto", extra.forwardedProto());
    headers.set("X-Forwarded-Host", extra.forwardedHost());
    headers.set("X-Request-Id", extra.requestId());

    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    boolean chunked = request.headers().contains(HttpHeaders.TRANSFER_ENCODING, "chunked", true);
    if (length == null && !chunked) {
      // No body at all: do not turn a plain GET into a chunked request.
      request.resume();
      return upstreamRequest.send();
    }
    if (length != null) {
      headers.set(HttpHeaders.CONTENT_LENGTH, length);
    } else {
      upstreamRequest.setChunked(true);
    }
    return upstreamRequest.send(request);
  }

  private static Future<Void> relay(HttpServerResponse response, HttpClientResponse upstream,
      boolean dropCors) {
    response.setStatusCode(upstream.statusCode());
    response.setStatusMessage(upstream.statusMessage());
    HeaderHygiene.copyResponseHeaders(upstream.headers(), response.headers(), dropCors);
    if (!response.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
      response.setChunked(true);
    }
    return response.send(upstream).recover(failure -> {
      // Headers are gone already: all that is left is to drop the connection.
      response.reset();
      return Future.succeededFuture();
    });
  }

  private static UpstreamFailure classify(Throwable failure) {
    return failure instanceof TimeoutException || failure instanceof ConnectTimeoutException
        ? UpstreamFailure.TIMED_OUT : UpstreamFailure.UNREACHABLE;
  }

  /** The upstream could not be reached or did not answer; nothing was sent to the client. */
  public static final class UpstreamException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final UpstreamFailure failure;

    UpstreamException(UpstreamFailure failure, Throwable cause) {
      super(failure.name().toLowerCase(java.util.Locale.ROOT), cause);
      this.failure = failure;
    }

    public UpstreamFailure failure() {
      return failure;
    }
  }

  public Future<Void> close() {
    return client.close();
  }
}
