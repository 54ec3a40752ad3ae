package dev.portcullis.gateway;

import dev.portcullis.audit.Audit;
import dev.portcullis.identity.Identity;
import dev.portcullis.identity.LoginFailure;
import dev.portcullis.identity.OAuthFlow;
import dev.portcullis.identity.RedirectProvider;
import dev.portcullis.session.Cookies;
import dev.portcullis.session.Hmac;
import dev.portcullis.session.IdentityFacts;
import dev.portcullis.session.SessionClaims;
import dev.portcullis.store.Store;
import io.vertx.core.http.Cookie;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sign-in through a redirecting identity provider (GitHub, OpenID Connect) on the auth domain:
 * {@code GET /login/{idp}} starts a flow bound to this browser by a signed, HttpOnly, single-use
 * cookie and sends it to the provider; {@code GET /callback/{idp}} checks the flow (cookie,
 * provider, state, age), lets the provider verify the answer, and only then creates a session.
 * Every failure is one log line and a page with a way back; none leaves a session behind.
 */
final class ProviderLogins {
  private static final Logger LOG = LoggerFactory.getLogger(ProviderLogins.class);

  private final Services services;
  private final Supplier<Settings> settings;
  private final AuthDomain logins;

  ProviderLogins(Services services, Supplier<Settings> settings, AuthDomain logins) {
    this.services = services;
    this.settings = settings;
    this.logins = logins;
  }

  /** How long a person may take at the provider: enough for a password and a second factor. */
  private static final Duration FLOW_LIFETIME = Duration.ofMinutes(10);

  /** GET /login/{idp}: starts a flow and sends the browser to the provider. */
  void start(RoutingContext ctx) {
    Settings s = settings.get();
    String requestId = AuthDomain.requestId(ctx);
    String id = ctx.pathParam("idp");
    RedirectProvider provider = s.redirectProviders().get(id);
    if (provider == null) {
      services.responses().notFound(ctx.request(), requestId, "There is no identity provider "
          + "with this name.");
      return;
    }
    String redirectUrl = Optional.ofNullable(AuthDomain.param(ctx, "redirect_url")).orElse("");
    Optional<RedirectTargets.Target> target = logins.target(s, redirectUrl);
    if (!redirectUrl.isEmpty() && target.isEmpty()) {
      logins.refuseTarget(ctx);
      return;
    }
    if (target.isPresent() && !target.get().application().allowsIdentityProvider(id)) {
      services.responses().problem(ctx.request(), 403, "idp-not-allowed", "Not available",
          "This application does not accept this way of signing in.", requestId);
      return;
    }
    Instant now = services.clock().instant();
    OAuthFlow flow = OAuthFlow.start(id, redirectUrl, now.plus(FLOW_LIFETIME));
    provider.authorizationUrl(flow, callbackUrl(s, id)).onSuccess(url -> {
      // The cookie outlives the flow so that a late callback is told it was late.
      ctx.response().addCookie(s.cookies().create(Cookies.OAUTH_FLOW,
          services.tokens().issueFlow(flow, now.plus(FLOW_LIFETIME.multipliedBy(6)))));
      services.responses().redirect(ctx.request(), url);
    }).onFailure(e -> loginFailed(ctx, s, id, redirectUrl, failure(e)));
  }

