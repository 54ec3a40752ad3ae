package dev.portcullis.machine;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * The check a {@code sentry_envelope} relay applies to a request body before forwarding it: is
 * this a Sentry envelope, for a project this relay serves, on this application's Sentry, and
 * small enough? Pure and thread-safe; one instance per relay.
 *
 * <p>The envelope format: a first line holding a JSON object (the envelope header, which for a
 * tunnel carries the {@code dsn}), then items, each a line with a JSON header ({@code type}
 * required, {@code length} optional) and a payload of {@code length} bytes, or up to the next
 * newline without one. The browser SDK sends it as {@code text/plain;charset=UTF-8} so that no
 * CORS preflight is needed; other SDKs send {@code application/x-sentry-envelope}. The content
 * type is therefore not checked: the structure is.
 *
 * <p>Design note. Limits come first and hold for every encoding: the body as received may not
 * exceed {@code maxBytes}, and a compressed body ({@code Content-Encoding} {@code gzip},
 * {@code x-gzip} or {@code deflate}, zlib-wrapped or raw) is inflated as a stream that stops
 * one byte past {@code maxBytes}, so a gzip bomb costs at most that much work and memory.
 * Then the first line must be exactly one JSON object, with no duplicate keys (Sentry and
 * Jackson might otherwise read different {@code dsn} values), holding a DSN,
 * {@code SCHEME://PUBLIC_KEY[:SECRET]@HOST[:PORT][/PREFIX]/PROJECT_ID}, whose host is the
 * application's (case-insensitive; the port is ignored because an application's host has none
 * and the relay forwards only to its own upstream whatever the DSN says) and whose project id,
 * all digits, is on the relay's list. Last, every item must parse. Nothing is changed: an
 * accepted envelope is forwarded byte for byte as it came, with its content encoding.
 *
 * <p>Known shortcomings. {@code br} and {@code zstd} bodies are refused (415): the JDK has no
 * decoder for them, and a body that cannot be inflated cannot be checked. The work is a few
 * milliseconds at most (inflating and scanning up to {@code maxBytes}); a caller that wants the
 * event loop entirely free runs {@link #check} on a worker.
 */
public final class SentryEnvelope {
  /** 1 MiB: ample for a browser's error event, which is a few KiB, yet cheap to inflate. */
  public static final int DEFAULT_MAX_BYTES = 1 << 20;

  /** Sentry project ids are numbers; anything else must never reach an upstream path. */
  private static final Pattern PROJECT_ID = Pattern.compile("[0-9]{1,20}");
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final String host;
  private final Set<String> projects;
  private final int maxBytes;

  /**
   * @param host the application's host name (for an application with a wildcard host, the host
   *     the request was addressed to), without port; compared case-insensitively
   * @param projects the project ids the relay accepts; empty accepts none
   * @param maxBytes the most bytes a body may have, as received and after inflating; positive
   */
  public SentryEnvelope(String host, Set<String> projects, int maxBytes) {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host is required");
    }
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
    }
    this.host = host.toLowerCase(Locale.ROOT);
    this.projects = Set.copyOf(projects);
    this.maxBytes = maxBytes;
  }

  /** The most bytes a body may have; a caller stops reading a request past this many. */
  public int maxBytes() {
    return maxBytes;
  }

  /** The outcome of {@link #check}. */
  public sealed interface Result permits Accepted, Refused {}

  /**
   * Forward this envelope.
   *
   * @param projectId the DSN's project id, one of the relay's
   * @param body the bytes exactly as received (not a copy: do not change them)
   * @param contentEncoding what to send as {@code Content-Encoding}: {@code gzip},
   *     {@code deflate}, or null for none
   */
  public record Accepted(String projectId, byte[] body, String contentEncoding)
      implements Result {
    /** Sentry's ingest path for this project, below the upstream's own path prefix. */
    public String upstreamPath() {
      return "/api/" + projectId + "/envelope/";
    }

    @Override
    public String toString() {
      return "Accepted[projectId=" + projectId + ", bytes=" + body.length + ", contentEncoding="
          + contentEncoding + "]";
    }
  }

  /**
   * Refuse the request.
   *
   * @param message one sentence for the JSON body; it quotes nothing secret
   */
  public record Refused(Refusal reason, String message) implements Result {
    public int status() {
      return reason.status();
    }

    public String code() {
      return reason.code();
    }
  }

  /** Why a body was refused, with its HTTP status and stable kebab-case code. */
  public enum Refusal {
    EMPTY_ENVELOPE(400, "envelope-empty"),
    MALFORMED_HEADER(400, "envelope-header-malformed"),
    MISSING_DSN(400, "envelope-dsn-missing"),
    MALFORMED_DSN(400, "envelope-dsn-malformed"),
    MALFORMED_ITEM(400, "envelope-item-malformed"),
    BAD_COMPRESSION(400, "envelope-compression-invalid"),
    WRONG_HOST(403, "envelope-dsn-host-mismatch"),
    PROJECT_NOT_ALLOWED(403, "envelope-project-not-allowed"),
    TOO_LARGE(413, "envelope-too-large"),
    UNSUPPORTED_ENCODING(415, "envelope-encoding-unsupported");

    private final int status;
    private final String code;

    Refusal(int status, String code) {
      this.status = status;
      this.code = code;
    }

    public int status() {
      return status;
    }

    public String code() {
      return code;
    }
  }

  /**
   * Checks one request body.
   *
   * @param contentEncoding the request's {@code Content-Encoding}, or null; {@code identity},
   *     {@code gzip}, {@code x-gzip} and {@code deflate} are understood (case-insensitive),
   *     anything else, a list included, is refused with 415
   * @param body the body as received, never null
   */
  public Result check(String contentEncoding, byte[] body) {
    if (body.length > maxBytes) {
      return tooLarge();
    }
    String encoding = encoding(contentEncoding);
    if (encoding == null) {
      return new Refused(Refusal.UNSUPPORTED_ENCODING, "Content-Encoding must be gzip, deflate "
          + "or none");
    }

    byte[] envelope;
    try {
      envelope = encoding.isEmpty() ? body
          : inflateAtMost(new ByteArrayInputStream(body), encoding, maxBytes);
    } catch (IOException e) {
      return new Refused(Refusal.BAD_COMPRESSION, "the body is not valid " + encoding + " data");
    }
    if (envelope == null) {
      return tooLarge();
    }

    if (envelope.length == 0) {
      return new Refused(Refusal.EMPTY_ENVELOPE, "the body is empty");
    }
    int headerEnd = lineEnd(envelope, 0);
    JsonNode header = parseLine(envelope, 0, headerEnd);
    if (header == null || !header.isObject()) {
      return new Refused(Refusal.MALFORMED_HEADER,
          "the first line of the body is not a JSON object");
    }
    JsonNode dsnField = header.get("dsn");
    if (dsnField == null || dsnField.isNull()) {
      return new Refused(Refusal.MISSING_DSN, "the envelope header has no \"dsn\"");
    }
    Dsn dsn = dsnField.isTextual() ? Dsn.parse(dsnField.asText()) : null;
    if (dsn == null) {
      return new Refused(Refusal.MALFORMED_DSN, "the envelope's \"dsn\" is not a Sentry DSN "
          + "(https://KEY@HOST/PROJECT_ID)");
    }
    if (!dsn.host().equals(host)) {
      return new Refused(Refusal.WRONG_HOST, "the envelope's DSN names another host than "
          + host);
    }
    if (!projects.contains(dsn.projectId())) {
      return new Refused(Refusal.PROJECT_NOT_ALLOWED, "project " + dsn.projectId()
          + " is not accepted by this relay");
    }

    Refused badItem = checkItems(envelope, headerEnd + 1);
    if (badItem != null) {
      return badItem;
    }
    return new Accepted(dsn.projectId(), body, encoding.isEmpty() ? null : encoding);
  }

  private Refused tooLarge() {
    return new Refused(Refusal.TOO_LARGE, "the envelope is larger than " + maxBytes + " bytes");
  }

  /** The normalized encoding: "" for none, "gzip" or "deflate"; null when not understood. */
  private static String encoding(String header) {
    if (header == null) {
      return "";
    }
    return switch (header.strip().toLowerCase(Locale.ROOT)) {
      case "", "identity" -> "";
      case "gzip", "x-gzip" -> "gzip";
      case "deflate" -> "deflate";
      default -> null;
    };
  }

  /**
   * Inflates a gzip or deflate stream, reading no more input than it takes to produce
   * {@code limit + 1} bytes.
   *
   * @return the inflated bytes, or null when they would exceed {@code limit}
   * @throws IOException when the input is not valid data of that encoding
   */
  static byte[] inflateAtMost(InputStream compressed, String encoding, int limit)
      throws IOException {
    Inflater inflater = null;
    InputStream in;
    if (encoding.equals("gzip")) {
      in = new GZIPInputStream(compressed);
    } else {
      // RFC 9110 says "deflate" is the zlib format, but some clients send raw deflate: a zlib
      // stream starts with a header whose CM is 8 and whose two bytes are a multiple of 31.
      PushbackInputStream peek = new PushbackInputStream(compressed, 2);
      byte[] first = peek.readNBytes(2);
      peek.unread(first);
      boolean zlib = first.length == 2 && (first[0] & 0x0F) == 8
          && (((first[0] & 0xFF) << 8) | (first[1] & 0xFF)) % 31 == 0;
      inflater = new Inflater(!zlib);
      in = new InflaterInputStream(peek, inflater);
    }
    try (in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      long total = 0;
      int n;
      while ((n = in.read(buffer, 0, (int) Math.min(buffer.length, limit + 1L - total))) > 0) {
        total += n;
        if (total > limit) {
          return null;
        }
        out.write(buffer, 0, n);
      }
      return out.toByteArray();
    } finally {
      if (inflater != null) {
        // An inflater we passed in is not ended by the stream; free its native memory now.
        inflater.end();
      }
    }
  }

  /** Walks the items from {@code at}; returns why one is malformed, or null when none is. */
  private static Refused checkItems(byte[] e, int start) {
    int at = start;
    while (at < e.length) {
      // Blank lines between items and at the end carry nothing; refusing them would only
      // risk refusing some SDK's harmless quirk.
      if (e[at] == '\n' || e[at] == '\r') {
        at++;
        continue;
      }
      int headerEnd = lineEnd(e, at);
      JsonNode item = parseLine(e, at, headerEnd);
      if (item == null || !item.isObject() || !item.path("type").isTextual()) {
        return new Refused(Refusal.MALFORMED_ITEM,
            "an item header is not a JSON object with a \"type\"");
      }
      int payload = headerEnd + 1;
      JsonNode length = item.get("length");
      if (length == null || length.isNull()) {
        at = lineEnd(e, Math.min(payload, e.length)) + 1;
        continue;
      }
      if (!length.canConvertToLong() || !length.isIntegralNumber() || length.asLong() < 0
          || length.asLong() > e.length - (long) Math.min(payload, e.length)) {
        return new Refused(Refusal.MALFORMED_ITEM,
            "an item's \"length\" does not fit the envelope");
      }
      at = payload + (int) length.asLong();
      if (at < e.length && e[at] != '\n') {
        return new Refused(Refusal.MALFORMED_ITEM,
            "an item's payload is not followed by a newline");
      }
      at++;
    }
    return null;
  }

  /** The index of the newline ending the line that starts at {@code start}, or the length. */
  private static int lineEnd(byte[] bytes, int start) {
    for (int i = start; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        return i;
      }
    }
    return bytes.length;
  }

  /** One line as a single JSON value, or null when it is not exactly one. */
  private static JsonNode parseLine(byte[] bytes, int start, int end) {
    if (end <= start) {
      return null;
    }
    try {
      return JSON.readTree(bytes, start, end - start);
    } catch (IOException e) {
      // JsonProcessingException included: any parse failure means "not one JSON value".
      return null;
    }
  }

  /**
   * The parts of a DSN the relay checks.
   *
   * @param host lower case, without port
   * @param projectId digits only, so it is safe in an upstream path
   */
  record Dsn(String host, String projectId) {
    /**
     * Parses {@code SCHEME://PUBLIC_KEY[:SECRET]@HOST[:PORT][/PREFIX]/PROJECT_ID} with scheme
     * http or https, no query and no fragment; returns null for anything else.
     */
    static Dsn parse(String text) {
      URI uri;
      try {
        uri = new URI(text);
      } catch (URISyntaxException e) {
        return null;
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      String key = uri.getRawUserInfo();
      String path = uri.getRawPath();
      if (!(scheme.equals("https") || scheme.equals("http")) || uri.getHost() == null
          || key == null || key.isEmpty() || key.startsWith(":") || uri.getRawQuery() != null
          || uri.getRawFragment() != null || path == null) {
        return null;
      }
      String projectId = path.substring(path.lastIndexOf('/') + 1);
      return PROJECT_ID.matcher(projectId).matches()
          ? new Dsn(uri.getHost().toLowerCase(Locale.ROOT), projectId) : null;
    }
  }
}
