package dev.portcullis.config;

import dev.portcullis.policy.Application;
import dev.portcullis.policy.Cidr;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A validated configuration. Every field is set: defaults are applied by {@link ConfigLoader}.
 *
 * @param source the file it came from
 * @param listenHost the address to bind; {@code 0.0.0.0} by default
 * @param dataDir where the embedded store and key material live; created owner-only
 * @param storeUrl a JDBC URL; {@code jdbc:sqlite:DATA_DIR/portcullis.db} by default
 * @param smtp absent when no identity provider sends mail through SMTP
 * @param emailLists the email list files the policies read; watched for changes
 */
public record PortcullisConfig(
    Path source, String listenHost, int listenPort, Path dataDir, Auth auth, String storeUrl,
    Optional<Smtp> smtp, List<IdentityProvider> identityProviders, List<Cidr> trustedProxies,
    List<Application> applications, List<Path> emailLists) {

  public PortcullisConfig {
    identityProviders = List.copyOf(identityProviders);
    trustedProxies = List.copyOf(trustedProxies);
    applications = List.copyOf(applications);
    emailLists = List.copyOf(emailLists);
  }

  /**
   * @param url the auth domain's base URL, without a path
   * @param sessionDuration how long a login lasts; 24h by default
   */
  public record Auth(URI url, Duration sessionDuration) {

    public boolean secure() {
      return "https".equals(url.getScheme());
    }

    /** The host of the auth domain, lower case, without port. */
    public String host() {
      return url.getHost().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public enum StartTls { NONE, OPPORTUNISTIC, REQUIRED }

  public record Smtp(
      String host, int port, String username, Secret password, String from, StartTls starttls) {}

  /** How a one-time PIN reaches the person. */
  public enum Delivery { SMTP, CONSOLE }

  /**
   * @param id stable id used in URLs, tokens and policies
   * @param type {@code onetimepin}, {@code github} or {@code oidc}
   * @param name what the login page shows
   * @param delivery for {@code onetimepin}: SMTP, or the console for trying Portcullis out
   * @param oauth for {@code github} and {@code oidc}; null for {@code onetimepin}
   */
  public record IdentityProvider(
      String id, String type, String name, Delivery delivery, OAuth oauth) {

    public boolean redirects() {
      return oauth != null;
    }
  }

  /**
   * The settings of a provider that signs people in by redirecting to it.
   *
   * @param issuer OpenID Connect only: the issuer, discovered at
   *     {@code ISSUER/.well-known/openid-configuration}
   * @param webUrl GitHub only: where people authorize ({@code https://github.com})
   * @param apiUrl GitHub only: the REST API ({@code https://api.github.com})
   * @param userinfo OpenID Connect only: merge the userinfo endpoint's claims
   * @param requireEmailVerified refuse an email the provider does not call verified
   * @param timeout for each call to the provider
   * @param recheckInterval GitHub only: re-read org and team membership this often while a
   *     session lives; null to read it at login only
   */
  public record OAuth(
      String clientId, Secret clientSecret, URI issuer, URI webUrl, URI apiUrl,
      List<String> scopes, boolean userinfo, String emailClaim, String nameClaim,
      String groupsClaim, boolean requireEmailVerified, Duration timeout,
      Duration recheckInterval) {

    /** Providers answer in well under a second; ten leaves room for a slow day. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    public OAuth {
      scopes = List.copyOf(scopes);
    }
  }

  public Optional<IdentityProvider> identityProvider(String id) {
    return identityProviders.stream().filter(p -> p.id().equals(id)).findFirst();
  }
}
