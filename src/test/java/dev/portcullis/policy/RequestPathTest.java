package dev.portcullis.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.policy.RequestPath.Normalized;
import dev.portcullis.policy.RequestPath.Refused;
import dev.portcullis.policy.RequestPath.Result;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestPathTest {
  /** Raw path, whether encoded slashes are allowed, the normalized path. */
  private static final String NORMALIZED = """
      /                        , false, /
      //                       , false, /
      ///                      , false, /
      /a                       , false, /a
      /a/                      , false, /a/
      /a/b/                    , false, /a/b/
      //a///b                  , false, /a/b
      /a//b//                  , false, /a/b/
      /a/./b                   , false, /a/b
      /a/.                     , false, /a/
      /a/./                    , false, /a/
      /a/..                    , false, /
      /a/b/..                  , false, /a/
      /a/b/../c                , false, /a/c
      /a//../b                 , false, /b
      /../../etc               , false, /etc
      /..                      , false, /
      /.                       , false, /
      /a/../../b/              , false, /b/
      /.../a/...               , false, /.../a/...
      /a/..b/.c/b.             , false, /a/..b/.c/b.
      /a/%2e%2e/b              , false, /b
      /a/.%2E/b                , false, /b
      /a/%2E/b                 , false, /a/b
      /%2e%2e/%2e%2e/etc       , false, /etc
      /a/%2e                   , false, /a/
      /%41%62%63               , false, /Abc
      /%7euser/%2D%5f%30       , false, /~user/-_0
      /%2e%41%2e%2e            , false, /.A..
      /a%2fb                   , true,  /a%2Fb
      /a%2Fb                   , true,  /a%2Fb
      /api/vhosts/%2F          , true,  /api/vhosts/%2F
      /a%5cb                   , true,  /a%5Cb
      /a;jsessionid=1/b        , false, /a;jsessionid=1/b
      /a/b;v=1.2               , false, /a/b;v=1.2
      /a/;/b                   , false, /a/;/b
      /a;../b                  , false, /a;../b
      /a/...;x                 , false, /a/...;x
      /%c3%a9t%c3%a9           , false, /%C3%A9t%C3%A9
      /a%3bb                   , false, /a%3Bb
      /a%20b                   , false, /a%20b
      /100%25                  , false, /100%25
      /%252e%252e/             , false, /%252e%252e/
      /a|b                     , false, /a%7Cb
      /{x}^[y]                 , false, /%7Bx%7D%5E%5By%5D
      '/a:b@c!$&()*+,=-'       , false, '/a:b@c!$&()*+,=-'
      """;

  /** Raw path, whether encoded slashes are allowed, the reason it is refused. */
  private static final String REFUSED = """
      a/b                      , false, path does not start with a slash
      ''                       , false, path does not start with a slash
      *                        , false, path does not start with a slash
      %2Fa                     , true,  path does not start with a slash
      /a%2fb                   , false, encoded slash in path
      /a%2Fb                   , false, encoded slash in path
      /a/%2F/../b              , false, encoded slash in path
      /a%5cb                   , false, encoded backslash in path
      /a%5Cb                   , false, encoded backslash in path
      /a\\b                    , false, backslash in path
      /a\\b                    , true,  backslash in path
      /a%00b                   , false, control character in path
      /a%1fb                   , false, control character in path
      /a%7F                    , false, control character in path
      /a%0A/b                  , true,  control character in path
      /a%                      , false, invalid percent-encoding in path
      /a%4                     , false, invalid percent-encoding in path
      /a%GG                    , false, invalid percent-encoding in path
      /a%4g/b                  , false, invalid percent-encoding in path
      /a%%41                   , false, invalid percent-encoding in path
      /..;/admin               , false, dot segment with parameters in path
      /a/..;x/b                , false, dot segment with parameters in path
      /a/.;x                   , false, dot segment with parameters in path
      /a/%2e%2e;/b             , false, dot segment with parameters in path
      /a/..%3B/b               , false, dot segment with parameters in path
      /a/..%2F..%2Fetc         , true,  dot segment next to an encoded slash in path
      /a/%2e%2e%2f             , true,  dot segment next to an encoded slash in path
      /a/x%5C.                 , true,  dot segment next to an encoded slash in path
      /a#b                     , false, fragment marker (#) in path
      /#                       , false, fragment marker (#) in path
      /a?b                     , false, question mark in path
      /café                    , false, unencoded non-ASCII character in path
      /a b                     , false, unencoded space in path
      """;

  @ParameterizedTest(name = "{0} (encoded slashes {1}) -> {2}")
  @CsvSource(textBlock = NORMALIZED)
  void normalizesToOneCanonicalPath(String raw, boolean allowEncodedSlashes, String path) {
    assertThat(RequestPath.normalize(raw, allowEncodedSlashes)).isEqualTo(new Normalized(path));
  }

  @ParameterizedTest(name = "{0} (encoded slashes {1}) -> {2}")
  @CsvSource(textBlock = REFUSED)
  void refusesWithAReasonForThePage(String raw, boolean allowEncodedSlashes, String reason) {
    assertThat(RequestPath.normalize(raw, allowEncodedSlashes)).isEqualTo(new Refused(reason));
  }

  @ParameterizedTest(name = "{2}")
  @CsvSource(textBlock = NORMALIZED)
  void normalizingANormalizedPathChangesNothing(
      String raw, boolean allowEncodedSlashes, String path) {
    assertThat(RequestPath.normalize(path, allowEncodedSlashes)).isEqualTo(new Normalized(path));
  }

  @Test
  void anAlreadyNormalPathIsReturnedWithoutACopy() {
    String raw = "/grafana/d/abc;x/panel-1";

    Normalized result = (Normalized) RequestPath.normalize(raw, false);

    assertThat(result.path()).isSameAs(raw);
  }

  @Test
  void everyEscapedByteIsDecodedKeptOrRefusedByItsClass() {
    String unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    for (boolean allowEncodedSlashes : new boolean[] {false, true}) {
      for (int b = 0; b < 256; b++) {
        String upper = String.format("%%%02X", b);
        Result expected;
        if (b < 0x20 || b == 0x7f) {
          expected = new Refused("control character in path");
        } else if (unreserved.indexOf(b) >= 0) {
          expected = new Normalized("/x" + (char) b);
        } else if (b == '/' && !allowEncodedSlashes) {
          expected = new Refused("encoded slash in path");
        } else if (b == '\\' && !allowEncodedSlashes) {
          expected = new Refused("encoded backslash in path");
        } else {
          expected = new Normalized("/x" + upper);
        }

        assertThat(RequestPath.normalize("/x" + upper.toLowerCase(), allowEncodedSlashes))
            .as("%s with encoded slashes %s", upper, allowEncodedSlashes)
            .isEqualTo(expected);
      }
    }
  }

  @Test
  void everyRawControlCharacterIsRefused() {
    for (char c = 0; c < 0x20; c++) {
      assertThat(RequestPath.normalize("/a" + c + "b", true))
          .as("U+%04X", (int) c)
          .isEqualTo(new Refused("control character in path"));
    }
    assertThat(RequestPath.normalize("/a\u007fb", true))
        .isEqualTo(new Refused("control character in path"));
  }

  @Test
  void everyRawNonAsciiCharacterIsRefused() {
    // Latin-1 decoding of UTF-8 bytes, a BMP letter, a surrogate pair, a no-break space.
    for (String raw : new String[] {"/\u0080", "/\u00c3\u00a9", "/\u4e2d", "/\ud83d\ude00",
        "/a\u00a0b", "/\uff0e\uff0e/etc"}) {
      assertThat(RequestPath.normalize(raw, true))
          .as(raw)
          .isEqualTo(new Refused("unencoded non-ASCII character in path"));
    }
  }

  @ParameterizedTest(name = "{0} under {1}: {2}")
  @CsvSource(textBlock = """
      /admin                   , /admin     , true
      /admin/                  , /admin     , true
      /admin/x                 , /admin     , true
      /admin/x/y/              , /admin     , true
      /administrator           , /admin     , false
      /adm                     , /admin     , false
      /                        , /admin     , false
      /x/admin                 , /admin     , false
      /Admin                   , /admin     , false
      /admin;jsessionid=1      , /admin     , true
      /admin;x/secret          , /admin     , true
      /adminx;y                , /admin     , false
      /admin%2Fsecret          , /admin     , true
      /admin%5Csecret          , /admin     , true
      /admin%2Dx               , /admin     , false
      /a/b/c                   , /a/b       , true
      /a/bc                    , /a/b       , false
      /a;p/b;q/c               , /a/b       , true
      /a%2Fb/c                 , /a/b       , true
      /admin                   , /admin/    , true
      /admin/x                 , /admin/    , true
      /admin                   , /          , true
      /                        , /          , true
      /anything/deep/          , /          , true
      /anything                , ''         , true
      """)
  void matchesAPathPrefixSegmentBySegment(String path, String prefix, boolean under) {
    assertThat(RequestPath.underPrefix(path, prefix)).isEqualTo(under);
  }

  @Test
  void aPrefixWithoutLeadingSlashIsAProgrammingError() {
    assertThatThrownBy(() -> RequestPath.underPrefix("/admin", "admin"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("path prefix 'admin' does not start with '/'");
  }

  @Test
  void randomPathsNormalizeLikeTheNaiveAlgorithmAndStayNormal() {
    String[] alphabet = {"/", ".", "%2e", "%2F", "a", ";", "%41"};
    Random random = new Random(20240607L);
    int normalized = 0;
    int refused = 0;

    for (int n = 0; n < 5000; n++) {
      StringBuilder raw = new StringBuilder("/");
      int tokens = random.nextInt(14);
      for (int t = 0; t < tokens; t++) {
        raw.append(alphabet[random.nextInt(alphabet.length)]);
      }
      boolean allowEncodedSlashes = random.nextBoolean();

      Result result = RequestPath.normalize(raw.toString(), allowEncodedSlashes);

      if (result instanceof Normalized(String path)) {
        normalized++;
        assertThat(path).as(raw.toString())
            .startsWith("/")
            .doesNotContain("//", "/./", "/../", "%2e", "%41")
            .doesNotEndWith("/.")
            .doesNotEndWith("/..")
            .isEqualTo(naive(raw.toString()));
        assertThat(RequestPath.normalize(path, allowEncodedSlashes)).as(raw.toString())
            .isEqualTo(result);
      } else {
        refused++;
        String reason = ((Refused) result).reason();
        if (reason.equals("encoded slash in path")) {
          assertThat(allowEncodedSlashes).as(raw.toString()).isFalse();
          assertThat(raw.toString()).contains("%2F");
        } else {
          assertThat(reason).as(raw.toString()).isIn(
              "dot segment with parameters in path",
              "dot segment next to an encoded slash in path");
        }
      }
    }

    // Both outcomes must be well represented for the loop to prove anything.
    assertThat(normalized).isGreaterThan(1000);
    assertThat(refused).isGreaterThan(1000);
  }

  /**
   * Reference model for paths over the random alphabet, written the slow and obvious way:
   * decode the two unreserved escapes, split, drop empty and '.', pop on '..'.
   */
  private static String naive(String raw) {
    String decoded = raw.replace("%2e", ".").replace("%41", "A");
    String[] segments = decoded.split("/", -1);
    Deque<String> kept = new ArrayDeque<>();
    for (int k = 1; k < segments.length; k++) {
      String segment = segments[k];
      if (segment.equals("..")) {
        kept.pollLast();
      } else if (!segment.isEmpty() && !segment.equals(".")) {
        kept.addLast(segment);
      }
    }
    String last = segments[segments.length - 1];
    boolean directory = last.isEmpty() || last.equals(".") || last.equals("..");
    String joined = "/" + String.join("/", kept);
    return directory && !kept.isEmpty() ? joined + "/" : joined;
  }
}
