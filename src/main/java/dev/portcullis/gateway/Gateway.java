package dev.portcullis.gateway;

import dev.portcullis.config.ConfigException;
import dev.portcullis.config.ConfigLoader;
import dev.portcullis.config.ConfigWatcher;
import dev.portcullis.config.PortcullisConfig;
import dev.portcullis.config.Problem;
import dev.portcullis.config.PortcullisConfig.Delivery;
import dev.portcullis.config.PortcullisConfig.IdentityProvider;
import dev.portcullis.identity.ConsoleOutbox;
import dev.portcullis.identity.GithubProvider;
import dev.portcullis.identity.OidcProvider;
import dev.portcullis.identity.RedirectProvider;
import dev.portcullis.machine.ServiceTokenVerifier;
import java.util.Map;
import dev.portcullis.policy.PolicyInterest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.function.Function;
import java.util.function.Supplier;
import dev.portcullis.identity.OneTimePins;
import dev.portcullis.identity.PinMailer;
import dev.portcullis.identity.SmtpPinMailer;
import dev.portcullis.policy.Applications;
import dev.portcullis.policy.PolicyEngine;
import dev.portcullis.proxy.Forwarder;
import dev.portcullis.proxy.WhoamiUpstream;
import dev.portcullis.session.Hmac;
import dev.portcullis.session.KeyRing;
import dev.portcullis.session.KeySealer;
import dev.portcullis.session.Revocations;
import dev.portcullis.session.Tokens;
import dev.portcullis.store.DataDirectory;
import dev.portcullis.store.JdbcStore;
import dev.portcullis.store.Store;
import dev.portcullis.web.Pages;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.PrintStream;
import java.time.Clock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Portcullis: the HTTP server, the store and the timers that keep revocations current.
 *
 * <p>Start-up order: the data directory and store come first (a store that cannot be opened or
 * a key that cannot be unsealed stops the start before anything listens), then the built-in
 * upstream when an application names it, then the listener. Requests are dispatched by host:
 * the auth domain's host goes to {@link AuthDomain}, an application's host to {@link AppHost},
 * anything else gets 404.
 */
