package dev.durablesql.activities.http;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One HTTP step to run, after the engine substituted its fields (R-SUB-12): a {@link Plain} request
 * ({@code df.http}) or a {@link Multipart} upload ({@code df.http_multipart}). Fields are taken as
 * given; the method, the parts and the headers are checked when the step runs, after the gates of
 * R-HTTP-4, and a bad value fails the step with a message rather than throwing.
 */
public sealed interface HttpCall {

  /** The URL as the workflow gave it. */
  String url();

  /** The HTTP method; upper-cased when the step runs. */
  String method();

  /**
   * The headers as JSON: only entries whose value is a string are sent, others are ignored
   * (R-HTTP-5). Never {@code null}; values may be {@code null}.
   */
  Map<String, ?> headers();

  /** The total time for the request, from connecting to the last byte of the response. */
  Duration timeout();

  /**
   * A {@code df.http} request.
   *
   * @param body sent verbatim as UTF-8 without an automatic Content-Type; {@code null} for none
   * @param headers {@code null} for none
   */
  record Plain(String url, String method, String body, Map<String, ?> headers, Duration timeout)
      implements HttpCall {
    public Plain {
      requireNonNull(url, "url is null");
      requireNonNull(method, "method is null");
      headers = copy(headers);
      checkTimeout(timeout);
    }
  }

  /**
   * A {@code df.http_multipart} upload, sent as {@code multipart/form-data}.
   *
   * @param parts in the order they are sent; checked when the step runs (at least one part, each
   *     with a name and valid base64 data)
   * @param headers {@code null} for none; a Content-Type among them is dropped
   */
  record Multipart(
      String url, String method, List<Part> parts, Map<String, ?> headers, Duration timeout)
      implements HttpCall {
    public Multipart {
      requireNonNull(url, "url is null");
      requireNonNull(method, "method is null");
      parts = List.copyOf(requireNonNull(parts, "parts is null"));
      headers = copy(headers);
      checkTimeout(timeout);
    }
  }

  /**
   * One part of a multipart upload (R-HTTP-3). Any field may be {@code null} here: a missing {@code
   * name} or {@code data_b64} fails the step when it runs, as in the reference.
   *
   * @param name the form field name
   * @param dataBase64 the content, standard base64; whitespace and line breaks are ignored
   * @param filename optional file name for the Content-Disposition
   * @param contentType optional MIME type of the part; an invalid one fails the step
   */
  record Part(String name, String dataBase64, String filename, String contentType) {}

  /**
   * Reads the stored JSON of an {@code HTTP} node ({@code url, method, body, headers,
   * timeout_seconds}), as maps, lists, strings and numbers. Headers that are not a JSON object are
   * ignored.
   *
   * @throws IllegalArgumentException naming the field that is missing or of the wrong type; the
   *     message is meant as the node's failure text
   */
  static HttpCall fromHttpNode(Map<String, ?> node) {
    return NodeFields.plain(node);
  }

  /**
   * Reads the stored JSON of an {@code HTTP_MULTIPART} node ({@code url, method, parts, headers,
   * timeout_seconds}).
   *
   * @throws IllegalArgumentException as {@link #fromHttpNode}
   */
  static HttpCall fromMultipartNode(Map<String, ?> node) {
    return NodeFields.multipart(node);
  }

  private static Map<String, ?> copy(Map<String, ?> headers) {
    if (headers == null) {
      return Map.of();
    }
    // Not Map.copyOf: JSON null values are allowed (and ignored when sending).
    return Collections.unmodifiableMap(new LinkedHashMap<String, Object>(headers));
  }

  private static void checkTimeout(Duration timeout) {
    requireNonNull(timeout, "timeout is null");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, was " + timeout);
    }
  }
}
