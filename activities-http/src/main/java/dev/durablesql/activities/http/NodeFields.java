package dev.durablesql.activities.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads HTTP calls from the JSON of stored nodes (SPEC.md R-DSL table of node queries). */
final class NodeFields {
  private static final int DEFAULT_TIMEOUT_SECONDS = 30;

  private NodeFields() {}

  static HttpCall.Plain plain(Map<String, ?> node) {
    Object body = node.get("body");
    if (body != null && !(body instanceof String)) {
      throw new IllegalArgumentException(
          "HTTP node field 'body' must be a string or null, was " + jsonType(body));
    }
    return new HttpCall.Plain(url(node), method(node), (String) body, headers(node), timeout(node));
  }

  static HttpCall.Multipart multipart(Map<String, ?> node) {
    Object parts = node.get("parts");
    if (parts == null) {
      throw new IllegalArgumentException(
          "parts is required: an HTTP_MULTIPART node needs a JSON array of parts");
    }
    if (!(parts instanceof List<?> list)) {
      throw new IllegalArgumentException(
          "parts must be a JSON array of {name, data_b64, filename?, content_type?} objects, was "
              + jsonType(parts));
    }
    List<HttpCall.Part> read = new ArrayList<>();
    for (Object element : list) {
      read.add(
          element instanceof Map<?, ?> part
              ? new HttpCall.Part(
                  text(part.get("name")),
                  text(part.get("data_b64")),
                  text(part.get("filename")),
                  text(part.get("content_type")))
              : new HttpCall.Part(null, null, null, null));
    }
    return new HttpCall.Multipart(url(node), method(node), read, headers(node), timeout(node));
  }

  private static String url(Map<String, ?> node) {
    if (!(node.get("url") instanceof String url)) {
      throw new IllegalArgumentException("HTTP node has no 'url' string");
    }
    return url;
  }

  private static String method(Map<String, ?> node) {
    return node.get("method") instanceof String method ? method : "POST";
  }

  private static Map<String, ?> headers(Map<String, ?> node) {
    if (!(node.get("headers") instanceof Map<?, ?> headers)) {
      return Map.of(); // R-HTTP-5: headers that are not a JSON object are silently ignored.
    }
    Map<String, Object> copy = new LinkedHashMap<>();
    headers.forEach((name, value) -> copy.put(String.valueOf(name), value));
    return copy;
  }

  private static Duration timeout(Map<String, ?> node) {
    Object value = node.get("timeout_seconds");
    if (value == null) {
      return Duration.ofSeconds(DEFAULT_TIMEOUT_SECONDS);
    }
    if (!(value instanceof Number number)
        || number.doubleValue() != Math.rint(number.doubleValue())
        || number.longValue() <= 0) {
      throw new IllegalArgumentException(
          "HTTP node field 'timeout_seconds' must be a positive whole number, was " + value);
    }
    return Duration.ofSeconds(number.longValue());
  }

  private static String text(Object value) {
    return value instanceof String string ? string : null;
  }

  private static String jsonType(Object value) {
    return switch (value) {
      case Map<?, ?> map -> "an object";
      case List<?> list -> "an array";
      case Number number -> "a number";
      case Boolean bool -> "a boolean";
      case String string -> "a string";
      default -> value.getClass().getSimpleName();
    };
  }
}
