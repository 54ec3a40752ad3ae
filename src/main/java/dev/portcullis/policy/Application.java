package dev.portcullis.policy;

import dev.portcullis.machine.CorsRules;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * One protected site.
 *
 * <p>{@link #policies()} are in evaluation order: by action class ({@code bypass} and
 * {@code service_auth}, then {@code block}, then {@code allow}), file order within a class.
 *
 * @param name unique, used as the audience of its tokens
 * @param host lower-case host name without port or trailing dot, or {@code *.domain} for any
 *     one label in front of the domain
 * @param pathPrefix normalized path prefix; {@code /} for the whole host
 * @param upstream where allowed requests go; {@code builtin:whoami} names the echo upstream
 * @param sessionDuration how long the app cookie lives; null means the auth domain's duration
 * @param identityProviders the ids allowed to log in to it; empty means every configured one
 * @param upstreamTimeout how long the upstream may stay silent before the client gets 504
 * @param allowEncodedSlashes whether {@code %2F} may appear in paths (kept encoded)
 * @param autoRedirect when one redirecting provider is allowed, skip the login page
 * @param cors the application's CORS rules; null when it has none (no preflight is answered)
 * @param relays public ingest paths, such as a Sentry tunnel
 */
public record Application(
    String name, String host, String pathPrefix, URI upstream, Duration sessionDuration,
    List<Policy> policies, List<String> identityProviders, Duration upstreamTimeout,
    boolean allowEncodedSlashes, boolean autoRedirect, CorsRules cors, List<Relay> relays) {

  /** Long enough for slow reports and exports; the peers' defaults range from 30 s to 60 s. */
  public static final Duration DEFAULT_UPSTREAM_TIMEOUT = Duration.ofSeconds(60);

  public Application {
    // Kept sorted by action class once, here, rather than on every decision; the sort is
    // stable, so file order holds within a class.
    policies = policies.stream()
        .sorted(java.util.Comparator.comparingInt(p -> p.action().rank()))
        .toList();
    identityProviders = List.copyOf(identityProviders);
    relays = List.copyOf(relays);
  }

  /** An application that shows the login page whatever its providers. */
  public Application(String name, String host, String pathPrefix, URI upstream,
      Duration sessionDuration, List<Policy> policies, List<String> identityProviders,
      Duration upstreamTimeout, boolean allowEncodedSlashes) {
    this(name, host, pathPrefix, upstream, sessionDuration, policies, identityProviders,
        upstreamTimeout, allowEncodedSlashes, false, null, List.of());
  }

  /** The relay whose path this normalized path is, if any. */
  public Relay relay(String path) {
    for (Relay relay : relays) {
      if (relay.path().equals(path)) {
        return relay;
      }
    }
    return null;
  }

  public boolean allowsIdentityProvider(String idp) {
    return identityProviders.isEmpty() || identityProviders.contains(idp);
  }

  public boolean wildcard() {
    return host.startsWith("*.");
  }

  /** The name of this application's cookie; per application, as applications share hosts. */
  public String cookieName() {
    return "portcullis_app_" + name;
  }
}
