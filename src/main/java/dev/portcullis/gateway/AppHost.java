package dev.portcullis.gateway;

import dev.portcullis.audit.Audit;
import dev.portcullis.policy.Application;
import dev.portcullis.policy.Decision;
import dev.portcullis.machine.CorsRules;
import dev.portcullis.machine.ServiceTokenHeaders;
import dev.portcullis.machine.ServiceTokenVerifier;
import dev.portcullis.policy.Relay;
import dev.portcullis.policy.RequestPath;
import dev.portcullis.policy.Subject;
import dev.portcullis.proxy.ForwardedRequest;
import dev.portcullis.proxy.Forwarder;
import dev.portcullis.proxy.WebSocketForwarder;
import dev.portcullis.session.FactsJson;
import dev.portcullis.session.SessionClaims;
import dev.portcullis.session.TokenUse;
import dev.portcullis.store.Store;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests to an application's host: the reserved {@code /.portcullis/} endpoints, and for
 * everything else the gate: authenticate from the app cookie, decide, then forward or refuse.
 *
 * <p>The order matters: identity comes only from a verified, unrevoked app token (never from a
 * client header); the decision sees that identity and the client address; only an allowed
 * request is forwarded, with client-sent identity headers removed before Portcullis's are set.
 */
final class AppHost {
  static final String RESERVED = "/.portcullis/";
  private static final Logger LOG = LoggerFactory.getLogger(AppHost.class);

  private final Services services;
  private final Supplier<Settings> settings;
  private final IntSupplier whoamiPort;
  private final Relays relays;

  AppHost(Services services, Supplier<Settings> settings, IntSupplier whoamiPort) {
    this.services = services;
    this.settings = settings;
    this.whoamiPort = whoamiPort;
    this.relays = new Relays(services, this);
  }

  void handle(HttpServerRequest request, String requestId) {
    Settings s = settings.get();
    // Encoded slashes are kept at first so that the application can be found; whether it
    // accepts them is checked once it is known.
    RequestPath.Result normalized = RequestPath.normalize(request.path(), true);
    if (normalized instanceof RequestPath.Refused refused) {
      services.responses().badRequest(request, requestId, "This address cannot be served: "
          + refused.reason() + ".");
      return;
    }
    String path = ((RequestPath.Normalized) normalized).path();
    String host = request.authority().host();
    Optional<Application> found = s.applications().find(host, path);
    if (found.isEmpty()) {
      services.responses().notFound(request, requestId, "No application is served at this "
          + "address.");
      return;
    }
    Application app = found.get();
    if (!app.allowEncodedSlashes()
        && RequestPath.normalize(request.path(), false) instanceof RequestPath.Refused refused) {
      services.responses().badRequest(request, requestId, "This address cannot be served: "
          + refused.reason() + ".");
      return;
    }
    String relative = app.pathPrefix().equals("/") ? path
        : path.substring(app.pathPrefix().length());
    if (relative.startsWith(RESERVED)) {
      reserved(request, app, requestId, s, relative.substring(RESERVED.length()));
      return;
    }
    String query = request.query();
    String pathAndQuery = path + (query == null ? "" : "?" + query);
    ClientAddress.Resolved client = s.clientAddress().resolve(request);

    // CORS first: a preflight carries no credentials by design, so it is answered here, from
    // the application's rules, and never reaches a policy or the upstream. It is recognised by
    // its real method only; no header can claim to be one.
    CorsRules cors = app.cors();
    if (cors != null && CorsRules.isPreflight(request.method().name(), request::getHeader)) {
      preflight(request, app, requestId, cors);
      return;
    }
    if (cors != null) {
      cors.headersFor(request.getHeader("Origin")).forEach((name, value) ->
          request.response().headers().set(name, value));
    }

    Relay relay = app.relay(path);
    if (relay != null) {
      relays.handle(request, app, relay, requestId, s, client, upstreamOf(app));
      return;
    }

    // A token header given twice is as ambiguous as two different pairs: refused, not guessed.
    ServiceTokenHeaders.Presented presented = ServiceTokenHeaders.ALL.stream()
        .anyMatch(name -> request.headers().getAll(name).size() > 1)
        ? new ServiceTokenHeaders.Malformed("a service token header is given more than once")
        : ServiceTokenHeaders.read(request::getHeader);
    if (!(presented instanceof ServiceTokenHeaders.None)) {
      machine(request, app, requestId, s, path, pathAndQuery, client, presented);
      return;
    }

    Optional<SessionClaims> session = appSession(request, app, s);
    Subject subject = session.map(c -> Subjects.of(c, client.client()))
        .orElseGet(() -> Subject.anonymous(client.client()));
    Decision decision = services.engine().decide(app, subject);
    AccessLog.decision(requestId, app.name(), request, path, subject.email(),
        client.forwardedFor(), decision);

    if (decision.bypassed()) {
      services.counters().increment("bypassed");
      forward(request, app, requestId, s, pathAndQuery, Map.of(), client);
    } else if (decision.allowed() && session.isPresent()) {
      forward(request, app, requestId, s, pathAndQuery, identityHeaders(session.get(), app),
          client);
    } else if (!subject.signedIn()) {
      services.responses().unauthenticated(request, requestId,
          AuthDomain.loginUrl(s, s.origin(host) + pathAndQuery));
    } else {
      services.responses().denied(request, requestId, app.name(), subject.email(),
          decision.reason(), decision.summary(), s.reservedUrl(app, host, "logout"));
    }
  }

