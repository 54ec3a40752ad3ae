package dev.portcullis.policy;

/**
 * The one normalization of a request path. Its result decides which application and policy a
 * request falls under and is also the exact path sent to the upstream, so a policy never judges
 * one path while the upstream serves another.
 *
 * <p>Design note. The input is the raw path of the request-target, the query already split off
 * at the first {@code ?}. One pass over it decodes the escapes of unreserved characters (RFC 3986
 * section 2.3: letters, digits, {@code - . _ ~}), upper-cases the hex of every other escape,
 * collapses repeated slashes and resolves dot segments as section 5.2.4 does, after decoding, so
 * {@code /a/%2e%2e/b} is {@code /b}. A {@code ..} at the root stays at the root. A trailing slash
 * is kept, and a final {@code .} or {@code ..} leaves one ({@code /a/.} is {@code /a/}). The
 * printable ASCII characters a path may not carry raw but some clients send anyway
 * ({@code " < > [ ] ^ ` { | }}) are percent-encoded, so each of them has one spelling.
 *
 * <p>Refused, each with a short reason for a 400 page: a path not starting with {@code /}; a
 * {@code #} or {@code ?} (the caller should never pass either); a {@code %} without two hex
 * digits; control characters raw or encoded ({@code %00}-{@code %1F}, {@code %7F}); a raw space
 * or raw non-ASCII character (RFC 3986 requires them percent-encoded, and a raw one means a
 * client or proxy that disagrees with us about the bytes); a raw backslash always, because
 * some upstreams treat it as a slash; {@code %2F} and {@code %5C} unless the application allows
 * encoded slashes, and then they stay encoded, never decoded into a separator. Refused too is a
 * segment that is a dot segment only once something after it is ignored: {@code ..;x} (Tomcat,
 * Jetty and Spring drop {@code ;} parameters before resolving dots) and {@code ..%3B}, and, when
 * encoded slashes are allowed, a {@code .} or {@code ..} between them ({@code ..%2F..%2Fetc}),
 * which an upstream decoding {@code %2F} would walk up with. Any other {@code ;} text is kept.
 *
 * <p>Idempotence: a normalized path holds only {@code /}, characters allowed raw in a segment
 * and upper-case escapes of bytes that are neither unreserved nor control, has no empty, dot or
 * disguised dot segment, and so normalizes to itself (with the same encoded-slash setting).
 *
 * <p>Known shortcomings. Escapes of reserved characters ({@code %40}, {@code %3A}, {@code %3B}...)
 * stay as sent, because decoding them can change what the upstream reads, so {@code /a@b} and
 * {@code /a%40b} are different paths to a policy; path prefixes should therefore be made of
 * unreserved characters. Escaped non-ASCII bytes are not checked to be UTF-8, so an upstream that
 * decodes overlong forms ({@code %C0%AE} as a dot) or decodes twice ({@code %252e}) can see a dot
 * segment this class did not. Paths are case-sensitive, which an upstream on a case-insensitive
 * file system is not.
 */
public final class RequestPath {
  /** The outcome of {@link #normalize}: a path to route and forward, or a reason to refuse. */
  public sealed interface Result permits Normalized, Refused {}

  /** A normalized path: starts with {@code /}, and normalizing it again returns it unchanged. */
  public record Normalized(String path) implements Result {}

  /** A path refused as a bad request; {@code reason} is a short sentence fit for a 400 page. */
  public record Refused(String reason) implements Result {}

  private static final Refused NO_LEADING_SLASH = new Refused("path does not start with a slash");
  private static final Refused FRAGMENT = new Refused("fragment marker (#) in path");
  private static final Refused QUESTION_MARK = new Refused("question mark in path");
  private static final Refused INVALID_PERCENT = new Refused("invalid percent-encoding in path");
  private static final Refused CONTROL = new Refused("control character in path");
  private static final Refused SPACE = new Refused("unencoded space in path");
  private static final Refused NON_ASCII = new Refused("unencoded non-ASCII character in path");
  private static final Refused BACKSLASH = new Refused("backslash in path");
  private static final Refused ENCODED_SLASH = new Refused("encoded slash in path");
  private static final Refused ENCODED_BACKSLASH = new Refused("encoded backslash in path");
  private static final Refused DOT_WITH_PARAMETERS =
      new Refused("dot segment with parameters in path");
  private static final Refused DOT_BESIDE_ENCODED_SLASH =
      new Refused("dot segment next to an encoded slash in path");

