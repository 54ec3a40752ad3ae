package dev.portcullis.gateway;

import dev.portcullis.audit.Audit;
import dev.portcullis.config.PortcullisConfig.Delivery;
import dev.portcullis.config.PortcullisConfig.IdentityProvider;
import dev.portcullis.identity.ConsoleOutbox;
import dev.portcullis.session.FactsJson;
import dev.portcullis.session.IdentityFacts;
import dev.portcullis.web.LoginOption;
import dev.portcullis.identity.OneTimePins;
import dev.portcullis.identity.PinMessage;
import dev.portcullis.policy.Application;
import dev.portcullis.policy.Subject;
import dev.portcullis.session.Cookies;
import dev.portcullis.session.SessionClaims;
import dev.portcullis.session.TokenUse;
import dev.portcullis.session.Tokens.LoginFlow;
import dev.portcullis.store.Store;
import dev.portcullis.web.AppLink;
import io.vertx.core.Future;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The auth domain: login pages, the PIN flow, the handoff to applications, logout, the launcher
 * and the JWKS. Every form is CSRF-protected; every redirect goes to the auth domain itself or
 * to a configured application.
 */
final class AuthDomain {
  private static final Logger LOG = LoggerFactory.getLogger(AuthDomain.class);
  /** Form bodies are a few short fields; anything larger is not ours. */
  private static final int FORM_LIMIT_BYTES = 16 * 1024;
  /** A one-use code must be traded within this time (the issue's upper bound is 60 s). */
  static final Duration HANDOFF_LIFETIME = Duration.ofSeconds(60);
  /** RFC 5321 limits a path to 256 octets, so an address is at most 254. */
  private static final int MAX_EMAIL = 254;
  /** A pragmatic address: no spaces, quotes-free specials or second {@code @}; RFC 5321 sizes. */
  private static final Pattern EMAIL =
      Pattern.compile("[^@\\s<>\"(),;:\\\\]{1,64}@[a-z0-9.-]{1,253}");
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Outlives the PIN, so that a late code is refused as a code, not as a lost sign-in. */
  private static final Duration LOGIN_FLOW_LIFETIME = Duration.ofMinutes(30);

  private final Services services;
  private final Supplier<Settings> settings;
  private final Router router;
  private final ConsoleOutbox outbox;

  AuthDomain(Services services, Supplier<Settings> settings, ConsoleOutbox outbox) {
    this.services = services;
    this.settings = settings;
    this.outbox = outbox;
    this.router = Router.router(services.vertx());
    router.post().handler(BodyHandler.create(false).setBodyLimit(FORM_LIMIT_BYTES));
    router.get("/login").handler(this::loginPage);
    router.post("/login/email").handler(this::sendPin);
    router.post("/login/email/verify").handler(this::verifyPin);
    ProviderLogins providerLogins = new ProviderLogins(services, settings, this);
    router.get("/login/:idp").handler(providerLogins::start);
    router.get("/callback/:idp").handler(providerLogins::callback);
    router.get("/authorize").handler(this::authorize);
    router.get("/logout").handler(this::logout);
    router.get("/.well-known/jwks.json").handler(this::jwks);
    router.get("/demo/outbox").handler(this::outbox);
    router.get("/").handler(this::launcher);
    router.route().last().handler(ctx -> services.responses().notFound(ctx.request(),
        requestId(ctx), "There is nothing at this address."));
    router.route().failureHandler(this::failure);
  }

  void handle(HttpServerRequest request) {
    router.handle(request);
  }

  // ---- GET /login

  private void loginPage(RoutingContext ctx) {
    Settings s = settings.get();
    String redirectUrl = param(ctx, "redirect_url");
    Optional<RedirectTargets.Target> target = target(s, redirectUrl);
    if (redirectUrl != null && !redirectUrl.isEmpty() && target.isEmpty()) {
      refuseTarget(ctx);
      return;
    }
    if (globalSession(ctx, s).isPresent()) {
      services.responses().redirect(ctx.request(), authorizeUrl(s, redirectUrl));
      return;
    }
    List<IdentityProvider> allowed = allowedProviders(s,
        target.map(RedirectTargets.Target::application));
    if (target.isPresent() && target.get().application().autoRedirect() && allowed.size() == 1
        && allowed.get(0).redirects()) {
      services.responses().redirect(ctx.request(), redirectStart(allowed.get(0), redirectUrl));
      return;
    }
    renderLogin(ctx, s, target, redirectUrl == null ? "" : redirectUrl, null, 200);
  }

