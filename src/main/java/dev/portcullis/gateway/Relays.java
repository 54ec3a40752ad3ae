package dev.portcullis.gateway;

import dev.portcullis.machine.SentryEnvelope;
import dev.portcullis.policy.Application;
import dev.portcullis.policy.Relay;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays: public ingest paths that accept one kind of traffic only, checked before it is
 * forwarded under the relay's service identity. For {@code sentry_envelope}: a POST of a Sentry
 * envelope whose DSN names this application's host and an allowed project, at most the relay's
 * size (compressed bodies are capped after decompression too), at most the relay's rate per
 * client address; it goes to the upstream's {@code /api/PROJECT/envelope/} unchanged.
 *
 * <p>The order is cheapest refusal first: method, rate, declared length, then the body is read
 * with a hard cap (past it the client gets 413 and the connection is closed, unread), then
 * checked on a worker thread. Every outcome is counted and logged with the request id. The
 * upstream sees the relay as {@code X-Portcullis-Service-Token: relay:NAME}.
 */
final class Relays {
  private static final Logger LOG = LoggerFactory.getLogger("portcullis.access");

  private final Services services;
  private final AppHost apps;
  /** One limiter per application and relay path; kept across reloads. */
  private final Map<String, RateLimiter> limiters = new ConcurrentHashMap<>();

  Relays(Services services, AppHost apps) {
    this.services = services;
    this.apps = apps;
  }

  void handle(HttpServerRequest request, Application app, Relay relay, String requestId,
      Settings s, ClientAddress.Resolved client, URI upstream) {
    if (request.method() != HttpMethod.POST) {
      request.response().putHeader("Allow", "POST");
      refuse(request, app, relay, requestId, 405, "relay-method-not-allowed",
          "This address accepts POST only.");
      return;
    }
    String clientKey = client.client() == null ? "unknown" : client.client().getHostAddress();
    if (!limiter(app, relay).tryAcquire(clientKey)) {
      // The window is a minute: asking again after it is always in time.
      request.response().putHeader("Retry-After", "60");
      refuse(request, app, relay, requestId, 429, "relay-rate-limited",
          "Too many requests from this address; try again in a minute.");
      return;
    }
    String length = request.getHeader("Content-Length");
    if (length != null && !length.matches("[0-9]{1,18}")) {
      refuse(request, app, relay, requestId, 400, "relay-length-invalid",
          "The Content-Length header is not a number.");
      return;
    }
    if (length != null && Long.parseLong(length) > relay.maxBytes()) {
      request.response().putHeader("Connection", "close");
      refuse(request, app, relay, requestId, 413, "envelope-too-large",
          "The body is larger than this relay accepts.");
      return;
    }
    read(request, relay.maxBytes()).onFailure(failure -> {
      if (failure instanceof TooLarge) {
        request.response().putHeader("Connection", "close");
        refuse(request, app, relay, requestId, 413, "envelope-too-large",
            "The body is larger than this relay accepts.");
      } else {
        // The client went away or sent a broken body: nobody is left to answer.
        LOG.atInfo().setMessage("relay").addKeyValue("request_id", requestId)
            .addKeyValue("app", app.name()).addKeyValue("relay", relay.path())
            .addKeyValue("outcome", "aborted").log();
        services.counters().increment("relay_aborted");
        request.connection().close();
      }
    }).onSuccess(body -> {
      String host = dev.portcullis.policy.Applications.normalizeHost(
          request.authority().host());
      String encoding = request.getHeader("Content-Encoding");
      services.blocking(() -> new SentryEnvelope(host, relay.projects(), relay.maxBytes())
          .check(encoding, body.getBytes())).onSuccess(result -> {
            if (result instanceof SentryEnvelope.Refused refused) {
              refuse(request, app, relay, requestId, refused.status(), refused.code(),
                  refused.message());
              return;
            }
            SentryEnvelope.Accepted accepted = (SentryEnvelope.Accepted) result;
            forward(request, app, relay, requestId, s, client, upstream, accepted);
          }).onFailure(e -> apps.upstreamFailed(request, app, requestId, e));
    });
  }

  private void forward(HttpServerRequest request, Application app, Relay relay,
      String requestId, Settings s, ClientAddress.Resolved client, URI upstream,
      SentryEnvelope.Accepted accepted) {
    services.counters().increment("relay_accepted");
    LOG.atInfo().setMessage("relay").addKeyValue("request_id", requestId)
        .addKeyValue("app", app.name()).addKeyValue("relay", relay.path())
        .addKeyValue("outcome", "accepted").addKeyValue("project", accepted.projectId())
        .addKeyValue("client", client.forwardedFor()).log();
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    String type = request.getHeader("Content-Type");
    headers.set("Content-Type", type == null ? "application/x-sentry-envelope" : type);
    if (accepted.contentEncoding() != null) {
      headers.set("Content-Encoding", accepted.contentEncoding());
    }
    String agent = request.getHeader("User-Agent");
    if (agent != null) {
      headers.set("User-Agent", agent);
    }
    // "relay:" keeps a relay apart from a service token that happens to share its name.
    String identityName = "relay:" + relay.name();
    Map<String, String> identity = Map.of(
        "X-Portcullis-Service-Token", identityName,
        "X-Portcullis-Jwt-Assertion", services.tokens().serviceAssertion(identityName,
            app.name()));
    services.forwarder().post(request, upstream, accepted.upstreamPath(), headers,
        Buffer.buffer(accepted.body()), app.upstreamTimeout(),
        apps.forwarded(request, app, requestId, s, identity, client))
        .onFailure(e -> apps.upstreamFailed(request, app, requestId, e));
  }

  /** Reads the body up to {@code max} bytes; fails (and stops reading) past it. */
  private static Future<Buffer> read(HttpServerRequest request, int max) {
    Promise<Buffer> promise = Promise.promise();
    Buffer body = Buffer.buffer();
    request.handler(chunk -> {
      if (body.length() + chunk.length() > max) {
        request.handler(null);
        promise.tryFail(new TooLarge());
        return;
      }
      body.appendBuffer(chunk);
    });
    request.endHandler(v -> promise.tryComplete(body));
    request.exceptionHandler(promise::tryFail);
    request.resume();
    return promise.future();
  }

  private void refuse(HttpServerRequest request, Application app, Relay relay, String requestId,
      int status, String code, String message) {
    services.counters().increment("relay_refused." + code);
    LOG.atInfo().setMessage("relay").addKeyValue("request_id", requestId)
        .addKeyValue("app", app.name()).addKeyValue("relay", relay.path())
        .addKeyValue("outcome", "refused").addKeyValue("reason", code)
        // The socket's peer: a refusal can come before the client address is worked out.
        .addKeyValue("peer", request.remoteAddress() == null ? "-"
            : request.remoteAddress().hostAddress()).log();
    services.responses().json(request, status, new JsonObject().put("error", code)
        .put("message", message).put("request_id", requestId));
    if (status == 413 && !request.isEnded()) {
      // The rest of an oversized body is not read: the connection goes, as announced.
      request.response().closeHandler(null);
      request.connection().close();
    }
  }

  /** The body passed the relay's limit while being read. */
  private static final class TooLarge extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooLarge() {
      super("body over the relay's limit", null, false, false);
    }
  }

  private RateLimiter limiter(Application app, Relay relay) {
    return limiters.compute(app.name() + "\0" + relay.path(), (key, current) ->
        current != null && current.limit() == relay.perMinute() ? current
            : new RateLimiter(relay.perMinute(), Duration.ofMinutes(1), services.clock()));
  }
}
