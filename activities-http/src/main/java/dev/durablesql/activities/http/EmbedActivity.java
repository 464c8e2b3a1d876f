package dev.durablesql.activities.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import dev.durablesql.activity.Activity;
import dev.durablesql.activity.ActivityContext;
import dev.durablesql.activity.ActivityException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The built-in {@code embed} activity behind {@code df.embed(input, model, options)} (R-EXT-5):
 * asks the OpenAI-compatible embeddings endpoint of the engine's configuration for the vectors of
 * one text or a batch of texts, and returns {@code {"model", "embeddings", "dimensions", "usage"}}.
 *
 * <p>The step's config is {@code {"input": <text>, "model": <text or null>, "options": {…}}}. The
 * settings come from {@link ActivityContext#setting}: {@code base-url}, {@code api-key}, {@code
 * model}, {@code timeout}, {@code max-batch} (engine settings {@code embed.*}; see
 * docs/embeddings.md).
 *
 * <p>The endpoint is the operator's configuration, not a workflow's, so the host policy and the
 * SSRF address filter for user URLs (R-HTTP-7, R-HTTP-8) do not apply to it: requests go through an
 * {@link HttpStep} in allow-all mode, which still pins the connection to the resolved address,
 * never follows redirects and limits the response to {@value #MAX_RESPONSE_BYTES} bytes. The
 * privilege gate (the EXECUTE privilege of {@code df.http}) is the engine's, before this runs.
 *
 * <p>Stateless apart from the shared {@link HttpStep}; thread-safe. The API key never appears in a
 * message, a result or a log line: every text from the endpoint passes {@link
 * EmbedSettings#redact}.
 */
public final class EmbedActivity implements Activity {

  /** 64 MiB: a batch of 256 vectors of 3072 numbers is about 15 MiB of JSON. */
  static final long MAX_RESPONSE_BYTES = 64L * 1024 * 1024;

  private static final int BODY_IN_MESSAGE = 512;

  private final HttpStep http;
  private final InstantSource clock;

  /** Used by {@link java.util.ServiceLoader}. */
  public EmbedActivity() {
    this(
        new HttpStep(
            HttpSettings.defaults(HostPolicy.allowAll()).withMaxResponseBytes(MAX_RESPONSE_BYTES)),
        InstantSource.system());
  }

  /**
   * @param http sends the requests; its host policy should be allow-all
   * @param clock compared with the step's deadline
   */
  EmbedActivity(HttpStep http, InstantSource clock) {
    this.http = requireNonNull(http, "http is null");
    this.clock = requireNonNull(clock, "clock is null");
  }

  @Override
  public String type() {
    return "embed";
  }

  @Override
  public Map<String, Object> execute(ActivityContext context)
      throws ActivityException, InterruptedException {
    EmbedSettings settings = EmbedSettings.read(context::setting);
    Map<String, Object> config = context.config();
    String model = model(config.get("model"), settings);
    Map<?, ?> options = options(config.get("options"));
    EmbedInput input = EmbedInput.of(config.get("input"));
    List<String> texts = input.texts();
    if (texts.isEmpty()) {
      return result(model, List.of(), 0, 0, 0);
    }

    System.Logger log = context.logger();
    int requests = (texts.size() + settings.maxBatch() - 1) / settings.maxBatch();
    long started = System.nanoTime();
    List<List<Double>> embeddings = new ArrayList<>(texts.size());
    String answeredModel = null;
    long promptTokens = 0;
    long totalTokens = 0;
    for (int request = 0; request < requests; request++) {
      if (context.isCancelled()) {
        throw new InterruptedException("embed: the step was cancelled");
      }
      int from = request * settings.maxBatch();
      List<String> batch = texts.subList(from, Math.min(texts.size(), from + settings.maxBatch()));
      int number = request + 1;
      log.log(
          System.Logger.Level.DEBUG,
          () ->
              "embed: POST "
                  + settings.shownUrl()
                  + " with "
                  + batch.size()
                  + " input(s), model "
                  + model
                  + " (request "
                  + number
                  + " of "
                  + requests
                  + ")");
      // One key per request, so that an endpoint that de-duplicates does not answer a later
      // batch with the first one's response.
      String key =
          requests == 1 ? context.idempotencyKey() : context.idempotencyKey() + "-" + number;
      HttpCall call = call(settings, model, options, input, batch, key, context);
      EmbedResponse response = send(settings, call, key, batch.size());
      if (answeredModel == null && response.model() != null) {
        answeredModel = settings.redact(response.model());
      }
      embeddings.addAll(response.embeddings());
      promptTokens += response.promptTokens();
      totalTokens += response.totalTokens();
    }
    int dimensions = dimensions(embeddings, settings);
    long durationMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    String resultModel = answeredModel == null ? model : answeredModel;
    int inputs = texts.size();
    long tokens = totalTokens;
    log.log(
        System.Logger.Level.INFO,
        () ->
            "embed: "
                + inputs
                + " input(s) embedded by "
                + settings.shownUrl()
                + " with model "
                + resultModel
                + " ("
                + dimensions
                + " dimensions, "
                + tokens
                + " tokens) in "
                + durationMs
                + " ms, "
                + requests
                + " request(s)");
    return result(resultModel, embeddings, dimensions, promptTokens, totalTokens);
  }

  private static String model(Object value, EmbedSettings settings) throws ActivityException {
    if (value instanceof String model && !model.isBlank()) {
      return model.strip();
    }
    if (value != null && !(value instanceof String)) {
      throw ActivityException.permanent(
          "embed: model must be a text, got a " + EmbedInput.typeOf(value));
    }
    if (settings.defaultModel() == null) {
      throw ActivityException.permanent(
          "embed: no model given: pass one as df.embed's second argument, e.g."
              + " df.embed('$doc.body', 'text-embedding-3-small'), or set a default with"
              + " embed.model in the engine configuration (DURABLE_EMBED_MODEL)");
    }
    return settings.defaultModel();
  }

  private static Map<?, ?> options(Object value) throws ActivityException {
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof Map<?, ?> options)) {
      throw ActivityException.permanent(
          "embed: options must be a JSON object, got a " + EmbedInput.typeOf(value));
    }
    for (String ours : List.of("input", "model")) {
      if (options.containsKey(ours)) {
        throw ActivityException.permanent(
            "embed: options must not set \""
                + ours
                + "\": pass the "
                + ours
                + " as df.embed's "
                + (ours.equals("input") ? "first" : "second")
                + " argument");
      }
    }
    Object format = options.get("encoding_format");
    if (format != null && !"float".equals(format)) {
      throw ActivityException.permanent(
          "embed: options.encoding_format must be \"float\" (the result holds JSON numbers), was "
              + (format instanceof String text ? "\"" + text + "\"" : EmbedInput.typeOf(format)));
    }
    return options;
  }

  /** The request of one batch; the timeout is the setting's, capped by the step's deadline. */
  private HttpCall call(
      EmbedSettings settings,
      String model,
      Map<?, ?> options,
      EmbedInput input,
      List<String> batch,
      String idempotencyKey,
      ActivityContext context)
      throws ActivityException {
    StringBuilder body = new StringBuilder(64 + batch.stream().mapToInt(String::length).sum());
    body.append("{\"model\":");
    JsonText.appendString(body, model);
    body.append(",\"input\":");
    JsonWriter.append(body, input.single() ? batch.getFirst() : batch);
    for (Map.Entry<?, ?> option : options.entrySet()) {
      body.append(',');
      JsonText.appendString(body, String.valueOf(option.getKey()));
      body.append(':');
      try {
        JsonWriter.append(body, option.getValue());
      } catch (IllegalArgumentException e) {
        throw ActivityException.permanent(
            "embed: options." + option.getKey() + " cannot be sent: " + e.getMessage());
      }
    }
    body.append('}');

    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "application/json");
    headers.put("Accept", "application/json");
    headers.put("Idempotency-Key", idempotencyKey);
    if (settings.hasApiKey()) {
      headers.put("Authorization", "Bearer " + settings.apiKey());
    }
    return new HttpCall.Plain(
        settings.url(), "POST", body.toString(), headers, timeout(settings, context));
  }

  private Duration timeout(EmbedSettings settings, ActivityContext context)
      throws ActivityException {
    Duration left = Duration.between(clock.instant(), context.deadline());
    if (left.isNegative() || left.isZero()) {
      throw ActivityException.retryable(
          "embed: the step's deadline passed before the request to "
              + settings.shownUrl()
              + " was sent");
    }
    return left.compareTo(settings.timeout()) < 0 ? left : settings.timeout();
  }

  private EmbedResponse send(EmbedSettings settings, HttpCall call, String key, int inputs)
      throws ActivityException, InterruptedException {
    HttpOutcome outcome = http.execute(call, key);
    return switch (outcome) {
      case HttpOutcome.Completed completed -> response(settings, completed.envelope(), inputs);
      case HttpOutcome.Failed failed ->
          throw ActivityException.permanent(
              "embed: " + settings.redact(failed.message()) + "; not retried");
      case HttpOutcome.Transient failure -> {
        String detail = "";
        if (failure.lastAttempt() instanceof HttpOutcome.Completed completed) {
          detail = ": " + errorText(settings, completed.envelope());
        }
        ActivityException retryable =
            ActivityException.retryable(
                "embed: "
                    + settings.redact(failure.message())
                    + detail
                    + "; a later attempt may succeed");
        throw failure.retryAfter().map(retryable::withRetryAfter).orElse(retryable);
      }
    };
  }

  private static EmbedResponse response(EmbedSettings settings, HttpEnvelope envelope, int inputs)
      throws ActivityException {
    int status = envelope.status();
    if (status == 401 || status == 403) {
      throw ActivityException.permanent(
          "embed: the endpoint refused the API key (HTTP "
              + status
              + ": "
              + errorText(settings, envelope)
              + "); "
              + (settings.hasApiKey()
                  ? "check embed.api-key (DURABLE_EMBED_API_KEY)"
                  : "no API key is configured: set embed.api-key in the engine configuration"
                      + " (DURABLE_EMBED_API_KEY)")
              + "; not retried");
    }
    if (status < 200 || status > 299) {
      String hint =
          status >= 300 && status <= 399
              ? "; redirects are not followed, point embed.base-url at the final address"
              : "";
      throw ActivityException.permanent(
          "embed: POST "
              + settings.shownUrl()
              + " returned HTTP "
              + status
              + ": "
              + errorText(settings, envelope)
              + hint
              + "; not retried");
    }
    if (!envelope.encoding().equals("text")) {
      throw ActivityException.permanent(
          "embed: malformed response from "
              + settings.shownUrl()
              + ": the body is binary, not JSON; not retried");
    }
    try {
      return EmbedResponse.parse(envelope.body(), inputs);
    } catch (JsonReader.Malformed e) {
      throw ActivityException.permanent(
          "embed: malformed response from "
              + settings.shownUrl()
              + ": "
              + e.getMessage()
              + "; not retried");
    }
  }

  /**
   * What an error response says: the message of an OpenAI-style error body, else the body, with the
   * API key hidden and cut to {@value #BODY_IN_MESSAGE} bytes.
   */
  private static String errorText(EmbedSettings settings, HttpEnvelope envelope) {
    String text;
    if (envelope.encoding().equals("base64")) {
      text = "a binary body of " + Base64.getDecoder().decode(envelope.body()).length + " bytes";
    } else if (envelope.body().isBlank()) {
      text = "an empty body";
    } else {
      String message = EmbedResponse.errorMessage(envelope.body());
      text = message == null ? envelope.body() : message;
    }
    // Redact before cutting, so that no part of the key survives at the cut.
    byte[] bytes = settings.redact(text).getBytes(UTF_8);
    if (bytes.length <= BODY_IN_MESSAGE) {
      return new String(bytes, UTF_8);
    }
    return BodyText.prefix(bytes, BODY_IN_MESSAGE)
        + " [truncated, "
        + bytes.length
        + " bytes total]";
  }

  private static int dimensions(List<List<Double>> embeddings, EmbedSettings settings)
      throws ActivityException {
    int dimensions = embeddings.getFirst().size();
    for (int i = 1; i < embeddings.size(); i++) {
      if (embeddings.get(i).size() != dimensions) {
        throw ActivityException.permanent(
            "embed: malformed response from "
                + settings.shownUrl()
                + ": embedding "
                + i
                + " has "
                + embeddings.get(i).size()
                + " dimensions, embedding 0 has "
                + dimensions
                + "; not retried");
      }
    }
    return dimensions;
  }

  /** R-EXT-5's result, in its key order. */
  private static Map<String, Object> result(
      String model,
      List<List<Double>> embeddings,
      int dimensions,
      long promptTokens,
      long totalTokens) {
    Map<String, Object> usage = new LinkedHashMap<>();
    usage.put("prompt_tokens", promptTokens);
    usage.put("total_tokens", totalTokens);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("model", model);
    result.put("embeddings", embeddings);
    result.put("dimensions", dimensions);
    result.put("usage", Collections.unmodifiableMap(usage));
    return Collections.unmodifiableMap(result);
  }
}
