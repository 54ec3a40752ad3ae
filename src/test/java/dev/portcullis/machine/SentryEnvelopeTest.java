package dev.portcullis.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.machine.SentryEnvelope.Accepted;
import dev.portcullis.machine.SentryEnvelope.Refusal;
import dev.portcullis.machine.SentryEnvelope.Refused;
import dev.portcullis.machine.SentryEnvelope.Result;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SentryEnvelopeTest {
  private static final String DSN = "https://0123456789abcdef@sentry.example.com/4";
  /** What the browser SDK sends through its tunnel: header with dsn, item without length. */
  private static final String BROWSER_ENVELOPE = "{\"event_id\":"
      + "\"9ec79c33ec9942ab8353589fcb2e04dc\",\"sent_at\":\"2026-12-04T10:00:00.000Z\","
      + "\"sdk\":{\"name\":\"sentry.javascript.browser\","
      + "\"version\":\"11.12.0\"},\"dsn\":\"" + DSN + "\"}\n"
      + "{\"type\":\"event\"}\n"
      + "{\"exception\":{\"values\":[{\"type\":\"Error\",\"value\":\"boom\"}]},"
      + "\"platform\":\"javascript\"}";

  private final SentryEnvelope relay = new SentryEnvelope("sentry.example.com", Set.of("4", "7"),
      SentryEnvelope.DEFAULT_MAX_BYTES);

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String withDsn(String dsn) {
    return "{\"dsn\":\"" + dsn + "\"}\n{\"type\":\"event\"}\n{}";
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  private static byte[] deflate(byte[] data, boolean raw) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DeflaterOutputStream d = new DeflaterOutputStream(out,
        new Deflater(Deflater.DEFAULT_COMPRESSION, raw))) {
      d.write(data);
    }
    return out.toByteArray();
  }

  @Test
  void browserSdkEnvelopeIsAcceptedWithItsBytesUnchanged() {
    byte[] body = utf8(BROWSER_ENVELOPE);

    Result result = relay.check(null, body);

    assertThat(result).isInstanceOfSatisfying(Accepted.class, accepted -> {
      assertThat(accepted.projectId()).isEqualTo("4");
      assertThat(accepted.body()).isSameAs(body);
      assertThat(accepted.contentEncoding()).isNull();
      assertThat(accepted.upstreamPath()).isEqualTo("/api/4/envelope/");
    });
    assertThat(body).isEqualTo(utf8(BROWSER_ENVELOPE));
  }

  @ParameterizedTest
  @CsvSource(nullValues = "NULL", value = {
      "NULL, NULL", "'', NULL", "identity, NULL", "IDENTITY, NULL", "' identity ', NULL"})
  void uncompressedBodiesAreForwardedWithoutAnEncoding(String header, String forwarded) {
    assertThat(relay.check(header, utf8(BROWSER_ENVELOPE)))
        .isInstanceOfSatisfying(Accepted.class,
            a -> assertThat(a.contentEncoding()).isEqualTo(forwarded));
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip", "GZIP", "x-gzip", " gzip "})
  void gzipBodyIsCheckedInflatedAndForwardedStillCompressed(String header) throws IOException {
    byte[] body = gzip(utf8(BROWSER_ENVELOPE));

    assertThat(relay.check(header, body)).isInstanceOfSatisfying(Accepted.class, a -> {
      assertThat(a.body()).isSameAs(body);
      assertThat(a.contentEncoding()).isEqualTo("gzip");
      assertThat(a.projectId()).isEqualTo("4");
    });
  }

  @Test
  void deflateBodyIsAcceptedWhetherZlibWrappedOrRaw() throws IOException {
    for (boolean raw : new boolean[] {false, true}) {
      byte[] body = deflate(utf8(BROWSER_ENVELOPE), raw);

      assertThat(relay.check("deflate", body)).as("raw=%s", raw)
          .isInstanceOfSatisfying(Accepted.class, a -> {
            assertThat(a.body()).isSameAs(body);
            assertThat(a.contentEncoding()).isEqualTo("deflate");
          });
    }
  }

  @ParameterizedTest
  @CsvSource({
      "https://key@sentry.example.com/4, 4",
      "https://key:legacy-secret@sentry.example.com/7, 7",
      "https://key@SENTRY.Example.COM/4, 4",
      "https://key@sentry.example.com:8443/4, 4",
      "http://key@sentry.example.com/4, 4",
      "HTTPS://key@sentry.example.com/4, 4",
      "https://key@sentry.example.com/sentry/prefix/7, 7"})
  void dsnFormsSentryUsesAreAccepted(String dsn, String project) {
    assertThat(relay.check(null, utf8(withDsn(dsn))))
        .isInstanceOfSatisfying(Accepted.class,
            a -> assertThat(a.projectId()).isEqualTo(project));
  }

  @Test
  void applicationHostIsComparedCaseInsensitively() {
    SentryEnvelope upper = new SentryEnvelope("Sentry.Example.COM", Set.of("4"), 1000);

    assertThat(upper.check(null, utf8(withDsn(DSN)))).isInstanceOf(Accepted.class);
  }

  /** Single quotes stand for double quotes, to keep the table readable. */
  private static String j(String text) {
    return text.replace('\'', '"');
  }

  /** An envelope header line for project 4 on the application's host. */
  private static final String H = "{'dsn':'https://k@sentry.example.com/4'}\n";

  private record Bad(String what, String body, int status, String code) {}

  private static final List<Bad> BAD = List.of(
      new Bad("empty body", "", 400, "envelope-empty"),
      new Bad("header not JSON", "not json\n{'type':'event'}\n{}", 400,
          "envelope-header-malformed"),
      new Bad("header a JSON array", "['dsn']\n{'type':'event'}\n{}", 400,
          "envelope-header-malformed"),
      new Bad("header a JSON string", "'dsn'", 400, "envelope-header-malformed"),
      new Bad("header blank", "\n{'type':'event'}\n{}", 400, "envelope-header-malformed"),
      new Bad("two values on line one", "{'dsn':'https://k@sentry.example.com/4'} {}", 400,
          "envelope-header-malformed"),
      new Bad("truncated header", "{'dsn':'https://k@sentry.example.com/4'", 400,
          "envelope-header-malformed"),
      new Bad("duplicate dsn keys",
          "{'dsn':'https://k@sentry.example.com/4','dsn':'https://k@evil.example/4'}", 400,
          "envelope-header-malformed"),
      new Bad("no dsn", "{'event_id':'abc'}\n{'type':'event'}\n{}", 400,
          "envelope-dsn-missing"),
      new Bad("dsn null", "{'dsn':null}", 400, "envelope-dsn-missing"),
      new Bad("dsn a number", "{'dsn':4}", 400, "envelope-dsn-malformed"),
      new Bad("dsn an object", "{'dsn':{'host':'sentry.example.com'}}", 400,
          "envelope-dsn-malformed"),
      new Bad("dsn not a URL", "{'dsn':'not a url'}", 400, "envelope-dsn-malformed"),
      new Bad("dsn without key", "{'dsn':'https://sentry.example.com/4'}", 400,
          "envelope-dsn-malformed"),
      new Bad("dsn with empty key", "{'dsn':'https://:secret@sentry.example.com/4'}", 400,
          "envelope-dsn-malformed"),
      new Bad("dsn without project", "{'dsn':'https://k@sentry.example.com'}", 400,
          "envelope-dsn-malformed"),
      new Bad("dsn with trailing slash", "{'dsn':'https://k@sentry.example.com/4/'}", 400,
          "envelope-dsn-malformed"),
      new Bad("dsn project not a number", "{'dsn':'https://k@sentry.example.com/abc'}", 400,
          "envelope-dsn-malformed"),
      new Bad("dsn project a dot segment", "{'dsn':'https://k@sentry.example.com/4/..'}", 400,
          "envelope-dsn-malformed"),
      new Bad("dsn other scheme", "{'dsn':'ftp://k@sentry.example.com/4'}", 400,
          "envelope-dsn-malformed"),
      new Bad("dsn with query", "{'dsn':'https://k@sentry.example.com/4?x=1'}", 400,
          "envelope-dsn-malformed"),
      new Bad("dsn with fragment", "{'dsn':'https://k@sentry.example.com/4#x'}", 400,
          "envelope-dsn-malformed"),
      new Bad("dsn relative", "{'dsn':'/api/4/envelope/'}", 400, "envelope-dsn-malformed"),
      new Bad("dsn for another host", "{'dsn':'https://k@sentry.evil.example/4'}", 403,
          "envelope-dsn-host-mismatch"),
      new Bad("dsn host a longer name", "{'dsn':'https://k@evil-sentry.example.com/4'}", 403,
          "envelope-dsn-host-mismatch"),
      new Bad("dsn host with a suffix",
          "{'dsn':'https://k@sentry.example.com.evil.example/4'}", 403,
          "envelope-dsn-host-mismatch"),
      new Bad("dsn host a parent", "{'dsn':'https://k@example.com/4'}", 403,
          "envelope-dsn-host-mismatch"),
      new Bad("project not allowed", "{'dsn':'https://k@sentry.example.com/5'}", 403,
          "envelope-project-not-allowed"),
      new Bad("project with a leading zero", "{'dsn':'https://k@sentry.example.com/04'}", 403,
          "envelope-project-not-allowed"),
      new Bad("item header not JSON", H + "event\n{}", 400, "envelope-item-malformed"),
      new Bad("item header without type", H + "{'length':2}\n{}", 400,
          "envelope-item-malformed"),
      new Bad("item type not a string", H + "{'type':1}\n{}", 400, "envelope-item-malformed"),
      new Bad("item length past the end", H + "{'type':'event','length':99}\n{}", 400,
          "envelope-item-malformed"),
      new Bad("item length negative", H + "{'type':'event','length':-1}\n{}", 400,
          "envelope-item-malformed"),
      new Bad("item length fractional", H + "{'type':'event','length':1.5}\n{}", 400,
          "envelope-item-malformed"),
      new Bad("item length a string", H + "{'type':'event','length':'2'}\n{}", 400,
          "envelope-item-malformed"),
      new Bad("item length huge", H + "{'type':'event','length':99999999999999999999}\n{}",
          400, "envelope-item-malformed"),
      new Bad("payload longer than its length", H + "{'type':'event','length':1}\n{}", 400,
          "envelope-item-malformed"),
      new Bad("second item malformed", H + "{'type':'event'}\n{}\n{oops}\n{}", 400,
          "envelope-item-malformed"));

  @Test
  void malformedOrForeignEnvelopesAreRefused() {
    for (Bad row : BAD) {
      Result result = relay.check(null, utf8(j(row.body())));

      assertThat(result).as(row.what()).isInstanceOfSatisfying(Refused.class, refused -> {
        assertThat(refused.status()).as(row.what()).isEqualTo(row.status());
        assertThat(refused.code()).as(row.what()).isEqualTo(row.code());
        assertThat(refused.message()).isNotBlank();
      });
    }
  }

  @Test
  void itemsWithExactLengthsMayCarryNewlinesAndBinaryPayloads() {
    byte[] payload = {'a', '\n', 0, (byte) 0xff, '\n'};
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(utf8(withDsn(DSN) + "\n{\"type\":\"attachment\",\"length\":5}\n"));
    out.writeBytes(payload);
    out.writeBytes(utf8("\n{\"type\":\"attachment\",\"length\":0}\n\n{\"type\":\"session\"}\n{}"));

    assertThat(relay.check(null, out.toByteArray())).isInstanceOf(Accepted.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"dsn\":\"https://k@sentry.example.com/4\"}",
      "{\"dsn\":\"https://k@sentry.example.com/4\"}\n",
      "{\"dsn\":\"https://k@sentry.example.com/4\"}\r\n{\"type\":\"event\"}\r\n{}\r\n",
      "{\"dsn\":\"https://k@sentry.example.com/4\"}\n{\"type\":\"event\"}\n{}\n\n\n",
      "{\"dsn\":\"https://k@sentry.example.com/4\"}\n{\"type\":\"event\",\"length\":2}\n{}",
      "{\"dsn\":\"https://k@sentry.example.com/4\"}\n{\"type\":\"event\",\"length\":null}\n{}",
      "{\"dsn\":\"https://k@sentry.example.com/4\"}\n{\"type\":\"client_report\"}"})
  void envelopesTheFormatAllowsAreAccepted(String body) {
    assertThat(relay.check(null, utf8(body))).isInstanceOf(Accepted.class);
  }

  @Test
  void bodyOfExactlyTheLimitIsAcceptedAndOneByteMoreIsRefused() {
    String base = withDsn(DSN);
    int limit = 200;
    SentryEnvelope small = new SentryEnvelope("sentry.example.com", Set.of("4"), limit);
    String padded = base.substring(0, base.length() - 2) + "{\"x\":\""
        + "a".repeat(limit - base.length() - 6) + "\"}";
    assertThat(utf8(padded)).hasSize(limit);

    assertThat(small.check(null, utf8(padded))).isInstanceOf(Accepted.class);
    assertThat(small.check(null, utf8(padded + " "))).isEqualTo(new Refused(Refusal.TOO_LARGE,
        "the envelope is larger than 200 bytes"));
  }

  @Test
  void compressedBodyIsCappedAfterInflatingToo() throws IOException {
    SentryEnvelope small = new SentryEnvelope("sentry.example.com", Set.of("4"), 1000);
    byte[] inflatesTo1001 = utf8(withDsn(DSN).replace("{}", "{\"x\":\""
        + "a".repeat(1001 - withDsn(DSN).length() - 6) + "\"}"));
    assertThat(inflatesTo1001).hasSize(1001);
    byte[] inflatesTo1000 = Arrays.copyOf(inflatesTo1001, 1000);
    inflatesTo1000[999] = '}';
    inflatesTo1000[998] = '"';

    assertThat(small.check("gzip", gzip(inflatesTo1001)))
        .isInstanceOfSatisfying(Refused.class, r -> assertThat(r.status()).isEqualTo(413));
    assertThat(small.check("deflate", deflate(inflatesTo1001, false)))
        .isInstanceOfSatisfying(Refused.class, r -> assertThat(r.status()).isEqualTo(413));
    assertThat(small.check("gzip", gzip(inflatesTo1000))).isInstanceOf(Accepted.class);
  }

  @Test
  void compressedBodyOverTheLimitAsReceivedIsRefusedBeforeInflating() throws IOException {
    SentryEnvelope tiny = new SentryEnvelope("sentry.example.com", Set.of("4"), 20);
    byte[] body = gzip(utf8(BROWSER_ENVELOPE));
    assertThat(body.length).isGreaterThan(20);

    assertThat(tiny.check("gzip", body)).isEqualTo(new Refused(Refusal.TOO_LARGE,
        "the envelope is larger than 20 bytes"));
  }

  @Test
  void gzipBombIsRefusedAfterInflatingNoMoreThanTheLimit() throws IOException {
    byte[] header = utf8(withDsn(DSN) + "\n{\"type\":\"attachment\"}\n");
    byte[] bomb = gzip(concat(header, new byte[64 << 20]));
    assertThat(bomb.length).isLessThan(SentryEnvelope.DEFAULT_MAX_BYTES);

    assertThat(relay.check("gzip", bomb)).isEqualTo(new Refused(Refusal.TOO_LARGE,
        "the envelope is larger than 1048576 bytes"));

    CountingStream input = new CountingStream(new ByteArrayInputStream(bomb));
    assertThat(SentryEnvelope.inflateAtMost(input, "gzip", SentryEnvelope.DEFAULT_MAX_BYTES))
        .isNull();
    // Zeros deflate about a thousandfold: a mebibyte takes about 1 KiB of the bomb's 64 KiB.
    assertThat(input.count).isLessThan(4096);
  }

  @Test
  void deflateBombIsRefusedTheSameWay() throws IOException {
    byte[] bomb = deflate(new byte[64 << 20], false);
    CountingStream input = new CountingStream(new ByteArrayInputStream(bomb));

    assertThat(relay.check("deflate", bomb)).isInstanceOfSatisfying(Refused.class,
        r -> assertThat(r.code()).isEqualTo("envelope-too-large"));
    assertThat(SentryEnvelope.inflateAtMost(input, "deflate", 1 << 20)).isNull();
    assertThat(input.count).isLessThan(4096);
  }

  @Test
  void inflatingWithinTheLimitReturnsEveryByte() throws IOException {
    byte[] data = utf8(BROWSER_ENVELOPE.repeat(20));

    assertThat(SentryEnvelope.inflateAtMost(new ByteArrayInputStream(gzip(data)), "gzip",
        data.length)).isEqualTo(data);
    assertThat(SentryEnvelope.inflateAtMost(new ByteArrayInputStream(gzip(data)), "gzip",
        data.length - 1)).isNull();
  }

  @Test
  void corruptOrTruncatedCompressionIsABadRequest() throws IOException {
    byte[] gz = gzip(utf8(BROWSER_ENVELOPE));
    byte[] deflated = deflate(utf8(BROWSER_ENVELOPE), false);
    byte[] flipped = gz.clone();
    flipped[gz.length / 2] ^= 0x55;
    List<byte[]> gzipBodies = List.of(utf8(BROWSER_ENVELOPE), Arrays.copyOf(gz, gz.length / 2),
        flipped, new byte[0]);

    for (byte[] body : gzipBodies) {
      assertThat(relay.check("gzip", body)).isInstanceOfSatisfying(Refused.class, r -> {
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isIn("envelope-compression-invalid", "envelope-empty");
      });
    }
    assertThat(relay.check("deflate", Arrays.copyOf(deflated, deflated.length / 2)))
        .isEqualTo(new Refused(Refusal.BAD_COMPRESSION, "the body is not valid deflate data"));
    assertThat(relay.check("gzip", utf8(BROWSER_ENVELOPE)))
        .isEqualTo(new Refused(Refusal.BAD_COMPRESSION, "the body is not valid gzip data"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"br", "zstd", "compress", "gzip, gzip", "gzip,identity", "chunked",
      "x-custom"})
  void encodingsThatCannotBeCheckedAreUnsupportedMediaType(String header) {
    assertThat(relay.check(header, utf8(BROWSER_ENVELOPE))).isEqualTo(new Refused(
        Refusal.UNSUPPORTED_ENCODING, "Content-Encoding must be gzip, deflate or none"));
  }

  @Test
  void relayWithNoProjectsAcceptsNone() {
    SentryEnvelope none = new SentryEnvelope("sentry.example.com", Set.of(), 1000);

    assertThat(none.check(null, utf8(BROWSER_ENVELOPE))).isEqualTo(new Refused(
        Refusal.PROJECT_NOT_ALLOWED, "project 4 is not accepted by this relay"));
  }

  @Test
  void hostAndProjectRefusalsSayWhatIsWrongWithoutQuotingTheKey() {
    assertThat(relay.check(null, utf8(withDsn("https://0123456789abcdef@other.example/4"))))
        .isEqualTo(new Refused(Refusal.WRONG_HOST,
            "the envelope's DSN names another host than sentry.example.com"));
  }

  @Test
  void refusalsHaveStableStatusesAndCodes() {
    assertThat(List.of(Refusal.values())).extracting(Refusal::status, Refusal::code)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(400, "envelope-empty"),
            org.assertj.core.groups.Tuple.tuple(400, "envelope-header-malformed"),
            org.assertj.core.groups.Tuple.tuple(400, "envelope-dsn-missing"),
            org.assertj.core.groups.Tuple.tuple(400, "envelope-dsn-malformed"),
            org.assertj.core.groups.Tuple.tuple(400, "envelope-item-malformed"),
            org.assertj.core.groups.Tuple.tuple(400, "envelope-compression-invalid"),
            org.assertj.core.groups.Tuple.tuple(403, "envelope-dsn-host-mismatch"),
            org.assertj.core.groups.Tuple.tuple(403, "envelope-project-not-allowed"),
            org.assertj.core.groups.Tuple.tuple(413, "envelope-too-large"),
            org.assertj.core.groups.Tuple.tuple(415, "envelope-encoding-unsupported"));
  }

  @Test
  void acceptedToStringDoesNotDumpTheBody() {
    Accepted accepted = (Accepted) relay.check(null, utf8(BROWSER_ENVELOPE));

    assertThat(accepted.toString()).isEqualTo("Accepted[projectId=4, bytes="
        + utf8(BROWSER_ENVELOPE).length + ", contentEncoding=null]");
  }

  @Test
  void relayNeedsAHostAndAPositiveLimit() {
    assertThatThrownBy(() -> new SentryEnvelope("", Set.of("4"), 10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SentryEnvelope(null, Set.of("4"), 10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SentryEnvelope("sentry.example.com", Set.of("4"), 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(new SentryEnvelope("sentry.example.com", Set.of("4"), 10).maxBytes())
        .isEqualTo(10);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Counts the compressed bytes the inflater actually pulled. */
  private static final class CountingStream extends FilterInputStream {
    long count;

    CountingStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}
