package dev.portcullis.testing;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A plain HTTP client for tests that talks to 127.0.0.1 with any Host header (the surefire
 * configuration allows setting it), follows no redirect and keeps cookies per host only when
 * asked, like a browser would.
 */
public final class Http {
  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .followRedirects(HttpClient.Redirect.NEVER)
      .connectTimeout(Duration.ofSeconds(5))
      .build();
  private final int port;
  /** Cookie jar: host to cookie name to value. */
  private final Map<String, Map<String, String>> cookies = new LinkedHashMap<>();

  public Http(int port) {
    this.port = port;
  }

  public HttpResponse<String> get(String url, String... headers) {
    return send("GET", url, null, headers);
  }

  public HttpResponse<String> postForm(String url, Map<String, String> form, String... headers) {
    String body = form.entrySet().stream()
        .map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
        .collect(Collectors.joining("&"));
    String[] all = java.util.Arrays.copyOf(headers, headers.length + 2);
    all[headers.length] = "Content-Type";
    all[headers.length + 1] = "application/x-www-form-urlencoded";
    return send("POST", url, body, all);
  }

  /**
   * Sends a request for {@code url} (whose host goes into the Host header) to 127.0.0.1, with
   * the jar's cookies for that host, and stores cookies the response sets.
   */
  public HttpResponse<String> send(String method, String url, String body, String... headers) {
    URI target = URI.create(url);
    String host = target.getHost();
    String path = target.getRawPath() + (target.getRawQuery() == null ? "" : "?"
        + target.getRawQuery());
    HttpRequest.Builder request = HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + (path.isEmpty() ? "/" : path)))
        .timeout(Duration.ofSeconds(20))
        .header("Host", host + ":" + port)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    boolean cookieGiven = false;
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
      cookieGiven |= headers[i].equalsIgnoreCase("Cookie");
    }
    Map<String, String> jar = cookies.getOrDefault(host, Map.of());
    if (!cookieGiven && !jar.isEmpty()) {
      request.header("Cookie", jar.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
          .collect(Collectors.joining("; ")));
    }
    try {
      HttpResponse<String> response = client.send(request.build(),
          HttpResponse.BodyHandlers.ofString());
      remember(host, response.headers().allValues("set-cookie"));
      return response;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void remember(String host, List<String> setCookies) {
    for (String header : setCookies) {
      String pair = header.split(";", 2)[0];
      int eq = pair.indexOf('=');
      String name = pair.substring(0, eq).strip();
      String value = pair.substring(eq + 1).strip();
      Map<String, String> jar = cookies.computeIfAbsent(host, h -> new LinkedHashMap<>());
      if (value.isEmpty() || header.toLowerCase().contains("max-age=0")) {
        jar.remove(name);
      } else {
        jar.put(name, value);
      }
    }
  }

  public String cookie(String host, String name) {
    return cookies.getOrDefault(host, Map.of()).get(name);
  }

  public void setCookie(String host, String name, String value) {
    cookies.computeIfAbsent(host, h -> new LinkedHashMap<>()).put(name, value);
  }

  public void clearCookies() {
    cookies.clear();
  }

  /** The first capture group of a pattern in a text, or an assertion failure. */
  public static String find(String text, String regex) {
    Matcher matcher = Pattern.compile(regex).matcher(text);
    if (!matcher.find()) {
      throw new AssertionError("no match for " + regex + " in:\n" + text);
    }
    return matcher.group(1);
  }

  private static String enc(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