  /** The providers allowed for the application (or every one, for the launcher), in order. */
  private static List<IdentityProvider> allowedProviders(Settings s, Optional<Application> app) {
    return s.config().identityProviders().stream()
        .filter(p -> app.map(a -> a.allowsIdentityProvider(p.id())).orElse(true))
        .toList();
  }

  private static List<LoginOption> loginOptions(Settings s, Optional<Application> app,
      String redirectUrl) {
    List<LoginOption> options = new java.util.ArrayList<>();
    boolean emailShown = false;
    for (IdentityProvider idp : allowedProviders(s, app)) {
      if (idp.redirects()) {
        options.add(new LoginOption(false, idp.name(), redirectStart(idp, redirectUrl)));
      } else if (!emailShown) {
        // Several PIN providers would show the same form; the first one serves.
        options.add(new LoginOption(true, idp.name(), null));
        emailShown = true;
      }
    }
    return options;
  }

  private static String redirectStart(IdentityProvider idp, String redirectUrl) {
    return "/login/" + idp.id() + (redirectUrl == null || redirectUrl.isEmpty() ? ""
        : "?redirect_url=" + encode(redirectUrl));
  }

  private void renderLogin(RoutingContext ctx, Settings s, Optional<RedirectTargets.Target> target,
      String redirectUrl, String error, int status) {
    Map<String, Object> params = new HashMap<>();
    params.put("application", target.map(t -> t.application().name()).orElse("Portcullis"));
    params.put("redirectUrl", redirectUrl);
    params.put("csrf", csrfToken(ctx, s));
    params.put("options", loginOptions(s, target.map(RedirectTargets.Target::application),
        redirectUrl));
    params.put("error", error);
    services.responses().html(ctx.request(), status, services.pages().render("login", params));
  }

  // ---- POST /login/email

  private void sendPin(RoutingContext ctx) {
    Settings s = settings.get();
    String requestId = requestId(ctx);
    if (!csrfValid(ctx)) {
      refuseCsrf(ctx);
      return;
    }
    String redirectUrl = Optional.ofNullable(ctx.request().getFormAttribute("redirect_url"))
        .orElse("");
    Optional<RedirectTargets.Target> target = target(s, redirectUrl);
    if (!redirectUrl.isEmpty() && target.isEmpty()) {
      refuseTarget(ctx);
      return;
    }
    Optional<Application> app = target.map(RedirectTargets.Target::application);
    List<IdentityProvider> providers = pinProviders(s, app);
    String email = normalizeEmail(ctx.request().getFormAttribute("email"));
    if (providers.isEmpty()) {
      services.responses().problem(ctx.request(), 403, "idp-not-allowed",
          "Email sign-in is not available", "This application does not accept email codes.",
          requestId);
      return;
    }
    if (email == null) {
      renderLogin(ctx, s, target, redirectUrl, "Enter a valid email address.", 400);
      return;
    }
    ClientAddress.Resolved client = s.clientAddress().resolve(ctx.request());
    String clientKey = client.client() == null ? "unknown" : client.client().getHostAddress();
    if (!services.pinsPerClient().tryAcquire(clientKey)
        || !services.pinsPerEmail().tryAcquire(email)) {
      Audit.event("pin_rate_limited").addKeyValue("email", email)
          .addKeyValue("client", clientKey).log();
      ctx.response().putHeader("Retry-After",
          String.valueOf(services.pinsPerEmail().window().toSeconds()));
      services.responses().problem(ctx.request(), 429, "rate-limited", "Too many codes",
          "Too many codes were requested. Wait a few minutes and try again.", requestId);
      return;
    }
    IdentityProvider idp = providers.get(0);
    String appName = app.map(Application::name).orElse(null);
    Subject subject = Subject.person(email, idp.id(), client.client());
    // Only a policy that admits this person counts: a bypass lets anybody through without a
    // login, so it must not make a stranger's address worth a code.
    boolean mayEnter = app.map(a -> grants(a, subject))
        .orElseGet(() -> s.applications().all().stream().anyMatch(a -> grants(a, subject)));
    if (mayEnter) {
      // Not awaited: the page must take the same time whether or not the address may enter.
      deliverPin(s, email, appName == null ? "Portcullis" : appName, idp, requestId);
    } else {
      Audit.event("pin_withheld").addKeyValue("email", email)
          .addKeyValue("app", appName == null ? "-" : appName).addKeyValue("request_id", requestId)
          .log();
    }
    Instant now = services.clock().instant();
    String flow = services.tokens().issueLogin(new LoginFlow(email, idp.id(), redirectUrl),
        now.plus(LOGIN_FLOW_LIFETIME));
    ctx.response().addCookie(s.cookies().create(Cookies.LOGIN, flow,
        now.plus(LOGIN_FLOW_LIFETIME), now));
    renderCode(ctx, s, email, appName, redirectUrl, null, 200);
  }

