package dev.durablesql.activities.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostPolicyTest {

  private static void check(HostPolicy policy, String url) throws RequestRefused {
    policy.check(TargetUrl.parse(url));
  }

  @Test
  void parsesModesAsSpeltInConfiguration() {
    assertThat(HostPolicy.of("disabled", null).mode()).isEqualTo(HostPolicy.Mode.DISABLED);
    assertThat(HostPolicy.of("Allow-All", null).mode()).isEqualTo(HostPolicy.Mode.ALLOW_ALL);
    assertThat(HostPolicy.of("allowlist", "api.example.com").mode())
        .isEqualTo(HostPolicy.Mode.ALLOWLIST);
  }

  @Test
  void unknownModeIsRefusedWithTheAcceptedOnes() {
    assertThatThrownBy(() -> HostPolicy.of("azure", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'azure'")
        .hasMessageContaining("disabled, allowlist or allow-all");
  }

  @Test
  void parsesEntriesWithWildcardsPortsAndBlanks() {
    HostPolicy policy = HostPolicy.allowlist(" API.example.com , *.blob.example.net:443,, ");

    assertThat(policy).hasToString("allowlist[api.example.com,*.blob.example.net:443]");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "*",
        "*.",
        "exa mple.com",
        "example.com:",
        "example.com:0",
        "example.com:65536",
        "example.com:http",
        "-example.com",
        "example..com",
        "ex*ample.com",
        "http://example.com"
      })
  void malformedEntryIsRefusedByName(String entry) {
    assertThatThrownBy(() -> HostPolicy.allowlist("good.example.com," + entry))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Malformed HTTP allowlist entry '" + entry + "'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.1", "[::1]:80", "::1", "127.1"})
  void ipAddressEntriesAreRefused(String entry) {
    assertThatThrownBy(() -> HostPolicy.allowlist(entry))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("IP addresses cannot be allowed");
  }

  @Test
  void emptyAllowlistIsRefused() {
    assertThatThrownBy(() -> HostPolicy.allowlist(" , "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("allowlist is empty");
  }

  @ParameterizedTest
  @CsvSource({
    "https://api.example.com/v1, true",
    "https://API.Example.COM:8443/v1, true",
    "https://user:pw@api.example.com/, true",
    "https://evil.com/?x=@api.example.com, false",
    "https://api.example.com.evil.com/, false",
    "https://a.blob.example.net/c, true",
    "https://a.b.blob.example.net/c, true",
    "https://blob.example.net/c, false",
    "http://a.blob.example.net/c, false",
    "https://a.blob.example.net:444/c, false",
    "https://ports.example.com:8443/, true",
    "https://ports.example.com/, false",
    "https://other.example.com/, false"
  })
  void allowsListedHostsOnly(String url, boolean allowed) {
    HostPolicy policy =
        HostPolicy.allowlist("api.example.com, *.blob.example.net:443, ports.example.com:8443");

    if (allowed) {
      assertThatCode(() -> check(policy, url)).doesNotThrowAnyException();
    } else {
      assertThatThrownBy(() -> check(policy, url))
          .isInstanceOf(RequestRefused.class)
          .hasMessageContaining("not in the allowed");
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://10.0.0.1/",
        "http://93.184.216.34:8080/x",
        "http://[::1]/",
        "http://[2001:db8::1]:443/",
        "http://2130706433/"
      })
  void bareIpHostsAreRefusedInAllowlistMode(String url) {
    HostPolicy policy = HostPolicy.allowlist("api.example.com");

    assertThatThrownBy(() -> check(policy, url))
        .isInstanceOf(RequestRefused.class)
        .hasMessageContaining("bare IP");
  }

  @Test
  void disabledRefusesEveryRequest() {
    assertThatThrownBy(() -> check(HostPolicy.disabled(), "https://api.example.com/"))
        .isInstanceOf(RequestRefused.class)
        .hasMessageContaining("outbound HTTP requests are disabled");
    assertThat(HostPolicy.disabled().isEnabled()).isFalse();
  }

  @Test
  void allowAllAcceptsAnyHostAndSkipsTheAddressFilter() {
    HostPolicy policy = HostPolicy.allowAll();

    assertThatCode(() -> check(policy, "http://10.0.0.1/")).doesNotThrowAnyException();
    assertThat(policy.filtersAddresses()).isFalse();
    assertThat(HostPolicy.allowlist("a.example.com").filtersAddresses()).isTrue();
  }
}