  private void preflight(HttpServerRequest request, Application app, String requestId,
      CorsRules cors) {
    CorsRules.Preflight answer = cors.preflightResponse(request.getHeader("Origin"),
        request.getHeader("Access-Control-Request-Method"),
        request.getHeader("Access-Control-Request-Headers"));
    if (answer instanceof CorsRules.Allowed allowed) {
      request.resume();
      allowed.headers().forEach((name, value) -> request.response().headers().set(name, value));
      request.response().setStatusCode(204).end();
      return;
    }
    CorsRules.Refused refused = (CorsRules.Refused) answer;
    services.counters().increment("cors_refused");
    services.responses().json(request, 403, new JsonObject().put("error",
        refused.reason().code()).put("message", refused.message())
        .put("request_id", requestId).put("application", app.name()));
  }

  /**
   * A request carrying service token headers: verified against the in-memory snapshot (never
   * the store), decided, and answered with JSON only; a machine never gets a redirect or a page.
   */
  private void machine(HttpServerRequest request, Application app, String requestId,
      Settings s, String path, String pathAndQuery, ClientAddress.Resolved client,
      ServiceTokenHeaders.Presented presented) {
    ServiceTokenVerifier.Verification verification = presented
        instanceof ServiceTokenHeaders.Pair pair
        ? services.serviceTokens().verify(pair.clientId(), pair.secret()) : null;
    if (!(verification instanceof ServiceTokenVerifier.Verified)) {
      // A public path stays public for a machine whose token is stale or broken.
      Decision anonymous = services.engine().decide(app, Subject.anonymous(client.client()));
      if (anonymous.bypassed()) {
        AccessLog.decision(requestId, app.name(), request, path, null, client.forwardedFor(),
            anonymous);
        services.counters().increment("bypassed");
        forward(request, app, requestId, s, pathAndQuery, Map.of(), client);
        return;
      }
    }
    if (presented instanceof ServiceTokenHeaders.Malformed malformed) {
      services.responses().json(request, 401, new JsonObject()
          .put("error", "service-token-malformed").put("message", malformed.reason())
          .put("request_id", requestId));
      return;
    }
    if (verification instanceof ServiceTokenVerifier.Refused refused) {
      LOG.atInfo().setMessage("service token refused").addKeyValue("request_id", requestId)
          .addKeyValue("app", app.name()).addKeyValue("reason", refused.reason().code())
          .addKeyValue("token", refused.name() == null ? "-" : refused.name()).log();
      // An unknown id and a wrong secret read the same, so that nobody learns which client
      // ids exist; the log above keeps the difference.
      String code = refused.reason() == ServiceTokenVerifier.Refusal.UNKNOWN
          || refused.reason() == ServiceTokenVerifier.Refusal.WRONG_SECRET
          ? "service-token-invalid" : refused.reason().code();
      services.responses().json(request, 401, new JsonObject()
          .put("error", code).put("message", "the service token was refused")
          .put("request_id", requestId));
      return;
    }
    String name = ((ServiceTokenVerifier.Verified) verification).name();
    Subject subject = Subject.builder().serviceToken(name).clientAddress(client.client())
        .build();
    Decision decision = services.engine().decide(app, subject);
    AccessLog.decision(requestId, app.name(), request, path, "service:" + name,
        client.forwardedFor(), decision);
    if (decision.bypassed()) {
      services.counters().increment("bypassed");
      forward(request, app, requestId, s, pathAndQuery, Map.of(), client);
    } else if (decision.allowed()) {
      forward(request, app, requestId, s, pathAndQuery, serviceHeaders(name, app), client);
    } else {
      services.responses().json(request, 403, new JsonObject()
          .put("error", decision.reason().code()).put("message", decision.summary())
          .put("service_token", name).put("application", app.name())
          .put("request_id", requestId));
    }
  }

