package dev.portcullis.machine;

import java.util.List;
import java.util.function.Function;

/**
 * Reads the service token a request presents: {@code Portcullis-Client-Id} and
 * {@code Portcullis-Client-Secret}, or Cloudflare Access's {@code CF-Access-Client-Id} and
 * {@code CF-Access-Client-Secret} for teams moving over. Pure: the caller passes a
 * case-insensitive header lookup (Vert.x's {@code request::getHeader} is one).
 *
 * <p>Fail closed on ambiguity: half a pair, or both families carrying different pairs, is
 * {@link Malformed}, never a guess at which one was meant. An empty value counts as absent.
 */
public final class ServiceTokenHeaders {
  public static final String CLIENT_ID = "Portcullis-Client-Id";
  public static final String CLIENT_SECRET = "Portcullis-Client-Secret";
  public static final String CF_CLIENT_ID = "CF-Access-Client-Id";
  public static final String CF_CLIENT_SECRET = "CF-Access-Client-Secret";
  /** Every header that can carry a token; none of them may reach an upstream. */
  public static final List<String> ALL =
      List.of(CLIENT_ID, CLIENT_SECRET, CF_CLIENT_ID, CF_CLIENT_SECRET);

  private ServiceTokenHeaders() {}

  /** What the headers hold. */
  public sealed interface Presented permits None, Pair, Malformed {}

  /** No token header at all: the request is not a machine's (or not trying to be). */
  public record None() implements Presented {}

  /** A complete pair; {@code toString()} never shows the secret. */
  public record Pair(String clientId, String secret) implements Presented {
    @Override
    public String toString() {
      return "Pair[clientId=" + clientId + ", secret=(hidden)]";
    }
  }

  /**
   * Token headers that cannot be used.
   *
   * @param reason a short sentence for a 401 body; it names headers, never values
   */
  public record Malformed(String reason) implements Presented {}

  /** Reads the token headers through {@code header}, which returns null for an absent one. */
  public static Presented read(Function<String, String> header) {
    Presented ours = pair(header, CLIENT_ID, CLIENT_SECRET);
    Presented cloudflare = pair(header, CF_CLIENT_ID, CF_CLIENT_SECRET);
    if (ours instanceof Malformed) {
      return ours;
    }
    if (cloudflare instanceof Malformed) {
      return cloudflare;
    }
    if (ours instanceof Pair a && cloudflare instanceof Pair b && !a.equals(b)) {
      return new Malformed("the Portcullis-Client-* and CF-Access-Client-* headers carry "
          + "different service tokens");
    }
    return ours instanceof Pair ? ours : cloudflare;
  }

  private static Presented pair(Function<String, String> header, String idName,
      String secretName) {
    String id = blankToNull(header.apply(idName));
    String secret = blankToNull(header.apply(secretName));
    if (id == null && secret == null) {
      return new None();
    }
    if (id == null || secret == null) {
      return new Malformed(idName + " and " + secretName + " must be sent together");
    }
    return new Pair(id, secret);
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }
}
