package dev.durablesql.activities.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HttpCallTest {

  @Test
  void readsAnHttpNode() {
    Map<String, Object> node =
        Map.of(
            "url", "https://api.example.com/x",
            "method", "PUT",
            "body", "{}",
            "headers", Map.of("X-A", "1"),
            "timeout_seconds", 5);

    HttpCall call = HttpCall.fromHttpNode(node);

    assertThat(call)
        .isEqualTo(
            new HttpCall.Plain(
                "https://api.example.com/x",
                "PUT",
                "{}",
                Map.of("X-A", "1"),
                Duration.ofSeconds(5)));
  }

  @Test
  void defaultsMethodTimeoutAndBody() {
    HttpCall call = HttpCall.fromHttpNode(Map.of("url", "https://api.example.com/"));

    assertThat(call.method()).isEqualTo("POST");
    assertThat(call.timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(((HttpCall.Plain) call).body()).isNull();
  }

  @Test
  void ignoresHeadersThatAreNotAnObjectAndKeepsNullValues() {
    Map<String, Object> nullValued = new HashMap<>();
    nullValued.put("X-Null", null);

    assertThat(HttpCall.fromHttpNode(node("headers", List.of("X-A", "1"))).headers()).isEmpty();
    assertThat(HttpCall.fromHttpNode(node("headers", "X-A: 1")).headers()).isEmpty();
    assertThat(HttpCall.fromHttpNode(node("headers", nullValued)).headers())
        .containsEntry("X-Null", null);
  }

  @Test
  void refusesAMissingUrlAndABadTimeout() {
    assertThatThrownBy(() -> HttpCall.fromHttpNode(Map.of("method", "GET")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'url'");
    assertThatThrownBy(() -> HttpCall.fromHttpNode(node("timeout_seconds", 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeout_seconds");
    assertThatThrownBy(() -> HttpCall.fromHttpNode(node("timeout_seconds", 1.5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeout_seconds");
  }

  @Test
  void readsMultipartPartsLeavingTheirCheckForExecution() {
    Map<String, Object> node =
        Map.of(
            "url",
            "https://api.example.com/upload",
            "parts",
            List.of(
                Map.of(
                    "name",
                    "a",
                    "data_b64",
                    "YQ==",
                    "filename",
                    "a.txt",
                    "content_type",
                    "text/plain"),
                Map.of("data_b64", "Yg=="),
                "not an object"));

    HttpCall.Multipart call = (HttpCall.Multipart) HttpCall.fromMultipartNode(node);

    assertThat(call.parts())
        .containsExactly(
            new HttpCall.Part("a", "YQ==", "a.txt", "text/plain"),
            new HttpCall.Part(null, "Yg==", null, null),
            new HttpCall.Part(null, null, null, null));
  }

  @Test
  void refusesMultipartWithoutAnArrayOfParts() {
    assertThatThrownBy(() -> HttpCall.fromMultipartNode(Map.of("url", "https://x.example/")))
        .hasMessageContaining("parts is required");
    assertThatThrownBy(
            () -> HttpCall.fromMultipartNode(Map.of("url", "https://x.example/", "parts", "a")))
        .hasMessageContaining("parts must be a JSON array");
  }

  private static Map<String, Object> node(String key, Object value) {
    return Map.of("url", "https://api.example.com/", key, value);
  }
}
