package dev.portcullis.testing;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A stand-in for GitHub's OAuth app flow and the parts of its REST API that sign-in reads,
 * written from GitHub's documentation ("Authorizing OAuth apps", "Using pagination in the REST
 * API", and the reference pages of {@code /user}, {@code /user/emails}, {@code /user/orgs} and
 * {@code /user/teams}). One HTTP server on 127.0.0.1 serves both the web paths
 * ({@link #webUrl()}) and the API paths under {@code /api} ({@link #apiUrl()}), the layout of a
 * GitHub Enterprise Server.
 *
 * <p>It is strict where GitHub is strict and where a test learns something from it: the
 * redirect URI must lie under the registered callback, PKCE with S256 is required, a code is
 * spent by its first exchange, the verifier must hash to the challenge, every API call needs a
 * bearer token, and private organization memberships are listed only to a token holding
 * {@code read:org}. Codes do not expire (GitHub's ten minutes would need a clock), and the token
 * endpoint's error answers are 200 with an {@code error} field, as GitHub's are.
 *
 * <p>Failure modes are per path: an HTTP error status, no answer at all, or an answer that
 * trickles in and never ends.
 *
 * <p>Configuration (the person, failure modes) may change at any time from the test thread;
 * every request is recorded before it is answered, or left unanswered.
 */
public final class GithubStandIn implements AutoCloseable {
  /** GitHub's default page size for list endpoints. */
  private static final int DEFAULT_PER_PAGE = 30;
  /** GitHub's largest page; a larger {@code per_page} is cut to it. */
  private static final int MAX_PER_PAGE = 100;
  /** How often a trickling answer sends one more byte: well inside any idle timeout. */
  private static final long TRICKLE_INTERVAL_MS = 100;
  /** RFC 7636: a verifier is 43 to 128 characters, so its S256 challenge is always 43. */
  private static final Pattern CHALLENGE = Pattern.compile("[A-Za-z0-9_-]{43}");
  /** Scopes that let a token see private organization memberships and teams. */
  private static final Set<String> ORG_SCOPES = Set.of("read:org", "write:org", "admin:org");
  /** Scopes that let a token read the account's email addresses. */
  private static final Set<String> EMAIL_SCOPES = Set.of("user:email", "user");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The account that signs in: GitHub's numeric id, login and display name. */
  public record User(long id, String login, String name) {}

  /** One address of the account, as {@code /user/emails} lists it. */
  public record Email(String address, boolean primary, boolean verified) {
    public static Email primaryVerified(String address) {
      return new Email(address, true, true);
    }
  }

  /** A membership; a private one is listed only to tokens holding {@code read:org}. */
  public record Org(String login, boolean publicMembership) {
    public static Org publicly(String login) {
      return new Org(login, true);
    }

    public static Org privately(String login) {
      return new Org(login, false);
    }
  }

  /** A team membership: the organization's login and the team's slug. */
  public record Team(String org, String slug) {}

  /** One request as the stand-in received it; header names are lower-cased. */
  public record Request(String method, String path, Map<String, List<String>> query,
      Map<String, List<String>> headers, Map<String, String> form) {
    public String param(String name) {
      List<String> values = query.get(name);
      return values == null ? null : String.join(",", values);
    }

    public String header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null ? null : String.join(", ", values);
    }
  }

  private final Vertx vertx;
  private final HttpServer server;
  private final String clientId;
  private final String clientSecret;
  private final Map<String, Grant> codes = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> tokens = new ConcurrentHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();
  private final Set<String> silent = ConcurrentHashMap.newKeySet();
  private final Set<String> trickling = ConcurrentHashMap.newKeySet();

  private volatile String callbackUrl;
  private volatile User user = new User(1, "octocat", "The Octocat");
  private volatile List<Email> emails = List.of();
  private volatile List<Org> orgs = List.of();
  private volatile List<Team> teams = List.of();
  private volatile boolean denyConsent;
  private volatile int forcedPageSize;

  /** What an authorization code was issued for. */
  private record Grant(String redirectUri, String challenge, Set<String> scopes) {}

  private GithubStandIn(String clientId, String clientSecret) {
    this.clientId = clientId;
    this.clientSecret = clientSecret;
    this.vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create(false));
    router.route().handler(this::recordAndMisbehave);
    router.get("/login/oauth/authorize").handler(this::authorize);
    router.post("/login/oauth/access_token").handler(this::accessToken);
    router.route("/api/*").handler(this::authenticate);
    router.get("/api/user").handler(this::user);
    router.get("/api/user/emails").handler(this::emails);
    router.get("/api/user/orgs").handler(ctx -> list(ctx, orgs(ctx)));
    router.get("/api/user/teams").handler(this::teams);
    router.route().last().handler(ctx -> message(ctx, 404, "Not Found"));
    this.server = vertx.createHttpServer().requestHandler(router);
    server.listen(0, "127.0.0.1").await();
  }

  /** Starts the stand-in with one registered OAuth app. */
  public static GithubStandIn start(String clientId, String clientSecret) {
    return new GithubStandIn(clientId, clientSecret);
  }

  // ---- configuration

  /** The app's registered callback URL; redirect URIs must lie under it. */
  public GithubStandIn callbackUrl(String url) {
    this.callbackUrl = url;
    return this;
  }

  public GithubStandIn user(User user) {
    this.user = user;
    return this;
  }

  public GithubStandIn emails(Email... emails) {
    this.emails = List.of(emails);
    return this;
  }

  public GithubStandIn orgs(Org... orgs) {
    this.orgs = List.of(orgs);
    return this;
  }

  public GithubStandIn teams(Team... teams) {
    this.teams = List.of(teams);
    return this;
  }

  /** The person clicks "Cancel" instead of "Authorize". */
  public GithubStandIn denyConsent() {
    this.denyConsent = true;
    return this;
  }

  /** Pages hold at most this many items whatever {@code per_page} asks; 0 turns this off. */
  public GithubStandIn pageSize(int size) {
    this.forcedPageSize = size;
    return this;
  }

  /** Answers every request for {@code path} (as served, such as /api/user) with a status. */
  public GithubStandIn fail(String path, int status) {
    failures.put(path, status);
    return this;
  }

  /** Never answers requests for {@code path}: the connection stays open and silent. */
  public GithubStandIn neverAnswer(String path) {
    silent.add(path);
    return this;
  }

  /**
   * Answers requests for {@code path} with 200 at once, then sends the body one space at a time
   * and never finishes it: slow without ever being idle.
   */
  public GithubStandIn trickle(String path) {
    trickling.add(path);
    return this;
  }

  // ---- what tests read

  /** The base of the web paths, GitHub's {@code https://github.com}. */
  public String webUrl() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  /** The base of the API paths, GitHub's {@code https://api.github.com}. */
  public String apiUrl() {
    return webUrl() + "/api";
  }

  public int port() {
    return server.actualPort();
  }

  /** Every request received so far, oldest first. */
  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /** The requests received for one path (as served), oldest first. */
  public List<Request> requests(String path) {
    return requests.stream().filter(r -> r.path().equals(path)).toList();
  }

  /** The base64url SHA-256 of a PKCE verifier: its S256 challenge (RFC 7636, 4.2). */
  public static String s256(String verifier) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(verifier.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  // ---- every request

  private void recordAndMisbehave(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    Map<String, String> form = new LinkedHashMap<>();
    if (request.method().name().equals("POST")) {
      request.formAttributes().forEach(e -> form.put(e.getKey(), e.getValue()));
    }
    requests.add(new Request(request.method().name(), request.path(),
        multi(ctx.queryParams()), lowerCased(request.headers()), form));

    Integer status = failures.get(request.path());
    if (status != null) {
      message(ctx, status, "Server Error");
      return;
    }
    if (trickling.contains(request.path())) {
      HttpServerResponse response = ctx.response().setChunked(true)
          .putHeader("Content-Type", "application/json; charset=utf-8");
      response.write("[");
      long timer = vertx.setPeriodic(TRICKLE_INTERVAL_MS, t -> response.write(" "));
      response.closeHandler(v -> vertx.cancelTimer(timer));
      return;
    }
    if (silent.contains(request.path())) {
      // Neither an answer nor ctx.next(): the caller's timeout is the only way out.
      return;
    }
    ctx.next();
  }

  // ---- GET /login/oauth/authorize

  /**
   * The person is signed in at GitHub and (unless told to deny) clicks "Authorize" at once, so
   * the answer is the redirect back to the app.
   */
  private void authorize(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    if (!clientId.equals(request.getParam("client_id"))) {
      // GitHub shows its 404 page for an unknown application.
      page(ctx, 404, "Not Found");
      return;
    }
    String registered = callbackUrl;
    if (registered == null) {
      page(ctx, 500, "The stand-in has no registered callback URL; call callbackUrl() first.");
      return;
    }
    String state = request.getParam("state");
    String redirectUri = request.getParam("redirect_uri");
    if (redirectUri != null && !underCallback(redirectUri, registered)) {
      redirect(ctx, registered, params("error", "redirect_uri_mismatch", "error_description",
          "The redirect_uri MUST match the registered callback URL for this application.",
          "state", state));
      return;
    }
    String back = redirectUri == null ? registered : redirectUri;
    String challenge = request.getParam("code_challenge");
    if (challenge == null || !CHALLENGE.matcher(challenge).matches()
        || !"S256".equals(request.getParam("code_challenge_method"))) {
      // GitHub accepts S256 only; this app is registered as one that always uses PKCE.
      page(ctx, 400, "code_challenge with code_challenge_method=S256 is required.");
      return;
    }
    if (denyConsent) {
      redirect(ctx, back, params("error", "access_denied", "error_description",
          "The user has denied your application access.", "state", state));
      return;
    }
    String code = HexFormat.of().formatHex(randomBytes(10));
    codes.put(code, new Grant(back, challenge, scopes(request.getParam("scope"))));
    redirect(ctx, back, params("code", code, "state", state));
  }

  /** GitHub: same scheme, host and port, and a path at or below the callback's path. */
  private static boolean underCallback(String candidate, String registered) {
    URI uri;
    try {
      uri = URI.create(candidate);
    } catch (IllegalArgumentException e) {
      return false;
    }
    URI callback = URI.create(registered);
    String path = uri.getPath() == null ? "" : uri.getPath();
    return callback.getScheme().equalsIgnoreCase(String.valueOf(uri.getScheme()))
        && callback.getHost().equalsIgnoreCase(String.valueOf(uri.getHost()))
        && callback.getPort() == uri.getPort()
        && (path.equals(callback.getPath()) || path.startsWith(callback.getPath() + "/"));
  }

  /** The authorize endpoint takes a space-delimited list; commas are tolerated too. */
  private static Set<String> scopes(String scope) {
    if (scope == null || scope.isBlank()) {
      return Set.of();
    }
    return Arrays.stream(scope.split("[ ,]+")).filter(s -> !s.isEmpty())
        .collect(Collectors.toCollection(LinkedHashSet::new));
  }

  // ---- POST /login/oauth/access_token

  private void accessToken(RoutingContext ctx) {
    MultiMap form = ctx.request().formAttributes();
    String code = form.get("code");
    // A code is spent by the first attempt to exchange it, whatever the outcome.
    Grant grant = code == null ? null : codes.remove(code);
    if (!clientId.equals(form.get("client_id"))
        || !clientSecret.equals(form.get("client_secret"))) {
      tokenError(ctx, "incorrect_client_credentials",
          "The client_id and/or client_secret passed are incorrect.");
      return;
    }
    if (grant == null) {
      tokenError(ctx, "bad_verification_code", "The code passed is incorrect or expired.");
      return;
    }
    String redirectUri = form.get("redirect_uri");
    if (redirectUri != null && !redirectUri.equals(grant.redirectUri())) {
      tokenError(ctx, "redirect_uri_mismatch",
          "The redirect_uri MUST match the registered callback URL for this application.");
      return;
    }
    String verifier = form.get("code_verifier");
    if (verifier == null || !s256(verifier).equals(grant.challenge())) {
      // GitHub documents no error of its own for a wrong verifier; the code counts as bad.
      tokenError(ctx, "bad_verification_code", "The code passed is incorrect or expired.");
      return;
    }
    String token = "gho_" + Base64.getUrlEncoder().withoutPadding()
        .encodeToString(randomBytes(27));
    tokens.put(token, grant.scopes());
    tokenAnswer(ctx, params("access_token", token, "token_type", "bearer",
        "scope", String.join(",", grant.scopes())));
  }

  private void tokenError(RoutingContext ctx, String error, String description) {
    tokenAnswer(ctx, params("error", error, "error_description", description));
  }

  /** JSON when asked for it, else GitHub's default, a form-encoded body; always 200. */
  private static void tokenAnswer(RoutingContext ctx, Map<String, String> fields) {
    String accept = String.valueOf(ctx.request().getHeader("Accept"));
    if (accept.contains("json")) {
      JsonObject json = new JsonObject();
      fields.forEach(json::put);
      ctx.response().putHeader("Content-Type", "application/json; charset=utf-8")
          .end(json.encode());
    } else {
      ctx.response().putHeader("Content-Type", "application/x-www-form-urlencoded")
          .end(query(fields));
    }
  }

  // ---- the API

  private void authenticate(RoutingContext ctx) {
    String authorization = ctx.request().getHeader("Authorization");
    if (authorization == null) {
      message(ctx, 401, "Requires authentication");
      return;
    }
    // GitHub takes both "Bearer" and the older "token" scheme.
    String[] parts = authorization.strip().split("\\s+", 2);
    Set<String> scopes = parts.length == 2 && (parts[0].equalsIgnoreCase("bearer")
        || parts[0].equalsIgnoreCase("token")) ? tokens.get(parts[1]) : null;
    if (scopes == null) {
      message(ctx, 401, "Bad credentials");
      return;
    }
    ctx.put("scopes", scopes);
    ctx.response().putHeader("X-OAuth-Scopes", String.join(", ", scopes));
    ctx.next();
  }

  private void user(RoutingContext ctx) {
    User who = user;
    json(ctx, 200, new JsonObject().put("login", who.login()).put("id", who.id())
        .put("type", "User").put("name", who.name()).put("email", (String) null)
        .encode());
  }

  private void emails(RoutingContext ctx) {
    if (!holdsAny(ctx, EMAIL_SCOPES)) {
      message(ctx, 404, "Not Found");
      return;
    }
    list(ctx, emails.stream().map(e -> new JsonObject().put("email", e.address())
        .put("primary", e.primary()).put("verified", e.verified()).put("visibility",
            e.primary() ? "private" : null)).toList());
  }

  private List<JsonObject> orgs(RoutingContext ctx) {
    boolean seesPrivate = holdsAny(ctx, ORG_SCOPES);
    List<JsonObject> out = new ArrayList<>();
    long id = 1000;
    for (Org org : orgs) {
      id++;
      if (org.publicMembership() || seesPrivate) {
        out.add(new JsonObject().put("login", org.login()).put("id", id)
            .put("url", apiUrl() + "/orgs/" + org.login()).put("description", ""));
      }
    }
    return out;
  }

  private void teams(RoutingContext ctx) {
    if (!holdsAny(ctx, ORG_SCOPES)) {
      message(ctx, 403, "This token needs the read:org scope to list teams.");
      return;
    }
    List<JsonObject> out = new ArrayList<>();
    long id = 2000;
    for (Team team : teams) {
      id++;
      out.add(new JsonObject().put("id", id).put("name", team.slug()).put("slug", team.slug())
          .put("organization", new JsonObject().put("login", team.org())));
    }
    list(ctx, out);
  }

  private static boolean holdsAny(RoutingContext ctx, Set<String> wanted) {
    Set<String> held = ctx.get("scopes");
    return held.stream().anyMatch(wanted::contains);
  }

  /**
   * One page of a list, with GitHub's {@code Link} header: prev, next, last and first, each the
   * request's own URL with another {@code page}. A page past the end is an empty list.
   */
  private void list(RoutingContext ctx, List<JsonObject> items) {
    int perPage = Math.min(MAX_PER_PAGE, Math.max(1, number(ctx, "per_page",
        DEFAULT_PER_PAGE)));
    int size = forcedPageSize > 0 ? Math.min(forcedPageSize, perPage) : perPage;
    int page = Math.max(1, number(ctx, "page", 1));
    int last = Math.max(1, (items.size() + size - 1) / size);
    int from = Math.min(items.size(), (page - 1) * size);
    JsonArray body = new JsonArray(new ArrayList<>(items.subList(from,
        Math.min(items.size(), from + size))));

    List<String> links = new ArrayList<>();
    if (page > 1) {
      links.add(link(ctx, Math.min(page - 1, last), "prev"));
    }
    if (page < last) {
      links.add(link(ctx, page + 1, "next"));
      links.add(link(ctx, last, "last"));
    }
    if (page > 1) {
      links.add(link(ctx, 1, "first"));
    }
    if (!links.isEmpty()) {
      ctx.response().putHeader("Link", String.join(", ", links));
    }
    json(ctx, 200, body.encode());
  }

  private String link(RoutingContext ctx, int page, String rel) {
    Map<String, String> query = new LinkedHashMap<>();
    ctx.queryParams().forEach(e -> query.put(e.getKey(), e.getValue()));
    query.put("page", String.valueOf(page));
    return "<" + webUrl() + ctx.request().path() + "?" + query(query) + ">; rel=\"" + rel
        + "\"";
  }

  private static int number(RoutingContext ctx, String name, int fallback) {
    try {
      String value = ctx.queryParams().get(name);
      return value == null ? fallback : Integer.parseInt(value);
    } catch (NumberFormatException e) {
      // GitHub ignores a parameter it cannot read.
      return fallback;
    }
  }

  // ---- answers

  private static void json(RoutingContext ctx, int status, String body) {
    ctx.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8").end(body);
  }

  /** GitHub's API error shape. */
  private static void message(RoutingContext ctx, int status, String message) {
    json(ctx, status, new JsonObject().put("message", message)
        .put("status", String.valueOf(status)).encode());
  }

  private static void page(RoutingContext ctx, int status, String text) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "text/html; charset=utf-8")
        .end("<!doctype html><title>GitHub stand-in</title><p>" + text + "</p>");
  }

  private static void redirect(RoutingContext ctx, String base, Map<String, String> params) {
    ctx.response().setStatusCode(302)
        .putHeader("Location", base + (base.contains("?") ? "&" : "?") + query(params)).end();
  }

  /** Pairs of name and value, in order; a null value leaves its pair out. */
  private static Map<String, String> params(String... pairs) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i + 1] != null) {
        out.put(pairs[i], pairs[i + 1]);
      }
    }
    return out;
  }

  private static String query(Map<String, String> params) {
    return params.entrySet().stream().map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
        .collect(Collectors.joining("&"));
  }

  private static Map<String, List<String>> multi(MultiMap map) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    map.forEach(e -> out.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
    return out;
  }

  private static Map<String, List<String>> lowerCased(MultiMap map) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    map.forEach(e -> out.computeIfAbsent(e.getKey().toLowerCase(Locale.ROOT),
        k -> new ArrayList<>()).add(e.getValue()));
    return out;
  }

  private static byte[] randomBytes(int count) {
    byte[] bytes = new byte[count];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  private static String enc(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** Closes the server, and with it every connection left unanswered. */
  @Override
  public void close() {
    try {
      server.close().await();
    } finally {
      vertx.close().await();
    }
  }
}