  private Map<String, String> serviceHeaders(String name, Application app) {
    Map<String, String> identity = new LinkedHashMap<>();
    identity.put("X-Portcullis-Service-Token", name);
    identity.put("X-Portcullis-Jwt-Assertion", services.tokens().serviceAssertion(name,
        app.name()));
    return identity;
  }

  private Map<String, String> identityHeaders(SessionClaims session, Application app) {
    Map<String, String> identity = new LinkedHashMap<>();
    identity.put("X-Portcullis-Email", session.email());
    identity.put("X-Portcullis-User", session.userId());
    if (!session.facts().groups().isEmpty()) {
      // The provider's groups that some policy names, sorted, comma-separated.
      identity.put("X-Portcullis-Groups", String.join(",", session.facts().groups().stream()
          .sorted().toList()));
    }
    identity.put("X-Portcullis-Jwt-Assertion", services.tokens().assertion(session, app.name()));
    return identity;
  }

  private void forward(HttpServerRequest request, Application app, String requestId, Settings s,
      String pathAndQuery, Map<String, String> identity, ClientAddress.Resolved client) {
    if (WebSocketForwarder.isUpgrade(request)) {
      services.webSockets().forward(request, upstreamOf(app), pathAndQuery,
          forwarded(request, app, requestId, s, identity, client))
          .onFailure(failure -> upstreamFailed(request, app, requestId, failure));
      return;
    }
    services.forwarder().forward(request, upstreamOf(app), pathAndQuery,
        app.upstreamTimeout(), forwarded(request, app, requestId, s, identity, client))
        .onFailure(failure -> upstreamFailed(request, app, requestId, failure));
  }

  ForwardedRequest forwarded(HttpServerRequest request, Application app, String requestId,
      Settings s, Map<String, String> identity, ClientAddress.Resolved client) {
    String proto = s.config().auth().url().getScheme();
    String host = request.getHeader("Host");
    return new ForwardedRequest(requestId, identity, client.forwardedFor(), proto,
        host == null ? app.host() : host, app.cors() != null);
  }

  void upstreamFailed(HttpServerRequest request, Application app, String requestId,
      Throwable failure) {
    Forwarder.UpstreamException upstream = failure instanceof Forwarder.UpstreamException u
        ? u : null;
    LOG.atWarn().setMessage("upstream failed").addKeyValue("request_id", requestId)
        .addKeyValue("app", app.name())
        .addKeyValue("failure", upstream == null ? "error" : upstream.getMessage())
        .addKeyValue("cause", String.valueOf(failure.getCause() == null ? failure
            : failure.getCause()))
        .log();
    if (!request.response().headWritten()) {
      services.responses().upstreamFailed(request, requestId, upstream == null
          ? dev.portcullis.proxy.UpstreamFailure.UNREACHABLE : upstream.failure());
    }
  }

  private URI upstreamOf(Application app) {
    if (app.upstream().getScheme().equals("builtin")) {
      return URI.create("http://127.0.0.1:" + whoamiPort.getAsInt());
    }
    return app.upstream();
  }

  // ---- /.portcullis/*

  private void reserved(HttpServerRequest request, Application app, String requestId,
      Settings s, String endpoint) {
    boolean read = request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD;
    if (!read) {
      services.responses().problem(request, 405, "method-not-allowed", "Method not allowed",
          "Use GET.", requestId);
      return;
    }
    switch (endpoint) {
      case "callback" -> callback(request, app, requestId, s);
      case "logout" -> logout(request, app, requestId, s);
      case "identity" -> identity(request, app, requestId, s);
      case "certs" -> request.response().putHeader("Content-Type", "application/json")
          .putHeader("Cache-Control", "public, max-age=300").end(services.keys().jwksJson());
      default -> services.responses().notFound(request, requestId,
          "There is nothing at this address.");
    }
  }

