package dev.portcullis.gateway;

import dev.portcullis.config.PortcullisConfig;
import dev.portcullis.config.PortcullisConfig.IdentityProvider;
import dev.portcullis.identity.PinMailer;
import dev.portcullis.identity.RedirectProvider;
import dev.portcullis.policy.PolicyInterest;
import java.util.Map;
import java.util.function.Function;
import dev.portcullis.policy.Application;
import dev.portcullis.policy.Applications;
import dev.portcullis.session.Cookies;
import java.net.URI;
import java.util.stream.Collectors;

/**
 * Everything the request path derives from one configuration, built once at load. Requests read
 * one {@code Settings} from start to end, so a reload never mixes two configurations in one
 * request.
 *
 * @param formActions the CSP {@code form-action} sources of the auth domain's pages: the auth
 *     domain itself and every application origin, since a form's redirects end there
 */
record Settings(
    PortcullisConfig config, Applications applications, RedirectTargets redirects,
    ClientAddress clientAddress, Cookies cookies, String formActions, PinMailer smtpMailer,
    Map<String, RedirectProvider> redirectProviders, PolicyInterest interest) {

  /**
   * @param smtpMailer delivers PINs of {@code delivery: smtp} providers; null without SMTP
   * @param providers builds the GitHub and OpenID Connect providers of this configuration
   */
  static Settings of(PortcullisConfig config, PinMailer smtpMailer,
      Function<IdentityProvider, RedirectProvider> providers) {
    Applications applications = new Applications(config.applications());
    URI auth = config.auth().url();
    String port = auth.getPort() > 0 ? ":" + auth.getPort() : "";
    String formActions = "'self' " + config.applications().stream()
        .map(a -> auth.getScheme() + "://" + a.host() + port)
        .distinct()
        .collect(Collectors.joining(" "));
    return new Settings(config, applications, new RedirectTargets(applications, auth),
        new ClientAddress(config.trustedProxies()), new Cookies(config.auth().secure()),
        formActions.strip(), smtpMailer, redirectProviders(config, providers),
        PolicyInterest.of(config.applications()));
  }

  private static Map<String, RedirectProvider> redirectProviders(PortcullisConfig config,
      Function<IdentityProvider, RedirectProvider> providers) {
    Map<String, RedirectProvider> out = new java.util.HashMap<>();
    for (IdentityProvider idp : config.identityProviders()) {
      if (idp.redirects()) {
        out.put(idp.id(), providers.apply(idp));
      }
    }
    return Map.copyOf(out);
  }

  String authUrl(String path) {
    return config.auth().url().toString() + path;
  }

  String issuer() {
    return config.auth().url().toString();
  }

  /**
   * The application's URL as browsers reach it: the auth domain's scheme and port, the path
   * prefix. For a wildcard application, the host the request named.
   */
  String applicationUrl(Application app, String requestHost) {
    URI auth = config.auth().url();
    String host = app.wildcard() ? Applications.normalizeHost(requestHost) : app.host();
    String path = app.pathPrefix().endsWith("/") ? app.pathPrefix() : app.pathPrefix() + "/";
    return auth.getScheme() + "://" + host + (auth.getPort() > 0 ? ":" + auth.getPort() : "")
        + path;
  }

  /**
   * The URL of one of an application's reserved endpoints: they live under its path prefix,
   * so that applications sharing a host each keep their own.
   */
  String reservedUrl(Application app, String requestHost, String endpoint) {
    String prefix = app.pathPrefix().equals("/") ? "" : app.pathPrefix();
    return origin(requestHost) + prefix + AppHost.RESERVED + endpoint;
  }

  /** The origin (scheme, host, port) of an application host as browsers reach it. */
  String origin(String requestHost) {
    URI auth = config.auth().url();
    return auth.getScheme() + "://" + Applications.normalizeHost(requestHost)
        + (auth.getPort() > 0 ? ":" + auth.getPort() : "");
  }
}
