package dev.portcullis.policy;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;

/**
 * Answers "what would happen to this request?" without a server: finds the application for a
 * URL exactly as the gateway does (host, normalized path, most specific application first) and
 * decides it for a subject. Used by {@code portcullis policy test} and its cases files.
 */
public final class PolicyTester {
  private final Applications applications;
  private final PolicyEngine engine = new PolicyEngine();

  public PolicyTester(List<Application> applications) {
    this.applications = new Applications(applications);
  }

  /**
   * The outcome for one URL.
   *
   * @param application the application that would serve it, or null
   * @param path the normalized path the upstream would receive, or null when refused
   * @param decision the decision; for an unknown URL a denial with {@code app-not-found}
   */
  public record Outcome(Application application, String path, Decision decision) {
    public boolean allowed() {
      return decision.allowed();
    }
  }

  /**
   * @throws IllegalArgumentException when the URL is not an absolute http(s) URL
   */
  public Outcome test(String url, Subject subject) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + url + "' is not a URL");
    }
    if (uri.getHost() == null || !("http".equals(uri.getScheme())
        || "https".equals(uri.getScheme()))) {
      throw new IllegalArgumentException("'" + url + "' is not an absolute http(s) URL");
    }
    String rawPath = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/"
        : uri.getRawPath();
    RequestPath.Result normalized = RequestPath.normalize(rawPath, true);
    if (normalized instanceof RequestPath.Refused refused) {
      return refused(null, "the path is refused: " + refused.reason());
    }
    String path = ((RequestPath.Normalized) normalized).path();
    Application app = applications.find(uri.getHost(), path).orElse(null);
    if (app == null) {
      return new Outcome(null, path, Decision.without(false, Reason.APP_NOT_FOUND,
          "no application serves " + uri.getHost() + path));
    }
    if (!app.allowEncodedSlashes()
        && RequestPath.normalize(rawPath, false) instanceof RequestPath.Refused refused) {
      return refused(app, "the path is refused: " + refused.reason());
    }
    Relay relay = app.relay(path);
    if (relay != null) {
      // A relay is decided by the body, not by policies: report it as the gateway treats it.
      return new Outcome(app, path, Decision.without(true, Reason.RELAYED, "relay " + relay.path()
          + " accepts " + relay.kind() + " POSTs for projects " + relay.projects()
          + " without sign-in; policies are not consulted"));
    }
    return new Outcome(app, path, engine.decide(app, subject));
  }

  private static Outcome refused(Application app, String why) {
    return new Outcome(app, null, Decision.without(false, Reason.BAD_REQUEST, why));
  }
}