public final class Gateway {
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
  /** How often revocations made by other processes are picked up from the store. */
  private static final Duration REVOCATION_REFRESH = Duration.ofSeconds(2);
  /** Time for a new connection to send its first request's headers; browsers need millis. */
  private static final Duration FIRST_REQUEST_DEADLINE = Duration.ofSeconds(15);
  /** How long requests under way may take to finish when Portcullis stops. */
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);
  /** How often sessions due for a GitHub membership re-check are looked for. */
  private static final Duration RECHECK_POLL = Duration.ofSeconds(30);
  /** How often expired PINs and handoff codes are deleted. */
  private static final Duration PURGE_INTERVAL = Duration.ofMinutes(10);
  /** PIN requests per address per window; a person retrying a few times stays well inside. */
  public static final int PINS_PER_EMAIL = 5;
  /** PIN requests per client address per window; an office behind one NAT address fits. */
  public static final int PINS_PER_CLIENT = 30;
  /** The window both PIN limits count in: long enough to slow guessing, short for a typo. */
  public static final Duration PIN_WINDOW = Duration.ofMinutes(15);

  private final Vertx vertx;
  private final Services services;
  private final AtomicReference<Settings> settings;
  private final HttpServer server;
  private final WhoamiUpstream whoami;
  private final long[] timers;
  private final Object reloadLock = new Object();
  private final Function<IdentityProvider, RedirectProvider> providers;
  private final MembershipRechecks rechecks;
  private final List<java.util.function.Consumer<Reload>> reloadListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile ConfigWatcher watcher;
  /** The debounce timer of a pending watched reload; touched on the event loop only. */
  private long pendingReload = -1;

  private Gateway(Vertx vertx, Services services, AtomicReference<Settings> settings,
      HttpServer server, WhoamiUpstream whoami, long[] timers,
      Function<IdentityProvider, RedirectProvider> providers, MembershipRechecks rechecks) {
    this.providers = providers;
    this.rechecks = rechecks;
    this.vertx = vertx;
    this.services = services;
    this.settings = settings;
    this.server = server;
    this.whoami = whoami;
    this.timers = timers;
  }

  /**
   * Options for a start.
   *
   * @param clock the time source for tokens, PINs and codes; tests pass a controllable one
   * @param console where {@code delivery: console} PINs and the demo banner are printed
   * @param watchConfig whether to reload when the configuration file or an email list changes
   */
  public record Options(Clock clock, PrintStream console, boolean watchConfig) {
    public static Options defaults(PrintStream console) {
      return new Options(Clock.systemUTC(), console, true);
    }
  }

  /**
   * Opens the store, loads or creates the signing key and starts listening. The future fails
   * when the store, the key or the listener cannot be had; nothing is left running then.
   */
  public static Future<Gateway> start(Vertx vertx, PortcullisConfig config, Options options) {
    return vertx.executeBlocking(() -> openStore(config, options.clock()))
        .compose(opened -> {
          // Always started (loopback, ephemeral port): a reload may add an application that
          // uses it.
          return WhoamiUpstream.start(vertx, new Pages())
              .compose(w -> listen(vertx, config, options, opened, w))
              .onFailure(e -> opened.store().close());
        });
  }

  private record Opened(Store store, KeyRing keys, KeySealer sealer, Revocations revocations,
      ServiceTokenVerifier serviceTokens) {}

  private static Opened openStore(PortcullisConfig config, Clock clock) throws Exception {
    DataDirectory data = DataDirectory.prepare(config.dataDir());
    KeySealer sealer = new KeySealer(data.masterKey());
    Store store = JdbcStore.open(config.storeUrl());
    try {
      KeyRing keys = KeyRing.loadOrCreate(store, sealer, clock);
      LOG.atInfo().setMessage("signing key loaded").addKeyValue("kid", keys.signingKid())
          .addKeyValue("alg", "ES256").log();
      // Loaded here, on a worker thread: the first reads of the store before anything listens.
      Revocations revocations = new Revocations(store, clock);
      revocations.refresh();
      ServiceTokenVerifier serviceTokens = new ServiceTokenVerifier(store, clock);
      serviceTokens.refresh();
      return new Opened(store, keys, sealer, revocations, serviceTokens);
    } catch (Exception e) {
      store.close();
      throw e;
    }
  }


  private static Future<Gateway> listen(Vertx vertx, PortcullisConfig config, Options options,
      Opened opened, WhoamiUpstream whoami) {
    Clock clock = options.clock();
    AtomicReference<Settings> settings = new AtomicReference<>();
    Function<IdentityProvider, RedirectProvider> providers = providerFactory(vertx, clock,
        () -> settings.get().interest());
    Settings initial = Settings.of(config, smtpMailer(vertx, config), providers);
    settings.set(initial);
    Pages pages = new Pages();
    Revocations revocations = opened.revocations();
    ServiceTokenVerifier serviceTokens = opened.serviceTokens();
    ConsoleOutbox outbox = new ConsoleOutbox(options.console(), clock);
    Services services = new Services(vertx, clock, opened.store(), opened.keys(),
        new Tokens(opened.keys(), clock, initial.issuer()), revocations,
        new OneTimePins(opened.store(), new Hmac(opened.sealer().derive("pin")), clock),
        new Hmac(opened.sealer().derive("code")), new Csrf(new Hmac(opened.sealer()
            .derive("csrf"))), outbox,
        new RateLimiter(PINS_PER_EMAIL, PIN_WINDOW, clock),
        new RateLimiter(PINS_PER_CLIENT, PIN_WINDOW, clock), new PolicyEngine(),
        new Responses(pages, () -> settings.get().formActions()), pages, new Forwarder(vertx),
        opened.sealer(), serviceTokens, new Counters(),
        new dev.portcullis.proxy.WebSocketForwarder(vertx));
    if (config.identityProviders().stream().anyMatch(p -> p.delivery() == Delivery.CONSOLE)) {
      LOG.warn("an identity provider delivers PINs to the console: anyone who reads this "
          + "process's output can sign in; use it only to try Portcullis out");
    }

    AuthDomain auth = new AuthDomain(services, settings::get, outbox);
    java.util.Set<io.vertx.core.http.HttpConnection> served =
        java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.Set<io.vertx.core.http.HttpConnection> poisoned =
        java.util.concurrent.ConcurrentHashMap.newKeySet();
    AppHost apps = new AppHost(services, settings::get, whoami::port);
    HttpServer server = vertx.createHttpServer(new HttpServerOptions()
        .setMaxHeaderSize(16 * 1024)
        .setIdleTimeout(120)
        .setCompressionSupported(false))
        .connectionHandler(connection -> {
          // A connection must send its first request's headers within this time: trickling
          // them a byte at a time would otherwise hold it open indefinitely.
          long deadline = vertx.setTimer(FIRST_REQUEST_DEADLINE.toMillis(), id -> {
            if (!served.remove(connection)) {
              connection.close();
            }
          });
          connection.closeHandler(v -> {
            vertx.cancelTimer(deadline);
            served.remove(connection);
            poisoned.remove(connection);
          });
        })
        .requestHandler(request -> {
          if (poisoned.contains(request.connection())) {
            // Pipelined behind a badly framed request: its bytes may be a smuggled request.
            request.connection().close();
            return;
          }
          served.add(request.connection());
          // RFC 9112 section 6: a body framed two ways, or by a coding other than a single
          // final "chunked", could be read differently by a proxy in front; the request is
          // refused, nothing after it on the connection is served, and the connection closes.
          String framing = framingProblem(request);
          if (framing != null) {
            poisoned.add(request.connection());
            String requestId = RequestIds.assign(request);
            request.response().putHeader("Connection", "close");
            services.responses().badRequest(request, requestId, framing);
            return;
          }
          if (request.headers().contains("Transfer-Encoding")) {
            // Netty reads a request framed both by length and chunked as chunked and drops the
            // length unseen; RFC 9112 then requires closing the connection. Browsers never send
            // chunked requests, so every chunked request ends its connection: nothing pipelined
            // behind it can be a smuggled request.
            request.response().putHeader("Connection", "close");
            poisoned.add(request.connection());
          }
          dispatch(request, settings.get(), auth, apps, services);
        });
    return server.listen(config.listenPort(), config.listenHost()).map(bound -> {
      long refresh = vertx.setPeriodic(REVOCATION_REFRESH.toMillis(), id -> {
        services.blocking(() -> {
          revocations.refresh();
          return null;
        }).onFailure(e -> LOG.atWarn().setMessage("revocation refresh failed; the last "
            + "known revocations stay in force").setCause(e).log());
        // Tokens created, rotated or revoked from the CLI reach this process here.
        services.blocking(() -> {
          serviceTokens.refresh();
          serviceTokens.flushUsage(false);
          return null;
        }).onFailure(e -> LOG.atWarn().setMessage("service token refresh failed; the last "
            + "known tokens stay in force").setCause(e).log());
      });
      long purge = vertx.setPeriodic(PURGE_INTERVAL.toMillis(), id ->
          services.blocking(() -> opened.store().purgeExpired(clock.instant()))
              .onFailure(e -> LOG.atWarn().setMessage("purge failed").setCause(e).log()));
      LOG.atInfo().setMessage("listening").addKeyValue("address", config.listenHost() + ":"
          + bound.actualPort()).addKeyValue("auth_url", initial.issuer())
          .addKeyValue("applications", config.applications().size()).log();
      MembershipRechecks rechecks = new MembershipRechecks(services, settings::get);
      long recheck = vertx.setPeriodic(RECHECK_POLL.toMillis(), id -> rechecks.run());
      Gateway gateway = new Gateway(vertx, services, settings, bound, whoami,
          new long[] {refresh, purge, recheck}, providers, rechecks);
      if (options.watchConfig()) {
        gateway.watch();
      }
      return gateway;
    });
  }

  /** How long to wait after a file change before reloading: one save, several events. */
  private static final Duration WATCH_DEBOUNCE = Duration.ofMillis(250);

  private void watch() {
    try {
      ConfigWatcher created = new ConfigWatcher(() -> vertx.runOnContext(v -> {
        if (pendingReload >= 0) {
          vertx.cancelTimer(pendingReload);
        }
        pendingReload = vertx.setTimer(WATCH_DEBOUNCE.toMillis(), id -> {
          pendingReload = -1;
          reload();
        });
      }));
      watcher = created;
      watchedFiles(settings.get().config());
    } catch (java.io.IOException e) {
      LOG.atWarn().setMessage("cannot watch the configuration file; use SIGHUP to reload")
          .addKeyValue("error", e.getMessage()).log();
    }
  }

  private void watchedFiles(PortcullisConfig config) {
    if (watcher != null) {
      List<Path> files = new java.util.ArrayList<>(config.emailLists());
      files.add(config.source());
      watcher.watch(files);
    }
  }

  private static void dispatch(HttpServerRequest request, Settings s, AuthDomain auth,
      AppHost apps, Services services) {
    String requestId = RequestIds.assign(request);
    // Paused until a handler decides: an allowed request's body is streamed to the upstream.
    request.pause();
    String hostHeader = request.authority() == null ? null : request.authority().host();
    if (hostHeader == null || hostHeader.isEmpty()) {
      services.responses().badRequest(request, requestId, "The request names no host.");
      return;
    }
    // TRACE echoes the request, headers included, back to the client; CONNECT would open a
    // tunnel through the gateway. Neither has a use in front of web applications.
    if (request.method() == io.vertx.core.http.HttpMethod.TRACE
        || request.method() == io.vertx.core.http.HttpMethod.CONNECT) {
      request.response().putHeader("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
      services.responses().problem(request, 405, "method-not-allowed", "Method not allowed",
          "This method is not served.", requestId);
      return;
    }
    // RFC 9112 section 3.2: one Host, and an absolute-form target wins over it. Refusing
    // disagreement keeps Portcullis and any proxy in front routing the same request alike.
    if (request.headers().getAll("Host").size() > 1 || absoluteFormDisagrees(request)) {
      services.responses().badRequest(request, requestId, "The request names its host more "
          + "than once, or in two different ways.");
      return;
    }
    String host = Applications.normalizeHost(hostHeader);
    if (host.equals(s.config().auth().host())) {
      request.resume();
      auth.handle(request);
      return;
    }
    if (!s.applications().servesHost(host)) {
      services.responses().notFound(request, requestId, "No application is served at this host.");
      return;
    }
    apps.handle(request, requestId);
  }

  /** Builds GitHub and OpenID Connect providers; they share one HTTP client. */
  private static Function<IdentityProvider, RedirectProvider> providerFactory(Vertx vertx,
      Clock clock, Supplier<PolicyInterest> interest) {
    WebClient client = WebClient.create(vertx, new WebClientOptions()
        .setUserAgent("portcullis").setFollowRedirects(false));
    return idp -> idp.type().equals("github")
        ? new GithubProvider(idp.id(), idp.oauth(), client, interest)
        : new OidcProvider(idp.id(), idp.oauth(), client, clock, interest);
  }

  private static PinMailer smtpMailer(Vertx vertx, PortcullisConfig config) {
    return config.smtp().map(m -> (PinMailer) new SmtpPinMailer(vertx, m)).orElse(null);
  }

  /** What a reload did. */
  public sealed interface Reload {
    /** The new configuration is in force for every new request. */
    record Applied(int applications) implements Reload {}

    /** The new configuration was refused; the previous one stays in force. */
    record Rejected(List<String> problems) implements Reload {}
  }

  /**
   * Reads the configuration file again and, when it is valid, puts it in force atomically for
   * new requests; requests under way finish with the configuration they started with. Sessions,
   * keys and revocations are kept. An invalid file, or one that changes what only a restart can
   * change ({@code listen}, {@code data_dir}, {@code store}, {@code auth.url}), is refused with
   * the same messages as {@code portcullis check} and the running configuration stays.
   * Reloads run one at a time. The future never fails.
   */
  public Future<Reload> reload() {
    Path source = settings.get().config().source();
    return vertx.executeBlocking(() -> {
      synchronized (reloadLock) {
        Settings current = settings.get();
        PortcullisConfig next;
        try {
          next = new ConfigLoader().load(source);
        } catch (ConfigException e) {
          return rejected(e.problems().stream().map(Problem::toString).toList());
        }
        List<String> restartOnly = restartOnlyChanges(current.config(), next);
        if (!restartOnly.isEmpty()) {
          return rejected(restartOnly);
        }
        settings.set(Settings.of(next, smtpMailer(vertx, next), providers));
        watchedFiles(next);
        if (current.smtpMailer() != null) {
          current.smtpMailer().close();
        }
        LOG.atInfo().setMessage("configuration reloaded").addKeyValue("file", source)
            .addKeyValue("applications", next.applications().size()).log();
        return (Reload) new Reload.Applied(next.applications().size());
      }
    }, false).otherwise(e -> rejected(List.of(source + ": reload failed: " + e)))
        .onSuccess(result -> reloadListeners.forEach(listener -> listener.accept(result)));
  }

  /**
   * Re-checks the GitHub membership of the sessions that are due now (a timer does this every
   * 30 seconds); completes with how many sessions were revoked.
   */
  public Future<Integer> recheckMemberships() {
    return rechecks.run();
  }

  /** What the gateway counted: bypassed requests, relay outcomes, CORS refusals. */
  public Map<String, Long> counters() {
    return services.counters().snapshot();
  }

  /** Reads service tokens from the store now (a timer does this every 2 seconds). Blocks. */
  public void refreshServiceTokens() {
    services.serviceTokens().refresh();
  }

  /** Tells {@code listener} about every reload from now on, applied or rejected. */
  public void onReload(java.util.function.Consumer<Reload> listener) {
    reloadListeners.add(listener);
  }

  private Reload rejected(List<String> problems) {
    LOG.atWarn().setMessage("configuration rejected; the previous one stays in force")
        .addKeyValue("problems", problems.size()).log();
    problems.forEach(p -> LOG.warn("  {}", p));
    return new Reload.Rejected(problems);
  }

  private static List<String> restartOnlyChanges(PortcullisConfig was, PortcullisConfig now) {
    List<String> out = new java.util.ArrayList<>();
    String file = now.source().toString();
    if (!was.listenHost().equals(now.listenHost()) || was.listenPort() != now.listenPort()) {
      out.add(file + ":1:1: listen changed; restart Portcullis to apply it");
    }
    if (!was.dataDir().equals(now.dataDir())) {
      out.add(file + ":1:1: data_dir changed; restart Portcullis to apply it");
    }
    if (!was.storeUrl().equals(now.storeUrl())) {
      out.add(file + ":1:1: store changed; restart Portcullis to apply it");
    }
    if (!was.auth().url().equals(now.auth().url())) {
      out.add(file + ":1:1: auth.url changed; restart Portcullis to apply it (sessions are "
          + "bound to it)");
    }
    return out;
  }

  /**
   * What is wrong with how a request frames its body, or null. One case cannot be seen here:
   * Netty drops Content-Length when chunked coding is also given and reads the body as chunked
   * (RFC 9112 allows that); the request handler then closes the connection after any chunked
   * request, as the RFC requires for that case.
   */
  private static String framingProblem(HttpServerRequest request) {
    java.util.List<String> codings = request.headers().getAll("Transfer-Encoding");
    java.util.List<String> lengths = request.headers().getAll("Content-Length");
    if (!codings.isEmpty()) {
      if (!lengths.isEmpty()) {
        return "The request gives both Content-Length and Transfer-Encoding.";
      }
      if (codings.size() > 1 || !codings.get(0).strip().equalsIgnoreCase("chunked")) {
        return "Only Transfer-Encoding: chunked is accepted.";
      }
    }
    if (lengths.size() > 1 || !lengths.isEmpty() && !lengths.get(0).strip().matches("[0-9]+")) {
      return "The request's Content-Length is not one number.";
    }
    return null;
  }

  private static boolean absoluteFormDisagrees(HttpServerRequest request) {
    String uri = request.uri();
    if (!uri.regionMatches(true, 0, "http://", 0, 7)
        && !uri.regionMatches(true, 0, "https://", 0, 8)) {
      return false;
    }
    try {
      String target = java.net.URI.create(uri).getHost();
      String host = request.getHeader("Host");
      return target == null || host == null || !Applications.normalizeHost(target)
          .equals(Applications.normalizeHost(host));
    } catch (IllegalArgumentException e) {
      return true;
    }
  }

  /** The port the server listens on; useful when the configuration asked for port 0. */
  public int port() {
    return server.actualPort();
  }

  /** The configuration in force now (it changes with reloads). */
  public PortcullisConfig config() {
    return settings.get().config();
  }

  /** Stops listening, closes the store and the upstream connections. */
  public Future<Void> close() {
    for (long timer : timers) {
      vertx.cancelTimer(timer);
    }
    if (watcher != null) {
      watcher.close();
    }
    PinMailer smtp = settings.get().smtpMailer();
    // Requests under way get up to STOP_GRACE to finish; idle connections close at once.
    return server.shutdown(STOP_GRACE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)
        .compose(v -> whoami.close())
        .compose(v -> smtp == null ? Future.<Void>succeededFuture() : smtp.close())
        .compose(v -> services.forwarder().close())
        .compose(v -> services.webSockets().close())
        .eventually(() -> vertx.executeBlocking(() -> {
          try {
            services.serviceTokens().flushUsage(true);
          } catch (RuntimeException e) {
            LOG.atWarn().setMessage("could not record service token use at stop").setCause(e)
                .log();
          }
          services.store().close();
          return null;
        }));
  }
}
