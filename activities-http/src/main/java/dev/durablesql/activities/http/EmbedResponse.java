package dev.durablesql.activities.http;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One response of an OpenAI-compatible embeddings endpoint, read and checked: {@code {"data":
 * [{"index": i, "embedding": [...]}, ...], "model": ..., "usage": {"prompt_tokens": ...,
 * "total_tokens": ...}}}.
 *
 * @param model the model the endpoint names; {@code null} when it names none
 * @param embeddings one vector per input, in input order (sorted by {@code index})
 * @param promptTokens from {@code usage}; 0 when the endpoint does not report it
 * @param totalTokens from {@code usage}; 0 when the endpoint does not report it
 */
record EmbedResponse(
    String model, List<List<Double>> embeddings, long promptTokens, long totalTokens) {

  EmbedResponse {
    requireNonNull(embeddings, "embeddings is null");
  }

  /**
   * Reads a 2xx response body.
   *
   * @param inputs how many inputs the request sent; the response must hold as many embeddings
   * @throws JsonReader.Malformed when the body is not JSON or not of the expected shape; the
   *     message says what is wrong without quoting the body
   */
  static EmbedResponse parse(String body, int inputs) throws JsonReader.Malformed {
    if (!(JsonReader.parse(body) instanceof Map<?, ?> response)) {
      throw new JsonReader.Malformed("the response is not a JSON object");
    }
    if (!(response.get("data") instanceof List<?> data)) {
      throw new JsonReader.Malformed("the response has no \"data\" array");
    }
    if (data.size() != inputs) {
      throw new JsonReader.Malformed(
          "the response has " + data.size() + " embeddings for " + inputs + " inputs");
    }
    List<List<Double>> ordered = new ArrayList<>(Collections.nCopies(inputs, null));
    for (int position = 0; position < data.size(); position++) {
      if (!(data.get(position) instanceof Map<?, ?> item)) {
        throw new JsonReader.Malformed("data[" + position + "] is not a JSON object");
      }
      int index = index(item.get("index"), position, inputs);
      if (ordered.get(index) != null) {
        throw new JsonReader.Malformed("index " + index + " appears twice in \"data\"");
      }
      ordered.set(index, vector(item.get("embedding"), position));
    }
    Object model = response.get("model");
    long promptTokens = 0;
    long totalTokens = 0;
    if (response.get("usage") instanceof Map<?, ?> usage) {
      promptTokens = tokens(usage.get("prompt_tokens"));
      totalTokens = tokens(usage.get("total_tokens"));
    }
    return new EmbedResponse(
        model instanceof String name ? name : null, ordered, promptTokens, totalTokens);
  }

  private static int index(Object value, int position, int inputs) throws JsonReader.Malformed {
    if (value == null) {
      return position; // endpoints that omit the index list the embeddings in input order
    }
    if (!(value instanceof Long index) || index < 0 || index >= inputs) {
      throw new JsonReader.Malformed(
          "data[" + position + "] has index " + value + ", expected 0 to " + (inputs - 1));
    }
    return index.intValue();
  }

  private static List<Double> vector(Object value, int position) throws JsonReader.Malformed {
    if (value instanceof String) {
      throw new JsonReader.Malformed(
          "data["
              + position
              + "].embedding is a string (base64?); embeddings must be JSON arrays of numbers"
              + " (encoding_format \"float\")");
    }
    if (!(value instanceof List<?> numbers) || numbers.isEmpty()) {
      throw new JsonReader.Malformed(
          "data[" + position + "].embedding is not a non-empty array of numbers");
    }
    List<Double> vector = new ArrayList<>(numbers.size());
    for (Object number : numbers) {
      if (!(number instanceof Number component)) {
        throw new JsonReader.Malformed(
            "data[" + position + "].embedding holds a " + EmbedInput.typeOf(number));
      }
      vector.add(component.doubleValue());
    }
    return vector;
  }

  private static long tokens(Object value) {
    return value instanceof Long count && count >= 0 ? count : 0;
  }

  /**
   * The message of an error body: {@code error.message} (OpenAI), {@code error} as a string
   * (Ollama), or a top-level {@code message} or {@code detail} (vLLM, other servers). {@code null}
   * when the body is not JSON or has none of these.
   */
  static String errorMessage(String body) {
    Object parsed;
    try {
      parsed = JsonReader.parse(body);
    } catch (JsonReader.Malformed e) {
      return null;
    }
    if (!(parsed instanceof Map<?, ?> object)) {
      return null;
    }
    Object error = object.get("error");
    if (error instanceof Map<?, ?> details && details.get("message") instanceof String message) {
      return message;
    }
    if (error instanceof String message) {
      return message;
    }
    if (object.get("message") instanceof String message) {
      return message;
    }
    if (object.get("detail") instanceof String message) {
      return message;
    }
    return null;
  }
}
