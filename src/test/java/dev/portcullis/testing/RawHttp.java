package dev.portcullis.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 exchange over a plain socket to 127.0.0.1, for requests that {@code java.net.http}
 * will not send as written: a {@code Content-Length} that promises more than follows, or a
 * chunked body whose chunks the test chooses. Every request asks for {@code Connection: close};
 * the answer is read as its framing says, without waiting for the server to close.
 */
public final class RawHttp {
  /** Long enough for a loaded CI machine; a refusal arrives in milliseconds. */
  private static final int READ_TIMEOUT_MS = 15_000;

  private RawHttp() {}

  /**
   * An answer as received; header names are lower-cased.
   *
   * @param body the body after undoing chunked framing, as UTF-8 text
   */
  public record Response(int status, Map<String, List<String>> headers, String body) {
    /** The header's values joined with ", ", or null when absent. */
    public String header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null ? null : String.join(", ", values);
    }
  }

  /** How the body goes on the wire. */
  public enum Framing {
    /** {@code Content-Length} of the body, then the body. */
    LENGTH,
    /** {@code Transfer-Encoding: chunked} in chunks of at most 16 KiB, then the last chunk. */
    CHUNKED,
    /**
     * {@code Transfer-Encoding: chunked}, the body in chunks, and no last chunk: the client is
     * still sending when it starts reading, as one that streams a body too large would be.
     */
    CHUNKED_UNFINISHED
  }

  /**
   * Sends a request and reads the answer.
   *
   * @param headers name and value pairs besides {@code Host}, {@code Connection} and the framing
   *     header, which are set here
   * @param body null for none
   */
  public static Response send(int port, String method, String host, String target,
      byte[] body, Framing framing, String... headers) throws IOException {
    StringBuilder head = new StringBuilder()
        .append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
        .append("Host: ").append(host).append(':').append(port).append("\r\n")
        .append("Connection: close\r\n");
    for (int i = 0; i < headers.length; i += 2) {
      head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
    }
    if (body != null && framing == Framing.LENGTH) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    } else if (body != null) {
      head.append("Transfer-Encoding: chunked\r\n");
    }
    head.append("\r\n");
    return exchange(port, head.toString(), body, framing);
  }

  /**
   * Sends only a request head that declares a {@code Content-Length} and no body at all, as a
   * client waiting to see whether the server wants the body would.
   */
  public static Response sendHeadOnly(int port, String method, String host, String target,
      long declaredLength, String... headers) throws IOException {
    StringBuilder head = new StringBuilder()
        .append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
        .append("Host: ").append(host).append(':').append(port).append("\r\n")
        .append("Connection: close\r\n")
        .append("Content-Length: ").append(declaredLength).append("\r\n");
    for (int i = 0; i < headers.length; i += 2) {
      head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
    }
    head.append("\r\n");
    return exchange(port, head.toString(), null, Framing.LENGTH);
  }

  private static Response exchange(int port, String head, byte[] body, Framing framing)
      throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(READ_TIMEOUT_MS);
      OutputStream out = socket.getOutputStream();
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      try {
        writeBody(out, body, framing);
      } catch (IOException closedEarly) {
        // The server may answer and close before the whole body is written; its answer is
        // still waiting to be read.
      }
      return read(new BufferedInputStream(socket.getInputStream()));
    }
  }

  private static void writeBody(OutputStream out, byte[] body, Framing framing)
      throws IOException {
    if (body == null) {
      out.flush();
      return;
    }
    if (framing == Framing.LENGTH) {
      out.write(body);
      out.flush();
      return;
    }
    int chunk = 16 * 1024;
    for (int at = 0; at < body.length; at += chunk) {
      int n = Math.min(chunk, body.length - at);
      out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.write(body, at, n);
      out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }
    if (framing == Framing.CHUNKED) {
      out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
    out.flush();
  }

  /**
   * Reads one response: the head, then a body framed by {@code Content-Length} or chunked
   * encoding, or else whatever arrives until the server closes. It does not wait for the close
   * after a framed body: a server may keep the connection open for a body it never read.
   */
  private static Response read(InputStream in) throws IOException {
    String statusLine = line(in);
    if (statusLine == null) {
      throw new IOException("the server closed the connection without answering");
    }
    int status = Integer.parseInt(statusLine.split(" ", 3)[1]);
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String line = line(in); line != null && !line.isEmpty(); line = line(in)) {
      int colon = line.indexOf(':');
      headers.computeIfAbsent(line.substring(0, colon).strip().toLowerCase(Locale.ROOT),
          k -> new ArrayList<>()).add(line.substring(colon + 1).strip());
    }
    List<String> encoding = headers.getOrDefault("transfer-encoding", List.of());
    List<String> length = headers.get("content-length");
    byte[] body;
    if (encoding.stream().anyMatch(v -> v.equalsIgnoreCase("chunked"))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (int n = chunkSize(in); n > 0; n = chunkSize(in)) {
        out.write(in.readNBytes(n));
        line(in);
      }
      body = out.toByteArray();
    } else if (length != null) {
      body = in.readNBytes(Integer.parseInt(length.get(0)));
    } else {
      body = in.readAllBytes();
    }
    return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
  }

  private static int chunkSize(InputStream in) throws IOException {
    String line = line(in);
    return line == null ? 0 : Integer.parseInt(line.split(";", 2)[0].strip(), 16);
  }

  /** One CRLF-terminated line without its terminator; null at the end of the stream. */
  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        byte[] bytes = out.toByteArray();
        int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1
            : bytes.length;
        return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
      }
      out.write(b);
    }
    return out.size() == 0 ? null : out.toString(StandardCharsets.ISO_8859_1);
  }
}
