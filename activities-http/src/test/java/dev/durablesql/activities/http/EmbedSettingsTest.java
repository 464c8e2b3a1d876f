package dev.durablesql.activities.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.activity.ActivityException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EmbedSettingsTest {
  private static final String KEY = "sk-abcdefghijklmnop";

  private static EmbedSettings read(Map<String, String> values) throws ActivityException {
    return EmbedSettings.read(name -> Optional.ofNullable(values.get(name)));
  }

  @Test
  void defaultsTimeoutAndMaxBatchAndTreatsBlankValuesAsUnset() throws Exception {
    EmbedSettings settings =
        read(Map.of("base-url", " https://api.openai.com ", "api-key", " ", "model", ""));

    assertThat(settings.url()).isEqualTo("https://api.openai.com/v1/embeddings");
    assertThat(settings.apiKey()).isNull();
    assertThat(settings.defaultModel()).isNull();
    assertThat(settings.timeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(settings.maxBatch()).isEqualTo(256);
  }

  @ParameterizedTest
  @CsvSource({
    "http://127.0.0.1:11434, http://127.0.0.1:11434/v1/embeddings",
    "http://127.0.0.1:11434/, http://127.0.0.1:11434/v1/embeddings",
    "https://api.openai.com/v1, https://api.openai.com/v1/embeddings",
    "https://api.openai.com/v1//, https://api.openai.com/v1/embeddings",
    "https://proxy.example/openai, https://proxy.example/openai/v1/embeddings",
    "https://proxy.example/v1/embeddings, https://proxy.example/v1/embeddings"
  })
  void buildsTheEmbeddingsUrl(String baseUrl, String expected) throws Exception {
    assertThat(EmbedSettings.endpoint(baseUrl)).isEqualTo(expected);
  }

  @Test
  void refusesABaseUrlThatIsNotHttpOrHasAQuery() {
    assertThatThrownBy(() -> EmbedSettings.endpoint("ftp://user:pw@host/"))
        .hasMessage(
            "embed: embed.base-url (DURABLE_EMBED_BASE_URL) must be an http:// or https:// URL"
                + " such as https://api.openai.com, was 'ftp://***@host/'");
    assertThatThrownBy(() -> EmbedSettings.endpoint("https://host/v1?api-version=1"))
        .hasMessageContaining("must not contain a query or a fragment");
  }

  @ParameterizedTest
  @CsvSource({
    "60, PT60S",
    "2.5, PT2.5S",
    "250ms, PT0.25S",
    "30s, PT30S",
    "2m, PT2M",
    "1h, PT1H",
    "PT45S, PT45S",
    "pt1m, PT1M"
  })
  void readsTimeouts(String text, Duration expected) throws Exception {
    assertThat(EmbedSettings.timeout(text)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-5", "soon", "5x", "PT0S"})
  void refusesTimeoutsThatAreNotPositiveDurations(String text) {
    assertThatThrownBy(() -> EmbedSettings.timeout(text))
        .isInstanceOf(ActivityException.class)
        .hasMessage(
            "embed: embed.timeout (DURABLE_EMBED_TIMEOUT) must be a positive duration such as 60,"
                + " 30s or 2m, was '"
                + text
                + "'");
  }

  @Test
  void refusesAKeyThatCannotBeSentInAHeader() {
    assertThatThrownBy(() -> read(Map.of("base-url", "http://h", "api-key", "sk-a\nb")))
        .isInstanceOf(ActivityException.class)
        .hasMessageContaining("embed.api-key (DURABLE_EMBED_API_KEY)")
        .hasMessageNotContaining("sk-a");
  }

  @Test
  void redactsTheKeyAndAKeyCutAtATruncatedBody() throws Exception {
    EmbedSettings settings = read(Map.of("base-url", "http://h", "api-key", KEY));

    assertThat(settings.redact("a " + KEY + " b " + KEY)).isEqualTo("a *** b ***");
    assertThat(settings.redact("body sk-abcdef [truncated, 900 bytes total]"))
        .isEqualTo("body *** [truncated, 900 bytes total]");
    assertThat(settings.redact("ends with sk- [truncated, 900 bytes total]"))
        .isEqualTo("ends with sk- [truncated, 900 bytes total]");
    assertThat(settings.toString()).doesNotContain(KEY).contains("apiKey=***");
  }
}
