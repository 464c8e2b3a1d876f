package dev.durablesql.activities.http;

import static java.util.Objects.requireNonNull;

import dev.durablesql.activity.ActivityException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The embeddings endpoint as the engine's configuration describes it (the {@code embed.*}
 * settings), read and checked once per step. Holds the API key, so {@link #toString()} hides it,
 * and {@link #redact} takes it out of any text that leaves the activity.
 *
 * @param url the full embeddings URL, {@code <base-url>/v1/embeddings}
 * @param apiKey sent as {@code Authorization: Bearer …}; {@code null} when not configured
 * @param defaultModel the model used when the step names none; {@code null} when not configured
 * @param timeout for each request, before the cap of the step's deadline
 * @param maxBatch the most inputs sent in one request
 */
record EmbedSettings(
    String url, String apiKey, String defaultModel, Duration timeout, int maxBatch) {

  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  static final int DEFAULT_MAX_BATCH = 256;

  /** Where a cut error body ends (see {@code Outcomes}); a key cut there is hidden too. */
  private static final String TRUNCATION_MARK = " [truncated, ";

  private static final String REDACTED = "***";

  EmbedSettings {
    requireNonNull(url, "url is null");
    requireNonNull(timeout, "timeout is null");
  }

  /**
   * Reads the settings of the {@code embed} activity.
   *
   * @param setting {@link dev.durablesql.activity.ActivityContext#setting}
   * @throws ActivityException (permanent) when {@code base-url} is missing or a value is malformed;
   *     the message names the setting and its environment variable, never the API key
   */
  static EmbedSettings read(Function<String, Optional<String>> setting) throws ActivityException {
    String baseUrl = value(setting, "base-url");
    if (baseUrl == null) {
      throw ActivityException.permanent(
          "embed: no endpoint configured: set embed.base-url in the engine configuration"
              + " (DURABLE_EMBED_BASE_URL)");
    }
    String apiKey = value(setting, "api-key");
    if (apiKey != null && !isVisibleAscii(apiKey)) {
      throw ActivityException.permanent(
          "embed: embed.api-key (DURABLE_EMBED_API_KEY) contains a space, a line break or a"
              + " non-ASCII character, which cannot be sent in an HTTP header; fix the"
              + " configured key");
    }
    String timeoutText = value(setting, "timeout");
    String maxBatchText = value(setting, "max-batch");
    return new EmbedSettings(
        endpoint(baseUrl),
        apiKey,
        value(setting, "model"),
        timeoutText == null ? DEFAULT_TIMEOUT : timeout(timeoutText),
        maxBatchText == null ? DEFAULT_MAX_BATCH : maxBatch(maxBatchText));
  }

  private static String value(Function<String, Optional<String>> setting, String name) {
    return setting.apply(name).map(String::strip).filter(text -> !text.isEmpty()).orElse(null);
  }

  /**
   * {@code <base-url>/v1/embeddings}, tolerating trailing slashes and a base URL that already ends
   * in {@code /v1} or {@code /v1/embeddings}.
   */
  static String endpoint(String baseUrl) throws ActivityException {
    String shown = Redaction.url(baseUrl);
    String lower = baseUrl.toLowerCase(Locale.ROOT);
    if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
      throw ActivityException.permanent(
          "embed: embed.base-url (DURABLE_EMBED_BASE_URL) must be an http:// or https:// URL such"
              + " as https://api.openai.com, was '"
              + shown
              + "'");
    }
    if (baseUrl.indexOf('?') >= 0 || baseUrl.indexOf('#') >= 0) {
      throw ActivityException.permanent(
          "embed: embed.base-url (DURABLE_EMBED_BASE_URL) must not contain a query or a fragment,"
              + " was '"
              + shown
              + "'");
    }
    String url = baseUrl;
    while (url.endsWith("/")) {
      url = url.substring(0, url.length() - 1);
    }
    String path = url.toLowerCase(Locale.ROOT);
    if (path.endsWith("/embeddings")) {
      return url;
    }
    if (path.endsWith("/v1")) {
      return url + "/embeddings";
    }
    return url + "/v1/embeddings";
  }

  /**
   * A duration as the engine's settings write them: a plain number of seconds ({@code 60}, {@code
   * 2.5}), a number with {@code ms}, {@code s}, {@code m} or {@code h}, or ISO-8601 ({@code
   * PT30S}).
   */
  static Duration timeout(String text) throws ActivityException {
    Duration timeout;
    try {
      timeout = parseDuration(text.strip().toLowerCase(Locale.ROOT));
    } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
      timeout = null;
    }
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw ActivityException.permanent(
          "embed: embed.timeout (DURABLE_EMBED_TIMEOUT) must be a positive duration such as 60,"
              + " 30s or 2m, was '"
              + text
              + "'");
    }
    return timeout;
  }

  private static Duration parseDuration(String text) {
    if (text.startsWith("p")) {
      return Duration.parse(text.toUpperCase(Locale.ROOT));
    }
    BigDecimal millisPerUnit;
    String number;
    if (text.endsWith("ms")) {
      millisPerUnit = BigDecimal.ONE;
      number = text.substring(0, text.length() - 2);
    } else if (text.endsWith("s")) {
      millisPerUnit = BigDecimal.valueOf(1_000);
      number = text.substring(0, text.length() - 1);
    } else if (text.endsWith("m")) {
      millisPerUnit = BigDecimal.valueOf(60_000);
      number = text.substring(0, text.length() - 1);
    } else if (text.endsWith("h")) {
      millisPerUnit = BigDecimal.valueOf(3_600_000);
      number = text.substring(0, text.length() - 1);
    } else {
      millisPerUnit = BigDecimal.valueOf(1_000);
      number = text;
    }
    BigDecimal millis = new BigDecimal(number.strip()).multiply(millisPerUnit);
    return Duration.ofMillis(millis.setScale(0, RoundingMode.CEILING).longValueExact());
  }

  static int maxBatch(String text) throws ActivityException {
    try {
      int value = Integer.parseInt(text.strip());
      if (value >= 1) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw ActivityException.permanent(
        "embed: embed.max-batch (DURABLE_EMBED_MAX_BATCH) must be a whole number of inputs per"
            + " request, at least 1, was '"
            + text
            + "'");
  }

  private static boolean isVisibleAscii(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /** Whether an API key is configured. */
  boolean hasApiKey() {
    return apiKey != null;
  }

  /** The endpoint URL as messages and logs show it: user information and the key hidden. */
  String shownUrl() {
    return redact(Redaction.url(url));
  }

  /**
   * {@code text} with every occurrence of the API key replaced by {@code ***}. A key cut off at the
   * end of a truncated error body ({@code … [truncated, N bytes total]}) is hidden as well, down to
   * its first four characters.
   */
  String redact(String text) {
    if (apiKey == null || text == null) {
      return text;
    }
    String redacted = text.replace(apiKey, REDACTED);
    int mark = redacted.indexOf(TRUNCATION_MARK);
    while (mark >= 0) {
      String before = redacted.substring(0, mark);
      for (int length = apiKey.length() - 1; length >= Math.min(4, apiKey.length()); length--) {
        if (before.endsWith(apiKey.substring(0, length))) {
          redacted =
              before.substring(0, before.length() - length) + REDACTED + redacted.substring(mark);
          mark = mark - length + REDACTED.length();
          break;
        }
      }
      mark = redacted.indexOf(TRUNCATION_MARK, mark + 1);
    }
    return redacted;
  }

  @Override
  public String toString() {
    return "EmbedSettings[url="
        + shownUrl()
        + ", apiKey="
        + (apiKey == null ? "none" : REDACTED)
        + ", defaultModel="
        + defaultModel
        + ", timeout="
        + timeout
        + ", maxBatch="
        + maxBatch
        + "]";
  }
}
