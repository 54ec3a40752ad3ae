package dev.portcullis.proxy;

import io.vertx.core.MultiMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which headers may cross the gateway. One list for both directions, so that an identity header
 * a client forged never reaches an upstream and a Portcullis cookie never leaves the gateway.
 */
public final class HeaderHygiene {
  /** RFC 9110 section 7.6.1: meaningful for one connection only, never forwarded. */
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive",
      "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer",
      "transfer-encoding", "upgrade");
  /** Names that carry identity or machine credentials in Portcullis or Cloudflare Access. */
  private static final List<String> IDENTITY_PREFIXES = List.of("x-portcullis-", "cf-access-",
      "portcullis-client-");
  /** Headers that claim the client's address; the gateway sets X-Forwarded-For instead. */
  private static final Set<String> CLIENT_ADDRESS = Set.of("forwarded", "x-real-ip",
      "true-client-ip", "x-client-ip", "cf-connecting-ip");
  /** Cookies whose names start with this are Portcullis's own. */
  public static final String COOKIE_PREFIX = "portcullis_";

  private HeaderHygiene() {}

  /**
   * Copies a client's request headers for the upstream, leaving out hop-by-hop headers, every
   * identity-carrying header, {@code Host} and {@code X-Forwarded-*} (set afresh by the caller),
   * and Portcullis's cookies.
   */
  public static void copyRequestHeaders(MultiMap from, MultiMap to) {
    Set<String> dropped = connectionTokens(from);
    for (var header : from) {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      if (HOP_BY_HOP.contains(name) || dropped.contains(name) || name.equals("host")
          || name.startsWith("x-forwarded-") || CLIENT_ADDRESS.contains(name)
          || isIdentityHeader(name)) {
        continue;
      }
      if (name.equals("cookie")) {
        String kept = withoutPortcullisCookies(header.getValue());
        if (!kept.isEmpty()) {
          to.add("Cookie", kept);
        }
        continue;
      }
      to.add(header.getKey(), header.getValue());
    }
  }

  /**
   * Copies an upstream's response headers for the client, leaving out hop-by-hop headers and any
   * attempt to set a Portcullis cookie; with {@code dropCors}, also the upstream's CORS headers,
   * when Portcullis answers CORS for the application itself.
   */
  public static void copyResponseHeaders(MultiMap from, MultiMap to, boolean dropCors) {
    Set<String> dropped = connectionTokens(from);
    for (var header : from) {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      if (HOP_BY_HOP.contains(name) || dropped.contains(name)
          || dropCors && name.startsWith("access-control-")) {
        continue;
      }
      if (name.equals("vary") && to.contains("Vary")) {
        // Portcullis set Vary: Origin already; keep both.
        to.set("Vary", to.get("Vary") + ", " + header.getValue());
        continue;
      }
      if (name.equals("set-cookie")
          && header.getValue().stripLeading().toLowerCase(Locale.ROOT).startsWith(COOKIE_PREFIX)) {
        continue;
      }
      to.add(header.getKey(), header.getValue());
    }
  }

  public static boolean isIdentityHeader(String lowerCaseName) {
    for (String prefix : IDENTITY_PREFIXES) {
      if (lowerCaseName.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /** Removes Portcullis's cookies from a {@code Cookie} header value; "" when none is left. */
  static String withoutPortcullisCookies(String cookieHeader) {
    return java.util.Arrays.stream(cookieHeader.split(";"))
        .map(String::strip)
        .filter(c -> !c.isEmpty() && !c.toLowerCase(Locale.ROOT).startsWith(COOKIE_PREFIX))
        .collect(Collectors.joining("; "));
  }

  private static Set<String> connectionTokens(MultiMap headers) {
    Set<String> tokens = new HashSet<>();
    for (String value : headers.getAll("connection")) {
      for (String token : value.split(",")) {
        tokens.add(token.strip().toLowerCase(Locale.ROOT));
      }
    }
    return tokens;
  }
}
