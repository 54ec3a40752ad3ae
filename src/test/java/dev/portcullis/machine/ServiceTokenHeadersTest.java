package dev.portcullis.machine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.machine.ServiceTokenHeaders.Malformed;
import dev.portcullis.machine.ServiceTokenHeaders.None;
import dev.portcullis.machine.ServiceTokenHeaders.Pair;
import dev.portcullis.machine.ServiceTokenHeaders.Presented;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ServiceTokenHeadersTest {

  /** A case-insensitive lookup over the given name-value pairs. */
  private static Presented read(String... nameValues) {
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (int i = 0; i < nameValues.length; i += 2) {
      headers.put(nameValues[i], nameValues[i + 1]);
    }
    return ServiceTokenHeaders.read(headers::get);
  }

  @Test
  void requestWithoutTokenHeadersPresentsNone() {
    assertThat(read()).isEqualTo(new None());
    assertThat(read("Authorization", "Bearer x")).isEqualTo(new None());
    assertThat(read("Portcullis-Client-Id", " ", "Portcullis-Client-Secret", ""))
        .isEqualTo(new None());
  }

  @Test
  void eitherFamilyOfHeadersPresentsThePair() {
    assertThat(read("Portcullis-Client-Id", "ci.abc", "Portcullis-Client-Secret", "s3cret"))
        .isEqualTo(new Pair("ci.abc", "s3cret"));
    assertThat(read("cf-access-client-id", "ci.abc", "CF-ACCESS-CLIENT-SECRET", "s3cret"))
        .isEqualTo(new Pair("ci.abc", "s3cret"));
  }

  @Test
  void bothFamiliesCarryingTheSamePairIsThatPair() {
    assertThat(read("Portcullis-Client-Id", "ci.abc", "Portcullis-Client-Secret", "s3cret",
        "CF-Access-Client-Id", "ci.abc", "CF-Access-Client-Secret", "s3cret"))
        .isEqualTo(new Pair("ci.abc", "s3cret"));
  }

  @Test
  void halfAPairOrTwoDifferentPairsIsMalformed() {
    record Row(String[] headers, String reason) {}
    for (Row row : new Row[] {
        new Row(new String[] {"Portcullis-Client-Id", "ci.abc"},
            "Portcullis-Client-Id and Portcullis-Client-Secret must be sent together"),
        new Row(new String[] {"CF-Access-Client-Secret", "s3cret"},
            "CF-Access-Client-Id and CF-Access-Client-Secret must be sent together"),
        new Row(new String[] {"Portcullis-Client-Id", "ci.abc",
            "CF-Access-Client-Secret", "s3cret"},
            "Portcullis-Client-Id and Portcullis-Client-Secret must be sent together"),
        new Row(new String[] {"Portcullis-Client-Id", "ci.abc", "Portcullis-Client-Secret", "a",
            "CF-Access-Client-Id", "ci.abc", "CF-Access-Client-Secret", "b"},
            "the Portcullis-Client-* and CF-Access-Client-* headers carry different service "
                + "tokens")}) {
      assertThat(read(row.headers())).isEqualTo(new Malformed(row.reason()));
    }
  }

  @Test
  void pairToStringHidesTheSecret() {
    assertThat(new Pair("ci.abc", "s3cret").toString())
        .isEqualTo("Pair[clientId=ci.abc, secret=(hidden)]");
  }

  @Test
  void everyTokenHeaderIsListedForRemovalBeforeForwarding() {
    assertThat(ServiceTokenHeaders.ALL).extracting(h -> h.toLowerCase(Locale.ROOT))
        .containsExactlyInAnyOrder("portcullis-client-id", "portcullis-client-secret",
            "cf-access-client-id", "cf-access-client-secret");
  }
}