  private boolean grants(Application app, Subject subject) {
    var decision = services.engine().decide(app, subject);
    return decision.allowed() && !decision.bypassed();
  }

  private void deliverPin(Settings s, String email, String appName, IdentityProvider idp,
      String requestId) {
    services.blocking(() -> services.pins().issue(email, appName))
        .compose(code -> {
          PinMessage message = new PinMessage(email, appName, code, OneTimePins.LIFETIME);
          return idp.delivery() == Delivery.CONSOLE ? services.consoleMailer().send(message)
              : s.smtpMailer().send(message);
        })
        .onSuccess(v -> Audit.event("pin_sent").addKeyValue("email", email)
            .addKeyValue("app", appName).addKeyValue("request_id", requestId).log())
        .onFailure(e -> LOG.atWarn().setMessage("could not send a PIN")
            .addKeyValue("email", email).addKeyValue("request_id", requestId)
            .addKeyValue("error", e.getClass().getSimpleName() + ": " + e.getMessage()).log());
  }

  private void renderCode(RoutingContext ctx, Settings s, String email, String appName,
      String redirectUrl, String error, int status) {
    Map<String, Object> params = new HashMap<>();
    params.put("application", appName == null ? "Portcullis" : appName);
    params.put("email", email);
    params.put("csrf", csrfToken(ctx, s));
    params.put("error", error);
    params.put("retryUrl", redirectUrl.isEmpty() ? "/login"
        : "/login?redirect_url=" + encode(redirectUrl));
    services.responses().html(ctx.request(), status, services.pages().render("code", params));
  }

  // ---- POST /login/email/verify

  private void verifyPin(RoutingContext ctx) {
    Settings s = settings.get();
    String requestId = requestId(ctx);
    if (!csrfValid(ctx)) {
      refuseCsrf(ctx);
      return;
    }
    Cookie flowCookie = ctx.request().getCookie(Cookies.LOGIN);
    Optional<LoginFlow> flow = flowCookie == null ? Optional.empty()
        : services.tokens().verifyLogin(flowCookie.getValue());
    if (flow.isEmpty()) {
      services.responses().problem(ctx.request(), 400, "login-expired", "Sign-in expired",
          "This sign-in has expired. Start again from the application.", requestId);
      return;
    }
    LoginFlow login = flow.get();
    String code = ctx.request().getFormAttribute("code");
    services.blocking(() -> {
      OneTimePins.Outcome outcome = services.pins().verify(login.email(), code);
      if (!outcome.accepted()) {
        return new Verified(outcome, null);
      }
      return new Verified(outcome, startSession(s, login.email(), login.idp(),
          IdentityFacts.NONE));
    }).onSuccess(verified -> {
      if (verified.session() == null) {
        Audit.event("pin_rejected").addKeyValue("email", login.email())
            .addKeyValue("outcome", verified.outcome().name().toLowerCase(Locale.ROOT))
            .addKeyValue("request_id", requestId).log();
        // The same words for every failure: a stranger must not learn whether a code exists.
        renderCode(ctx, s, login.email(), target(s, login.redirectUrl())
            .map(t -> t.application().name()).orElse(null), login.redirectUrl(),
            "That code is not valid. Check it, or request a new code.", 401);
        return;
      }
      SessionClaims session = verified.session();
      Audit.event("login").addKeyValue("email", session.email())
          .addKeyValue("idp", session.idp()).addKeyValue("sid", session.sid())
          .addKeyValue("request_id", requestId).log();
      issueSessionCookie(ctx, s, session);
      ctx.response().addCookie(s.cookies().expired(Cookies.LOGIN));
      services.responses().redirect(ctx.request(), authorizeUrl(s, login.redirectUrl()));
    }).onFailure(ctx::fail);
  }

  private record Verified(OneTimePins.Outcome outcome, SessionClaims session) {}

  /** Creates the user (first login) and the session. Blocks on the store. */
  SessionClaims startSession(Settings s, String email, String idp,
      IdentityFacts facts) {
    Instant now = services.clock().instant();
    String userId = services.store().userIdFor(email, now);
    SessionClaims session = new SessionClaims(randomId(), userId, email, idp, now,
        now.plus(s.config().auth().sessionDuration()), facts);
    services.store().createSession(new Store.SessionRecord(session.sid(), userId,
        session.email(), session.idp(), now, session.expiresAt(), null,
        FactsJson.write(facts)));
    return session;
  }