  /** Trades a one-use code from the auth domain for this host's app cookie. */
  private void callback(HttpServerRequest request, Application app, String requestId,
      Settings s) {
    String code = request.getParam("code");
    if (code == null || code.isEmpty() || code.length() > 128) {
      expiredHandoff(request, app, requestId, s);
      return;
    }
    String hash = services.codes().hash("handoff", code);
    services.blocking(() -> {
      Instant now = services.clock().instant();
      Optional<Store.HandoffRecord> handoff = services.store().takeHandoff(hash)
          .filter(h -> h.application().equals(app.name()) && h.expiresAt().isAfter(now));
      if (handoff.isEmpty()) {
        return Optional.<Handoff>empty();
      }
      return services.store().session(handoff.get().sid())
          .filter(r -> r.revokedAt() == null && r.expiresAt().isAfter(now))
          .map(r -> new Handoff(new SessionClaims(r.sid(), r.userId(), r.email(), r.idp(),
              r.createdAt(), r.expiresAt(), FactsJson.read(r.details())),
              handoff.get().targetPath()));
    }).onSuccess(found -> {
      if (found.isEmpty() || services.revocations().isRevoked(found.get().session().sid())) {
        expiredHandoff(request, app, requestId, s);
        return;
      }
      SessionClaims session = found.get().session();
      Instant now = services.clock().instant();
      Duration lifetime = app.sessionDuration() != null ? app.sessionDuration()
          : s.config().auth().sessionDuration();
      Instant expiresAt = now.plus(lifetime).isBefore(session.expiresAt()) ? now.plus(lifetime)
          : session.expiresAt();
      String token = services.tokens().issue(TokenUse.APP, app.name(), session, expiresAt);
      request.response().addCookie(s.cookies().create(app.cookieName(), token, expiresAt, now));
      services.responses().redirect(request, found.get().targetPath());
    }).onFailure(e -> {
      LOG.atError().setMessage("callback failed").addKeyValue("request_id", requestId)
          .setCause(e).log();
      services.responses().internalError(request, requestId);
    });
  }

  private record Handoff(SessionClaims session, String targetPath) {}

  private void expiredHandoff(HttpServerRequest request, Application app, String requestId,
      Settings s) {
    if (Responses.wantsHtml(request)) {
      services.responses().html(request, 400, services.pages().message("Sign-in link expired",
          "This sign-in link has expired or was already used.",
          s.applicationUrl(app, request.authority().host()),
          "Open " + app.name() + " again", requestId));
    } else {
      services.responses().badRequest(request, requestId, "sign-in code expired or used");
    }
  }

  /** Ends the session everywhere and clears this host's cookie. */
  private void logout(HttpServerRequest request, Application app, String requestId,
      Settings s) {
    Optional<SessionClaims> session = appSession(request, app, s);
    request.response().addCookie(s.cookies().expired(app.cookieName()));
    if (session.isEmpty()) {
      services.responses().redirect(request, s.authUrl("/logout"));
      return;
    }
    SessionClaims claims = session.get();
    services.blocking(() -> {
      services.revocations().revoke(claims.sid(), claims.expiresAt());
      return null;
    }).onSuccess(v -> {
      Audit.event("logout").addKeyValue("email", claims.email()).addKeyValue("sid", claims.sid())
          .addKeyValue("app", app.name()).addKeyValue("request_id", requestId).log();
      services.responses().redirect(request, s.authUrl("/logout"));
    }).onFailure(e -> {
      LOG.atError().setMessage("logout failed").addKeyValue("request_id", requestId)
          .setCause(e).log();
      services.responses().internalError(request, requestId);
    });
  }

  private void identity(HttpServerRequest request, Application app, String requestId,
      Settings s) {
    Optional<SessionClaims> session = appSession(request, app, s);
    if (session.isEmpty()) {
      services.responses().json(request, 401, new JsonObject().put("error",
          "user-unauthenticated").put("message", "sign in required")
          .put("request_id", requestId));
      return;
    }
    SessionClaims c = session.get();
    services.responses().json(request, 200, new JsonObject().put("email", c.email())
        .put("user", c.userId()).put("idp", c.idp()).put("application", app.name())
        .put("session_expires_at", c.expiresAt().toString()));
  }

  // ---- helpers

  private Optional<SessionClaims> appSession(HttpServerRequest request, Application app,
      Settings s) {
    Cookie cookie = request.getCookie(app.cookieName());
    if (cookie == null) {
      return Optional.empty();
    }
    return services.tokens().verify(cookie.getValue(), TokenUse.APP, app.name())
        .filter(c -> !services.revocations().isRevoked(c.sid()));
  }

}
