package dev.portcullis.machine;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * One application's CORS settings ({@code cors:} in the configuration) and the pure functions
 * that answer preflights and decorate responses with them. No I/O and no Vert.x types: header
 * values in, header maps out.
 *
 * <p>Design note. A preflight is recognised by its real method only, {@code OPTIONS} exactly,
 * with both {@code Origin} and {@code Access-Control-Request-Method}; a header that claims
 * another method ({@code X-HTTP-Method-Override}) is never consulted, so nothing can turn an
 * ordinary request into one that skips authentication. Preflights for allowed origins are
 * answered by Portcullis without credentials and never reach the upstream; others are refused.
 * {@code Access-Control-Allow-Origin} always echoes the one origin that asked, never {@code *},
 * so it is valid with credentials and caches correctly with {@code Vary: Origin}.
 *
 * <p>Origins compare as browsers serialize them: scheme and host case-insensitively, the port
 * exactly, a default port (80 for http, 443 for https) the same as none. An entry is a bare
 * origin ({@code https://app.example.com}, {@code http://localhost:3000}), {@code *} (every
 * origin but {@code null}), or {@code null} (sandboxed frames and local files; only when
 * listed). Neither {@code *} nor {@code null} may be combined with credentials: either would
 * let any web page read the signed-in user's answers.
 *
 * @param allowedOrigins canonical origins, {@code *} or {@code null}; empty allows none
 * @param allowedMethods upper-case methods a preflight may ask for, or {@code *} for any;
 *     null means {@link #DEFAULT_METHODS}; empty allows none
 * @param allowedHeaders lower-case request header names a preflight may ask for, or {@code *}
 *     for any; null or empty allows none beyond what browsers send without asking
 * @param allowCredentials whether browser code may send cookies and read the answers
 * @param maxAge how long browsers may cache a preflight answer; null means
 *     {@link #DEFAULT_MAX_AGE}
 * @throws IllegalArgumentException naming the {@code cors} key and value at fault
 */
public record CorsRules(List<String> allowedOrigins, List<String> allowedMethods,
    List<String> allowedHeaders, boolean allowCredentials, Duration maxAge) {

  /** The methods browsers send without a preflight: the usual need of a read-mostly API. */
  public static final List<String> DEFAULT_METHODS = List.of("GET", "HEAD", "POST");
  /** Ten minutes: spares most repeated preflights, yet a configuration change lands soon. */
  public static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(10);
  /** A day: Firefox's own cap (Chromium stops at two hours); longer would mislead. */
  public static final Duration MAX_MAX_AGE = Duration.ofDays(1);
  public static final String ANY = "*";
  public static final String NULL_ORIGIN = "null";

  /** What a preflight answer varies by, for caches between the browser and us. */
  static final String PREFLIGHT_VARY =
      "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
  /** RFC 9110 section 5.6.2: the characters of a method or header name. */
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern SCHEME = Pattern.compile("[a-z][a-z0-9+.-]*");

  public CorsRules {
    allowedOrigins = origins(allowedOrigins, allowCredentials);
    allowedMethods = allowedMethods == null ? DEFAULT_METHODS
        : names(allowedMethods, "allowed_methods", "a method", true);
    allowedHeaders = allowedHeaders == null ? List.of()
        : names(allowedHeaders, "allowed_headers", "a header name", false);
    maxAge = maxAge == null ? DEFAULT_MAX_AGE : maxAge;
    if (maxAge.isNegative() || maxAge.compareTo(MAX_MAX_AGE) > 0) {
      throw new IllegalArgumentException("max_age must be between 0s and "
          + MAX_MAX_AGE.toHours() + "h");
    }
  }

  /** Rules for these origins with every other setting at its default. */
  public static CorsRules forOrigins(List<String> origins) {
    return new CorsRules(origins, null, null, false, null);
  }

  /**
   * Whether one {@code allowed_origins} entry is acceptable; for messages that point at the
   * entry's own line.
   *
   * @return null when acceptable, otherwise what is wrong, as a sentence fragment
   */
  public static String originProblem(String entry) {
    if (entry == null || entry.isEmpty()) {
      return "an origin is empty";
    }
    if (entry.equals(ANY) || entry.equals(NULL_ORIGIN)) {
      return null;
    }
    if (entry.contains("*")) {
      return "'" + entry + "' is not an origin: only a lone '*' is a wildcard";
    }
    return canonicalOrigin(entry) == null ? "'" + entry + "' is not an origin; write "
        + "SCHEME://HOST or SCHEME://HOST:PORT, without path, such as https://app.example.com"
        : null;
  }

  /**
   * Whether a request is a CORS preflight: the method is exactly {@code OPTIONS} and both
   * {@code Origin} and {@code Access-Control-Request-Method} are present (even empty). Only
   * the request line's method counts.
   */
  public static boolean isPreflight(String method, String origin, String requestMethod) {
    return "OPTIONS".equals(method) && origin != null && requestMethod != null;
  }

  /**
   * {@link #isPreflight(String, String, String)} with the headers read through a
   * case-insensitive lookup that returns null for an absent header.
   */
  public static boolean isPreflight(String method, Function<String, String> header) {
    return isPreflight(method, header.apply("Origin"),
        header.apply("Access-Control-Request-Method"));
  }

  /** Whether responses to this {@code Origin} value may be read by its page. */
  public boolean allowsOrigin(String origin) {
    if (origin == null) {
      return false;
    }
    if (origin.equals(NULL_ORIGIN)) {
      return allowedOrigins.contains(NULL_ORIGIN);
    }
    String canonical = canonicalOrigin(origin);
    return canonical != null
        && (allowedOrigins.contains(ANY) || allowedOrigins.contains(canonical));
  }

  /** The answer to a preflight: the headers to send with a 204, or a refusal. */
  public sealed interface Preflight permits Allowed, Refused {}

  /** Answer 204 with exactly these headers. */
  public record Allowed(Map<String, String> headers) implements Preflight {
    public Allowed {
      headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }
  }

  /**
   * Refuse the preflight (403 with JSON, no CORS headers, so the browser stops there).
   *
   * @param message one sentence; it may quote the origin, method or header that was refused
   */
  public record Refused(Refusal reason, String message) implements Preflight {}

  /** Why a preflight was refused; codes are stable and appear in logs and JSON. */
  public enum Refusal {
    ORIGIN_NOT_ALLOWED("cors-origin-not-allowed"),
    METHOD_NOT_ALLOWED("cors-method-not-allowed"),
    HEADERS_NOT_ALLOWED("cors-headers-not-allowed"),
    MALFORMED("cors-preflight-malformed");

    private final String code;

    Refusal(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  /**
   * Answers a preflight.
   *
   * @param origin the {@code Origin} header
   * @param requestMethod the {@code Access-Control-Request-Method} header
   * @param requestHeaders the {@code Access-Control-Request-Headers} header, or null
   * @return {@link Allowed} with {@code Access-Control-Allow-Origin} (the origin as sent),
   *     {@code -Allow-Credentials} (only when allowed), {@code -Allow-Methods} (the configured
   *     list, or the asked method under {@code *}), {@code -Allow-Headers} (the asked headers,
   *     when any), {@code -Max-Age} and {@code Vary}; otherwise {@link Refused}
   */
  public Preflight preflightResponse(String origin, String requestMethod,
      String requestHeaders) {
    if (!allowsOrigin(origin)) {
      return new Refused(Refusal.ORIGIN_NOT_ALLOWED, "cross-origin requests from this origin "
          + "are not allowed");
    }
    if (requestMethod == null || !TOKEN.matcher(requestMethod).matches()) {
      return new Refused(Refusal.MALFORMED, "Access-Control-Request-Method is not a method");
    }
    String method = requestMethod.toUpperCase(Locale.ROOT);
    if (!allowedMethods.contains(ANY) && !allowedMethods.contains(method)) {
      return new Refused(Refusal.METHOD_NOT_ALLOWED, "cross-origin " + method
          + " requests are not allowed");
    }
    List<String> asked = new ArrayList<>();
    for (String part : requestHeaders == null ? new String[0] : requestHeaders.split(",")) {
      String name = part.strip().toLowerCase(Locale.ROOT);
      if (name.isEmpty()) {
        continue;
      }
      if (!TOKEN.matcher(name).matches()) {
        return new Refused(Refusal.MALFORMED, "Access-Control-Request-Headers is not a list "
            + "of header names");
      }
      if (!allowedHeaders.contains(ANY) && !allowedHeaders.contains(name)) {
        return new Refused(Refusal.HEADERS_NOT_ALLOWED, "the request header '" + name
            + "' is not allowed in cross-origin requests");
      }
      asked.add(name);
    }

    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Access-Control-Allow-Origin", origin);
    if (allowCredentials) {
      headers.put("Access-Control-Allow-Credentials", "true");
    }
    headers.put("Access-Control-Allow-Methods",
        allowedMethods.contains(ANY) ? method : String.join(", ", allowedMethods));
    if (!asked.isEmpty()) {
      headers.put("Access-Control-Allow-Headers", String.join(", ", asked));
    }
    headers.put("Access-Control-Max-Age", Long.toString(maxAge.toSeconds()));
    headers.put("Vary", PREFLIGHT_VARY);
    return new Allowed(headers);
  }

  /**
   * The CORS headers for an actual (not preflight) response to a request with this
   * {@code Origin}, whether Portcullis answers it (401, 403, relay refusals) or the upstream
   * does. For an allowed origin: {@code Access-Control-Allow-Origin} (the origin as sent),
   * {@code Access-Control-Allow-Credentials} when allowed, and {@code Vary: Origin}; for any
   * other origin, or none, only {@code Vary: Origin}, since the answer still depends on it.
   * The caller replaces same-named headers from the upstream but appends to its {@code Vary}.
   */
  public Map<String, String> headersFor(String origin) {
    Map<String, String> headers = new LinkedHashMap<>();
    if (allowsOrigin(origin)) {
      headers.put("Access-Control-Allow-Origin", origin);
      if (allowCredentials) {
        headers.put("Access-Control-Allow-Credentials", "true");
      }
    }
    headers.put("Vary", "Origin");
    return Collections.unmodifiableMap(headers);
  }

  /**
   * An origin as browsers serialize it, {@code scheme://host[:port]} in lower case without a
   * default port, or null when the text is not a bare origin (a path, query, user info or
   * missing host).
   */
  static String canonicalOrigin(String text) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      return null;
    }
    String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
    if (scheme == null || !SCHEME.matcher(scheme).matches() || uri.getHost() == null
        || uri.getRawUserInfo() != null || !uri.getRawPath().isEmpty()
        || uri.getRawQuery() != null || uri.getRawFragment() != null
        || text.endsWith(":")) {
      return null;
    }
    int port = uri.getPort();
    if (port == 0 || port > 65535) {
      return null;
    }
    boolean defaultPort = port == -1 || (scheme.equals("http") && port == 80)
        || (scheme.equals("https") && port == 443);
    return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT)
        + (defaultPort ? "" : ":" + port);
  }

  private static List<String> origins(List<String> entries, boolean credentials) {
    if (entries == null) {
      return List.of();
    }
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String entry : entries) {
      String problem = originProblem(entry);
      if (problem != null) {
        throw new IllegalArgumentException("allowed_origins: " + problem);
      }
      if (credentials && (entry.equals(ANY) || entry.equals(NULL_ORIGIN))) {
        throw new IllegalArgumentException("allowed_origins: '" + entry + "' cannot be "
            + "combined with allow_credentials: true, or any web page could read the answers "
            + "meant for the signed-in user; list the origins instead");
      }
      out.add(entry.equals(ANY) || entry.equals(NULL_ORIGIN) ? entry : canonicalOrigin(entry));
    }
    return List.copyOf(out);
  }

  private static List<String> names(List<String> entries, String key, String what,
      boolean upper) {
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String entry : entries) {
      if (entry == null || !TOKEN.matcher(entry).matches()
          || (entry.contains("*") && !entry.equals(ANY))) {
        throw new IllegalArgumentException(key + ": '" + entry + "' is not " + what
            + " or '*'");
      }
      out.add(upper ? entry.toUpperCase(Locale.ROOT) : entry.toLowerCase(Locale.ROOT));
    }
    return List.copyOf(out);
  }
}
