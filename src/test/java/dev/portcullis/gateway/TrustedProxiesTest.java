package dev.portcullis.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The client address that ip rules see: taken from X-Forwarded-For only as far as trusted
 * proxies wrote it, and unknown (so no ip rule matches) when a trusted hop is not an address.
 */
class TrustedProxiesTest {
  private static final String CONFIG = """
      listen: 127.0.0.1:{port}
      data_dir: {data}
      trusted_proxies: [127.0.0.1/32, 10.0.0.0/8]
      auth:
        url: http://auth.localhost:{port}
      identity_providers:
        - { id: email, type: onetimepin, delivery: console }
      applications:
        - name: office
          host: office.localhost
          upstream: http://127.0.0.1:{upstream}
          policies:
            - name: staff-in-the-office
              action: allow
              include: [ { email_domain: [example.com] } ]
              require: [ { ip: [203.0.113.0/24, "2001:db8::/32"] } ]
        - name: app
          host: app.localhost
          upstream: http://127.0.0.1:{upstream}
          policies:
            - { name: staff, action: allow, include: [ { email_domain: [example.com] } ] }
      """;

  @TempDir
  Path dir;

  @ParameterizedTest(name = "X-Forwarded-For: {0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "203.0.113.7                        | 200",
      "198.51.100.1, 203.0.113.7          | 200",
      "203.0.113.7, 198.51.100.1          | 403",
      "203.0.113.7, 10.1.2.3              | 200",
      "2001:db8::5                        | 200",
      "198.51.100.1                       | 403",
      "203.0.113.7:4431                   | 403",
      "not-an-address                     | 403",
  })
  void ipRulesSeeTheClientAsTrustedProxiesReportIt(String forwardedFor, int status)
      throws Exception {
    try (TestGateway gateway = TestGateway.start(dir, CONFIG, Map.of())) {
      Http http = gateway.http();
      // Signed in through the application that has no ip rule, then sent to the one that has.
      gateway.signIn(http, "you@example.com", gateway.appUrl("app.localhost", "/"));
      String target = gateway.appUrl("office.localhost", "/");
      String authorize = gateway.authUrl("/authorize?redirect_url="
          + java.net.URLEncoder.encode(target, java.nio.charset.StandardCharsets.UTF_8));

      var answer = http.get(authorize, "Accept", "application/json", "X-Forwarded-For",
          forwardedFor);

      assertThat(answer.statusCode() == 302 ? 200 : answer.statusCode()).isEqualTo(status);
    }
  }

  @Test
  void theUpstreamGetsTheWholeChainWhenTheProxyIsTrusted() throws Exception {
    try (TestGateway gateway = TestGateway.start(dir, CONFIG, Map.of())) {
      Http http = gateway.http();
      gateway.signIn(http, "you@example.com", gateway.appUrl("app.localhost", "/"));

      http.get(gateway.appUrl("app.localhost", "/x"), "Accept", "application/json",
          "X-Forwarded-For", "198.51.100.1, 203.0.113.7", "X-Real-IP", "6.6.6.6");

      var seen = gateway.upstream().take();
      assertThat(seen.header("x-forwarded-for")).isEqualTo("198.51.100.1, 203.0.113.7, "
          + "127.0.0.1");
      assertThat(seen.header("x-real-ip")).isNull();
    }
  }
}
