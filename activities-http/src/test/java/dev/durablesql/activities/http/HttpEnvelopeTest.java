package dev.durablesql.activities.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class HttpEnvelopeTest {

  @Test
  void writesTheFieldsInOrderWithEscapes() {
    HttpEnvelope envelope =
        new HttpEnvelope(
            404,
            "say \"hi\"\\\n\t\u0000\u001f é",
            "text",
            Map.of("x-b", "2", "content-type", "text/plain"),
            17);

    assertThat(envelope.toJson())
        .isEqualTo(
            "{\"status\":404,\"body\":\"say \\\"hi\\\"\\\\\\n\\t\\u0000\\u001f é\","
                + "\"encoding\":\"text\",\"headers\":{\"content-type\":\"text/plain\",\"x-b\":\"2\"},"
                + "\"ok\":false,\"duration_ms\":17}");
  }

  @Test
  void okMeansTwoHundreds() {
    assertThat(envelope(199).ok()).isFalse();
    assertThat(envelope(200).ok()).isTrue();
    assertThat(envelope(299).ok()).isTrue();
    assertThat(envelope(302).ok()).isFalse();
  }

  @Test
  void mapHasTheSameFieldsAsTheJson() {
    assertThat(envelope(201).toMap())
        .containsExactly(
            Map.entry("status", 201),
            Map.entry("body", ""),
            Map.entry("encoding", "base64"),
            Map.entry("headers", Map.of()),
            Map.entry("ok", true),
            Map.entry("duration_ms", 3L));
  }

  @Test
  void refusesAnUnknownEncoding() {
    assertThatThrownBy(() -> new HttpEnvelope(200, "", "hex", Map.of(), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("hex");
  }

  private static HttpEnvelope envelope(int status) {
    return new HttpEnvelope(status, "", "base64", Map.of(), 3);
  }
}