  void issueSessionCookie(RoutingContext ctx, Settings s, SessionClaims session) {
    String token = services.tokens().issue(TokenUse.SESSION, s.issuer(), session,
        session.expiresAt());
    ctx.response().addCookie(s.cookies().create(Cookies.SESSION, token, session.expiresAt(),
        services.clock().instant()));
  }

  // ---- GET /authorize

  private void authorize(RoutingContext ctx) {
    Settings s = settings.get();
    String requestId = requestId(ctx);
    String redirectUrl = param(ctx, "redirect_url");
    if (redirectUrl == null || redirectUrl.isEmpty()) {
      services.responses().redirect(ctx.request(), s.authUrl("/"));
      return;
    }
    Optional<RedirectTargets.Target> target = target(s, redirectUrl);
    if (target.isEmpty()) {
      refuseTarget(ctx);
      return;
    }
    Optional<SessionClaims> session = globalSession(ctx, s);
    if (session.isEmpty()) {
      services.responses().redirect(ctx.request(), loginUrl(s, redirectUrl));
      return;
    }
    SessionClaims claims = session.get();
    Application app = target.get().application();
    ClientAddress.Resolved client = s.clientAddress().resolve(ctx.request());
    var decision = services.engine().decide(app,
        Subjects.of(claims, client.client()));
    AccessLog.decision(requestId, app.name(), ctx.request(), "/authorize", claims.email(),
        client.forwardedFor(), decision);
    if (!decision.allowed()) {
      services.responses().denied(ctx.request(), requestId, app.name(), claims.email(),
          decision.reason(), decision.summary(), s.authUrl("/logout"));
      return;
    }
    String code = randomId();
    Store.HandoffRecord handoff = new Store.HandoffRecord(services.codes().hash("handoff", code),
        claims.sid(), app.name(), target.get().pathAndQuery(),
        services.clock().instant().plus(HANDOFF_LIFETIME));
    services.blocking(() -> {
      services.store().putHandoff(handoff);
      return null;
    }).onSuccess(v -> services.responses().redirect(ctx.request(),
        s.reservedUrl(app, target.get().url().getHost(), "callback") + "?code=" + code))
        .onFailure(ctx::fail);
  }

  // ---- GET /logout

  private void logout(RoutingContext ctx) {
    Settings s = settings.get();
    String requestId = requestId(ctx);
    Optional<SessionClaims> session = globalSession(ctx, s);
    ctx.response().addCookie(s.cookies().expired(Cookies.SESSION));
    Future<Void> revoked = session.isEmpty() ? Future.succeededFuture()
        : services.blocking(() -> {
          services.revocations().revoke(session.get().sid(), session.get().expiresAt());
          return null;
        });
    revoked.onSuccess(v -> {
      session.ifPresent(c -> Audit.event("logout").addKeyValue("email", c.email())
          .addKeyValue("sid", c.sid()).addKeyValue("request_id", requestId).log());
      if (Responses.wantsHtml(ctx.request())) {
        services.responses().html(ctx.request(), 200, services.pages().message("Signed out",
            "You are signed out of every application.", "/login", "Sign in again", null));
      } else {
        services.responses().json(ctx.request(), 200, new JsonObject().put("signed_out", true));
      }
    }).onFailure(ctx::fail);
  }

  // ---- GET /

  private void launcher(RoutingContext ctx) {
    Settings s = settings.get();
    Optional<SessionClaims> session = globalSession(ctx, s);
    if (session.isEmpty()) {
      services.responses().redirect(ctx.request(), s.authUrl("/login"));
      return;
    }
    SessionClaims claims = session.get();
    ClientAddress.Resolved client = s.clientAddress().resolve(ctx.request());
    Subject subject = Subjects.of(claims, client.client());
    // A wildcard application has no one address to link to.
    List<AppLink> apps = s.applications().all().stream()
        .filter(a -> !a.wildcard() && services.engine().decide(a, subject).allowed())
        .map(a -> new AppLink(a.name(), s.applicationUrl(a, a.host())))
        .toList();
    services.responses().html(ctx.request(), 200, services.pages().render("launcher",
        Map.of("email", claims.email(), "apps", apps, "logoutUrl", "/logout")));
  }

