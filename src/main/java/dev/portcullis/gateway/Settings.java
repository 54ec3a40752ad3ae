package dev.portcullis.gateway;

import dev.portcullis.config.PortcullisConfig;
import dev.portcullis.policy.Application;
import dev.portcullis.policy.Applications;
import dev.portcullis.session.Cookies;
import java.net.URI;

/**
 * Everything the request path derives from one configuration, built once at load. Requests read
 * one {@code Settings} from start to end, so a later reload never mixes two configurations in
 * one request.
 */
record Settings(
    PortcullisConfig config, Applications applications, RedirectTargets redirects,
    ClientAddress clientAddress, Cookies cookies) {

  static Settings of(PortcullisConfig config) {
    Applications applications = new Applications(config.applications());
    return new Settings(config, applications,
        new RedirectTargets(applications, config.auth().url()),
        new ClientAddress(config.trustedProxies()), new Cookies(config.auth().secure()));
  }

  String authUrl(String path) {
    return config.auth().url().toString() + path;
  }

  String issuer() {
    return config.auth().url().toString();
  }

  /** The application's base URL as browsers reach it: the auth domain's scheme and port. */
  String applicationUrl(Application app) {
    URI auth = config.auth().url();
    return auth.getScheme() + "://" + app.host() + (auth.getPort() > 0 ? ":" + auth.getPort() : "")
        + "/";
  }
}
