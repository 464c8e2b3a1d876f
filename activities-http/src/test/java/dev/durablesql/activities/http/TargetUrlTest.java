package dev.durablesql.activities.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TargetUrlTest {

  @ParameterizedTest
  @CsvSource({
    "http://Example.COM, example.com, -1",
    "https://example.com:8443/a/b?c=d#e, example.com, 8443",
    "https://example.com?x=/y, example.com, -1",
    "https://example.com#frag, example.com, -1",
    "https://user:secret@example.com/, example.com, -1",
    "https://user:pw@example.com:81/, example.com, 81",
    "http://[2001:DB8::1]:8080/x, 2001:db8::1, 8080",
    "http://[::1]/, ::1, -1",
    "HTTPS://example.com/, example.com, -1"
  })
  void readsHostAndPortAsTheSpecPrescribes(String url, String host, int port)
      throws RequestRefused {
    TargetUrl target = TargetUrl.parse(url);

    assertThat(target.host()).isEqualTo(host);
    assertThat(target.port()).isEqualTo(port);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ftp://example.com/", "file:///etc/passwd", "example.com", "gopher://x"})
  void refusesSchemesOtherThanHttpAndHttps(String url) {
    assertThatThrownBy(() -> TargetUrl.parse(url))
        .isInstanceOf(RequestRefused.class)
        .hasMessageContaining("unsupported URL scheme");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://evil.com\\@good.com/",
        "https://user:p@ss@example.com/",
        "http://good.com:80:90/",
        "http:///path",
        "http://[::1/",
        "http://exa mple.com/",
        "http://example.com:99999/"
      })
  void refusesUrlsWhoseHostCannotBeReadUnambiguously(String url) {
    assertThatThrownBy(() -> TargetUrl.parse(url))
        .isInstanceOf(RequestRefused.class)
        .hasMessageStartingWith("Invalid URL");
  }

  @Test
  void pinsTheAddressKeepingPathQueryAndHostHeader() throws RequestRefused {
    TargetUrl target = TargetUrl.parse("https://user:pw@api.example.com:8443/a%20b/c?q=1%262#f");

    assertThat(target.pinnedTo(Resolvers.literal("93.184.216.34")))
        .hasToString("https://93.184.216.34:8443/a%20b/c?q=1%262");
    assertThat(target.pinnedTo(Resolvers.literal("2001:db8::1")))
        .hasToString("https://[2001:db8:0:0:0:0:0:1]:8443/a%20b/c?q=1%262");
    assertThat(target.hostHeader()).isEqualTo("api.example.com:8443");
  }

  @Test
  void hostHeaderOmitsTheDefaultPort() throws RequestRefused {
    assertThat(TargetUrl.parse("https://example.com:443/").hostHeader()).isEqualTo("example.com");
    assertThat(TargetUrl.parse("http://example.com/").hostHeader()).isEqualTo("example.com");
    assertThat(TargetUrl.parse("http://[::1]:8080/").hostHeader()).isEqualTo("[::1]:8080");
  }

  @Test
  void messagesHideUserInformation() {
    assertThat(Redaction.url("https://user:secret@example.com/x?y=@z"))
        .isEqualTo("https://***@example.com/x?y=@z");
    assertThat(Redaction.url("https://example.com/x?y=@z")).isEqualTo("https://example.com/x?y=@z");
  }
}