  /** RFC 3986 section 2.3: the only characters whose escapes are decoded. */
  private static final String UNRESERVED_CHARS =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
  /** Escapes of these decode to the same URI (section 6.2.2.2), so decoding is always safe. */
  private static final boolean[] UNRESERVED = asciiTable(UNRESERVED_CHARS);
  /** Section 3.3 pchar without escapes: unreserved, sub-delims, ':' and '@' pass unchanged. */
  private static final boolean[] RAW_ALLOWED = asciiTable(UNRESERVED_CHARS + "!$&'()*+,;=:@");
  /** Upper-case hex, the form section 6.2.2.1 recommends for escapes. */
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  /** Outcomes of closing one segment, kept as ints to spare the hot path an allocation. */
  private static final int KEPT = 0;
  private static final int DROPPED = 1;
  private static final int HIDDEN_DOT_PARAMETERS = 2;
  private static final int HIDDEN_DOT_ENCODED_SLASH = 3;

  private RequestPath() {}

  /**
   * Normalizes a raw request path.
   *
   * @param raw the path exactly as received, without the query; never null
   * @param allowEncodedSlashes whether {@code %2F} and {@code %5C} may appear (kept encoded);
   *     a raw backslash is refused either way
   * @return {@link Normalized} with the path to route and forward, or {@link Refused}
   */
  public static Result normalize(String raw, boolean allowEncodedSlashes) {
    int length = raw.length();
    if (length == 0 || raw.charAt(0) != '/') {
      return NO_LEADING_SLASH;
    }

    // out holds "/seg/seg..." without the trailing slash; segmentStart is the '/' opening the
    // segment being written, which is judged once its end is reached.
    StringBuilder out = new StringBuilder(length + 8);
    int segmentStart = 0;
    out.append('/');
    int i = 1;
    while (true) {
      if (i == length || raw.charAt(i) == '/') {
        int outcome = closeSegment(out, segmentStart);
        if (outcome == HIDDEN_DOT_PARAMETERS) {
          return DOT_WITH_PARAMETERS;
        }
        if (outcome == HIDDEN_DOT_ENCODED_SLASH) {
          return DOT_BESIDE_ENCODED_SLASH;
        }
        if (i == length) {
          // An empty, '.' or '..' last segment leaves the path naming a directory.
          if (outcome == DROPPED || out.length() == 0) {
            out.append('/');
          }
          break;
        }
        segmentStart = out.length();
        out.append('/');
        i++;
        continue;
      }

      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= length) {
          return INVALID_PERCENT;
        }
        int high = hexValue(raw.charAt(i + 1));
        int low = hexValue(raw.charAt(i + 2));
        if (high < 0 || low < 0) {
          return INVALID_PERCENT;
        }
        int b = high << 4 | low;
        if (b < 0x20 || b == 0x7f) {
          return CONTROL;
        } else if (b < 0x80 && UNRESERVED[b]) {
          out.append((char) b);
        } else if (b == '/' || b == '\\') {
          if (!allowEncodedSlashes) {
            return b == '/' ? ENCODED_SLASH : ENCODED_BACKSLASH;
          }
          appendEscape(out, b);
        } else {
          appendEscape(out, b);
        }
        i += 3;
        continue;
      }

