package dev.durablesql.activities.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BodyTextTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "text/plain",
        "TEXT/HTML; charset=utf-8",
        "text/csv",
        "application/json",
        "Application/JSON;charset=UTF-8",
        "application/problem+json",
        "image/svg+xml",
        "application/atom+xml",
        "application/openapi+yaml",
        "application/xml",
        "application/javascript",
        "application/ecmascript",
        "application/x-www-form-urlencoded",
        "application/graphql",
        "application/yaml",
        "application/x-yaml"
      })
  void textContentTypes(String contentType) {
    assertThat(BodyText.declaresText(contentType)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "image/png",
        "application/octet-stream",
        "application/pdf",
        "application/jsonl",
        "application/x-json-stream",
        "multipart/form-data; boundary=x",
        "json",
        ""
      })
  void nonTextContentTypes(String contentType) {
    assertThat(BodyText.declaresText(contentType)).isFalse();
  }

  @Test
  void charsetComesFromTheParameterAndDefaultsToUtf8() {
    assertThat(BodyText.charset("text/plain; charset=ISO-8859-1")).isEqualTo(ISO_8859_1);
    assertThat(BodyText.charset("text/plain;CHARSET=\"iso-8859-1\"")).isEqualTo(ISO_8859_1);
    assertThat(BodyText.charset("text/plain")).isEqualTo(UTF_8);
    assertThat(BodyText.charset("text/plain; charset=no-such-charset")).isEqualTo(UTF_8);
  }

  @Test
  void declaredTextIsDecodedLossily() {
    HttpHeaders headers = headers(Map.of("Content-Type", List.of("text/plain; charset=utf-8")));

    HttpEnvelope envelope = BodyText.envelope(200, headers, new byte[] {'a', (byte) 0xff, 'b'}, 1);

    assertThat(envelope.encoding()).isEqualTo("text");
    assertThat(envelope.body()).isEqualTo("a\uFFFDb");
  }

  @Test
  void undeclaredBytesAreTextOnlyWhenValidUtf8WithoutNul() {
    assertThat(BodyText.isUtf8WithoutNul("grüße ✓ 😀".getBytes(UTF_8))).isTrue();
    assertThat(BodyText.isUtf8WithoutNul(new byte[] {'a', 0, 'b'})).isFalse();
    assertThat(BodyText.isUtf8WithoutNul(new byte[] {(byte) 0xc3})).isFalse();
    assertThat(BodyText.isUtf8WithoutNul(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}))
        .isFalse();
  }

  @Test
  void keepsTheLastVisibleAsciiValueOfEachHeaderUnderALowerCaseName() {
    HttpHeaders headers =
        headers(
            Map.of(
                "X-Multi", List.of("first", "second"),
                "X-Accent", List.of("caf\u00e9"),
                "X-Mixed", List.of("plain", "caf\u00e9"),
                "X-Tab", List.of("a\tb")));

    assertThat(BodyText.visible(headers))
        .containsExactly(
            Map.entry("x-mixed", "plain"),
            Map.entry("x-multi", "second"),
            Map.entry("x-tab", "a\tb"));
  }

  @Test
  void prefixCutsAtACharacterBoundary() {
    byte[] body = "aé".getBytes(UTF_8); // 'a', 0xc3, 0xa9

    assertThat(BodyText.prefix(body, 2)).isEqualTo("a");
    assertThat(BodyText.prefix(body, 3)).isEqualTo("aé");
  }

  private static HttpHeaders headers(Map<String, List<String>> map) {
    return HttpHeaders.of(map, (name, value) -> true);
  }
}