  /** GET /callback/{idp}: finishes the flow; a session, or a failure page and no session. */
  void callback(RoutingContext ctx) {
    Settings s = settings.get();
    String id = ctx.pathParam("idp");
    RedirectProvider provider = s.redirectProviders().get(id);
    if (provider == null) {
      services.responses().notFound(ctx.request(), AuthDomain.requestId(ctx),
          "There is no identity provider with this name.");
      return;
    }
    Cookie cookie = ctx.request().getCookie(Cookies.OAUTH_FLOW);
    // One use: whatever happens next, this browser's flow is over.
    ctx.response().addCookie(s.cookies().expired(Cookies.OAUTH_FLOW));
    Optional<OAuthFlow> found = cookie == null ? Optional.empty()
        : services.tokens().verifyFlow(cookie.getValue()).filter(f -> f.idp().equals(id));
    String state = AuthDomain.param(ctx, "state");
    if (found.isEmpty() || state == null || !Hmac.equal(state, found.get().state())) {
      loginFailed(ctx, s, id, found.map(OAuthFlow::redirectUrl).orElse(""),
          new LoginFailure(LoginFailure.Kind.STATE_MISMATCH, found.isEmpty()
              ? "no flow cookie for this provider" : "state does not match the flow"));
      return;
    }
    OAuthFlow flow = found.get();
    if (!flow.expiresAt().isAfter(services.clock().instant())) {
      loginFailed(ctx, s, id, flow.redirectUrl(), new LoginFailure(
          LoginFailure.Kind.FLOW_EXPIRED, "the flow expired before the callback"));
      return;
    }
    String error = AuthDomain.param(ctx, "error");
    if (error != null) {
      loginFailed(ctx, s, id, flow.redirectUrl(), new LoginFailure(
          "access_denied".equals(error) ? LoginFailure.Kind.CONSENT_DENIED
              : LoginFailure.Kind.PROVIDER_ERROR, "the provider answered error="
              + error.replaceAll("[^A-Za-z0-9_.-]", "?")));
      return;
    }
    String code = AuthDomain.param(ctx, "code");
    if (code == null || code.isEmpty()) {
      loginFailed(ctx, s, id, flow.redirectUrl(), new LoginFailure(
          LoginFailure.Kind.MALFORMED_RESPONSE, "the callback has no code"));
      return;
    }
    String requestId = AuthDomain.requestId(ctx);
    provider.complete(code, flow, callbackUrl(s, id))
        .compose(identity -> services.blocking(() -> {
          SessionClaims session = logins.startSession(s, identity.email(), id, identity.facts());
          keepForRecheck(s, session, identity);
          return session;
        }))
        .onSuccess(session -> {
          Audit.event("login").addKeyValue("email", session.email())
              .addKeyValue("idp", session.idp()).addKeyValue("sid", session.sid())
              .addKeyValue("request_id", requestId).log();
          logins.issueSessionCookie(ctx, s, session);
          services.responses().redirect(ctx.request(),
              AuthDomain.authorizeUrl(s, flow.redirectUrl()));
        })
        .onFailure(e -> loginFailed(ctx, s, id, flow.redirectUrl(), failure(e)));
  }

  /**
   * For a GitHub provider with {@code recheck_interval}, keeps the access token (sealed) with
   * the organizations and teams granted, so that a removal ends the session early.
   */
  private void keepForRecheck(Settings s, SessionClaims session, Identity identity) {
    Duration interval = s.config().identityProvider(identity.idp())
        .map(p -> p.oauth() == null ? null : p.oauth().recheckInterval()).orElse(null);
    if (interval == null || identity.accessToken() == null) {
      return;
    }
    IdentityFacts facts = session.facts();
    services.store().putGithubGrant(new Store.GithubGrant(session.sid(), identity.idp(),
        services.sealer().seal(identity.accessToken()),
        new JsonArray(facts.githubOrgs().stream().sorted().toList()).encode(),
        new JsonArray(facts.githubTeams().stream().sorted().toList()).encode(),
        services.clock().instant().plus(interval), session.expiresAt()));
  }

  private static String callbackUrl(Settings s, String idp) {
    return s.authUrl("/callback/" + idp);
  }

  private static LoginFailure failure(Throwable e) {
    return e instanceof LoginFailure f ? f
        : new LoginFailure(LoginFailure.Kind.PROVIDER_ERROR, e.getClass().getSimpleName(), e);
  }

  /** One log line and a page with a way back; no session was made. */
  private void loginFailed(RoutingContext ctx, Settings s, String idp, String redirectUrl,
      LoginFailure failure) {
    String requestId = AuthDomain.requestId(ctx);
    LOG.atWarn().setMessage("sign-in failed").addKeyValue("request_id", requestId)
        .addKeyValue("idp", idp).addKeyValue("reason", failure.kind().code())
        .addKeyValue("detail", failure.getMessage()).log();
    String retry = redirectUrl == null || redirectUrl.isEmpty() ? "/login"
        : "/login?redirect_url=" + AuthDomain.encode(redirectUrl);
    if (Responses.wantsHtml(ctx.request())) {
      Map<String, Object> params = new HashMap<>();
      params.put("title", "Sign-in failed");
      params.put("message", failure.kind().message());
      params.put("retryUrl", retry);
      params.put("requestId", requestId);
      services.responses().html(ctx.request(), failure.kind().status(),
          services.pages().render("failed", params));
    } else {
      services.responses().json(ctx.request(), failure.kind().status(), new JsonObject()
          .put("error", failure.kind().code()).put("message", failure.kind().message())
          .put("request_id", requestId));
    }
  }
}