      if (c >= 0x80) {
        return NON_ASCII;
      } else if (c < 0x20 || c == 0x7f) {
        return CONTROL;
      } else if (RAW_ALLOWED[c]) {
        out.append(c);
      } else if (c == ' ') {
        return SPACE;
      } else if (c == '#') {
        return FRAGMENT;
      } else if (c == '?') {
        return QUESTION_MARK;
      } else if (c == '\\') {
        return BACKSLASH;
      } else {
        // " < > [ ] ^ ` { | }: not allowed raw, harmless encoded, and given one spelling.
        appendEscape(out, c);
      }
      i++;
    }

    // Most paths are already normal; hand back the caller's string rather than a copy.
    return new Normalized(raw.contentEquals(out) ? raw : out.toString());
  }

  /**
   * Whether a normalized path lies under an application's path prefix, segment by segment:
   * {@code /admin} covers {@code /admin}, {@code /admin/} and {@code /admin/x} but not
   * {@code /administrator}; {@code /} (or an empty prefix) covers everything, and a trailing
   * slash on the prefix is ignored. Two things an upstream may read as the prefix count as it:
   * {@code ;} parameters on a path segment ({@code /admin;x/y}, which servlet containers map as
   * {@code /admin/y}), and an encoded slash or backslash after the prefix ({@code /admin%2Fy}).
   * Comparison is case-sensitive.
   *
   * @param normalizedPath a path returned in {@link Normalized}
   * @param prefix a normalized path prefix, starting with {@code /}
   * @throws IllegalArgumentException if the prefix is not empty and does not start with '/'
   */
  public static boolean underPrefix(String normalizedPath, String prefix) {
    int prefixEnd = prefix.length();
    if (prefixEnd > 0 && prefix.charAt(0) != '/') {
      throw new IllegalArgumentException("path prefix '" + prefix + "' does not start with '/'");
    }
    if (prefixEnd > 0 && prefix.charAt(prefixEnd - 1) == '/') {
      prefixEnd--;
    }

    int p = 0;
    int q = 0;
    while (q < prefixEnd) {
      // q is at a '/' of the prefix; the path must have a separator at p too.
      int separator = separatorLength(normalizedPath, p);
      if (separator == 0) {
        return false;
      }
      p += separator;
      q++;

      int prefixSegmentEnd = q;
      while (prefixSegmentEnd < prefixEnd && prefix.charAt(prefixSegmentEnd) != '/') {
        prefixSegmentEnd++;
      }
      int prefixNameEnd = nameEnd(prefix, q, prefixSegmentEnd);
      int pathSegmentEnd = p;
      while (pathSegmentEnd < normalizedPath.length()
          && separatorLength(normalizedPath, pathSegmentEnd) == 0) {
        pathSegmentEnd++;
      }
      int pathNameEnd = nameEnd(normalizedPath, p, pathSegmentEnd);

      int nameLength = prefixNameEnd - q;
      if (pathNameEnd - p != nameLength
          || !normalizedPath.regionMatches(p, prefix, q, nameLength)) {
        return false;
      }
      p = pathSegmentEnd;
      q = prefixSegmentEnd;
    }
    return true;
  }

  /**
   * Judges the segment that starts with the '/' at {@code start} and runs to the end of
   * {@code out}: drops it if empty or '.', drops it and its parent if '..', refuses it if it
   * hides a dot segment, else keeps it.
   */
  private static int closeSegment(StringBuilder out, int start) {
    int from = start + 1;
    int length = out.length() - from;
    if (length == 0 || length == 1 && out.charAt(from) == '.') {
      out.setLength(start);
      return DROPPED;
    }
    if (length == 2 && out.charAt(from) == '.' && out.charAt(from + 1) == '.') {
      out.setLength(start);
      // Segments carry no raw '/', so the previous '/' opens the parent; at the root, none.
      out.setLength(Math.max(0, out.lastIndexOf("/")));
      return DROPPED;
    }
    return hiddenDot(out, from, out.length());
  }

  /**
   * Looks for a '.' or '..' that an upstream could still resolve inside a kept segment: the
   * name of a piece (its text before ';' or %3B) where pieces are split at %2F and %5C. The
   * segment is already in canonical form, so escapes are upper case.
   */
  private static int hiddenDot(CharSequence segment, int from, int to) {
    int nameLength = 0;
    boolean allDots = true;
    boolean inParameters = false;
    boolean split = false;
    int k = from;
    while (true) {
      boolean atSlash = isEscape(segment, k, to, '2', 'F') || isEscape(segment, k, to, '5', 'C');
      if (k == to || atSlash) {
        if (allDots && (nameLength == 1 || nameLength == 2)) {
          // Without an encoded slash in the segment, only parameters can hide the dots.
          return split || atSlash ? HIDDEN_DOT_ENCODED_SLASH : HIDDEN_DOT_PARAMETERS;
        }
        if (k == to) {
          return KEPT;
        }
        split = true;
        nameLength = 0;
        allDots = true;
        inParameters = false;
        k += 3;
        continue;
      }

      char c = segment.charAt(k);
      if (c == ';' || isEscape(segment, k, to, '3', 'B')) {
        inParameters = true;
      } else if (!inParameters) {
        nameLength++;
        allDots &= c == '.';
      }
      k++;
    }
  }

  /** Whether {@code s} holds the escape {@code %} high low at {@code k}, before {@code to}. */
  private static boolean isEscape(CharSequence s, int k, int to, char high, char low) {
    return k + 2 < to && s.charAt(k) == '%' && s.charAt(k + 1) == high
        && s.charAt(k + 2) == low;
  }

  /** 1 for '/', 3 for an encoded slash or backslash, 0 for anything else or the end. */
  private static int separatorLength(String path, int at) {
    if (at >= path.length()) {
      return 0;
    }
    if (path.charAt(at) == '/') {
      return 1;
    }
    int to = path.length();
    return isEscape(path, at, to, '2', 'F') || isEscape(path, at, to, '5', 'C') ? 3 : 0;
  }

  /** The end of a segment's name: its first ';', or its end. */
  private static int nameEnd(String s, int from, int to) {
    for (int k = from; k < to; k++) {
      if (s.charAt(k) == ';') {
        return k;
      }
    }
    return to;
  }

  private static void appendEscape(StringBuilder out, int b) {
    out.append('%').append(HEX[b >> 4]).append(HEX[b & 0xf]);
  }

  private static int hexValue(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    } else if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  }

  private static boolean[] asciiTable(String chars) {
    boolean[] table = new boolean[128];
    for (int k = 0; k < chars.length(); k++) {
      table[chars.charAt(k)] = true;
    }
    return table;
  }
}