  private void jwks(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "public, max-age=300")
        .end(services.keys().jwksJson());
  }

  private void outbox(RoutingContext ctx) {
    Settings s = settings.get();
    boolean console = s.config().identityProviders().stream()
        .anyMatch(p -> p.delivery() == Delivery.CONSOLE);
    // The outbox shows live PINs: only to a browser on this machine, as in the demo.
    boolean local = ctx.request().remoteAddress() != null
        && java.util.Optional.ofNullable(dev.portcullis.policy.Cidr.literal(
            ctx.request().remoteAddress().hostAddress()))
            .map(java.net.InetAddress::isLoopbackAddress).orElse(false);
    if (!console || outbox == null || !local) {
      ctx.next();
      return;
    }
    services.responses().html(ctx.request(), 200, services.pages().render("outbox",
        Map.of("messages", outbox.recent())));
  }

  private void failure(RoutingContext ctx) {
    String requestId = requestId(ctx);
    if (ctx.statusCode() == 413) {
      services.responses().problem(ctx.request(), 413, "body-too-large", "Request too large",
          "The form was larger than Portcullis accepts.", requestId);
      return;
    }
    LOG.atError().setMessage("auth domain request failed").addKeyValue("request_id", requestId)
        .addKeyValue("path", ctx.request().path()).setCause(ctx.failure()).log();
    if (!ctx.response().headWritten()) {
      services.responses().internalError(ctx.request(), requestId);
    }
  }

  // ---- helpers

  /** The valid, unrevoked global session of this browser, if any. */
  private Optional<SessionClaims> globalSession(RoutingContext ctx, Settings s) {
    Cookie cookie = ctx.request().getCookie(Cookies.SESSION);
    if (cookie == null) {
      return Optional.empty();
    }
    return services.tokens().verify(cookie.getValue(), TokenUse.SESSION, s.issuer())
        .filter(c -> !services.revocations().isRevoked(c.sid()));
  }

  Optional<RedirectTargets.Target> target(Settings s, String redirectUrl) {
    return redirectUrl == null || redirectUrl.isEmpty() ? Optional.empty()
        : s.redirects().parse(redirectUrl);
  }

  /** The onetimepin providers allowed for the application (or any, for the launcher). */
  private static List<IdentityProvider> pinProviders(Settings s, Optional<Application> app) {
    return s.config().identityProviders().stream()
        .filter(p -> p.type().equals("onetimepin"))
        .filter(p -> app.map(a -> a.allowsIdentityProvider(p.id())).orElse(true))
        .toList();
  }

  private String csrfToken(RoutingContext ctx, Settings s) {
    Cookie cookie = ctx.request().getCookie(Cookies.CSRF);
    String secret = cookie == null || cookie.getValue().isEmpty() ? null : cookie.getValue();
    if (secret == null) {
      secret = Csrf.newSecret();
      ctx.response().addCookie(s.cookies().create(Cookies.CSRF, secret));
    }
    return services.csrf().tokenFor(secret);
  }

  private boolean csrfValid(RoutingContext ctx) {
    Cookie cookie = ctx.request().getCookie(Cookies.CSRF);
    return services.csrf().valid(cookie == null ? null : cookie.getValue(),
        ctx.request().getFormAttribute("csrf"));
  }

  private void refuseCsrf(RoutingContext ctx) {
    services.responses().problem(ctx.request(), 403, "csrf-invalid", "Form expired",
        "This form has expired or did not come from this site. Go back, reload the page and "
            + "try again.", requestId(ctx));
  }

  void refuseTarget(RoutingContext ctx) {
    services.responses().badRequest(ctx.request(), requestId(ctx),
        "The address to return to is not a protected application.");
  }

  static String normalizeEmail(String raw) {
    if (raw == null) {
      return null;
    }
    String email = raw.strip().toLowerCase(Locale.ROOT);
    return email.length() <= MAX_EMAIL && EMAIL.matcher(email).matches()
        && !email.startsWith(".") && !email.endsWith(".") ? email : null;
  }

  static String param(RoutingContext ctx, String name) {
    List<String> values = ctx.queryParam(name);
    // Two values for one parameter is ambiguous; refuse rather than pick one.
    return values.size() == 1 ? values.get(0) : values.isEmpty() ? null : "";
  }

  static String authorizeUrl(Settings s, String redirectUrl) {
    return redirectUrl == null || redirectUrl.isEmpty() ? s.authUrl("/")
        : s.authUrl("/authorize?redirect_url=" + encode(redirectUrl));
  }

  static String loginUrl(Settings s, String redirectUrl) {
    return s.authUrl("/login?redirect_url=" + encode(redirectUrl));
  }

  static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  static String randomId() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static String requestId(RoutingContext ctx) {
    return RequestIds.of(ctx.request());
  }
}
