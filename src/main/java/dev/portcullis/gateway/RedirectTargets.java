package dev.portcullis.gateway;

import dev.portcullis.policy.Application;
import dev.portcullis.policy.Applications;
import dev.portcullis.policy.RequestPath;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;

/**
 * Decides where the auth domain may send a browser after login. Only absolute URLs on a
 * configured application's host are accepted, with the auth domain's scheme and port, no user
 * information and no whitespace, control characters or backslashes anywhere. Everything else,
 * including protocol-relative ({@code //host}) and backslash tricks, is refused: the check works
 * on the parsed URL, never on string prefixes.
 */
public final class RedirectTargets {
  /** Longer URLs are refused; browsers and proxies commonly cap URLs near 8 KB. */
  private static final int MAX_LENGTH = 4096;

  private final Applications applications;
  private final String scheme;
  private final int port;

  public RedirectTargets(Applications applications, URI authUrl) {
    this.applications = applications;
    this.scheme = authUrl.getScheme();
    this.port = effectivePort(authUrl);
  }

  /** A validated destination: the application and the URL to go back to. */
  public record Target(Application application, URI url) {

    /** The application's origin, such as {@code https://grafana.example.com}. */
    public String origin() {
      return url.getScheme() + "://" + url.getRawAuthority();
    }

    /** Path and query to return to on the application's host; "/" when there is none. */
    public String pathAndQuery() {
      String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
      // "//evil.example/x" is a valid path but a protocol-relative URL in a Location header.
      path = path.replaceFirst("^/+", "/");
      return url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
    }
  }

  public Optional<Target> parse(String candidate) {
    if (candidate == null || candidate.isEmpty() || candidate.length() > MAX_LENGTH) {
      return Optional.empty();
    }
    for (int i = 0; i < candidate.length(); i++) {
      char c = candidate.charAt(i);
      if (c <= 0x20 || c == 0x7f || c == '\\' || c > 0x7e) {
        return Optional.empty();
      }
    }
    URI url;
    try {
      url = new URI(candidate);
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
    if (!url.isAbsolute() || url.isOpaque() || !scheme.equals(url.getScheme())
        || url.getRawUserInfo() != null || url.getHost() == null
        || effectivePort(url) != port || url.getRawFragment() != null) {
      return Optional.empty();
    }
    String rawPath = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/"
        : url.getRawPath();
    if (!(RequestPath.normalize(rawPath, true) instanceof RequestPath.Normalized path)) {
      return Optional.empty();
    }
    return applications.find(url.getHost(), path.path()).map(app -> new Target(app, url));
  }

  private static int effectivePort(URI url) {
    if (url.getPort() > 0) {
      return url.getPort();
    }
    return "https".equals(url.getScheme()) ? 443 : 80;
  }
}
