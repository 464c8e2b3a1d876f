package dev.durablesql.activities.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Method, headers and body of an HTTP step, checked and ready to be addressed to a vetted address
 * (R-HTTP-5). Built before any network activity, so bad input fails the step without sending.
 */
final class PreparedRequest {
  private static final Set<String> PLAIN_METHODS = Set.of("GET", "POST", "PUT", "DELETE", "PATCH");
  private static final Set<String> MULTIPART_METHODS = Set.of("POST", "PUT", "PATCH");

  /**
   * Headers the transport owns: Host names the target of the pinned connection, the others frame
   * the message. java.net.http refuses most of them anyway; dropping them keeps a step that sets
   * one working.
   */
  private static final Set<String> TRANSPORT_HEADERS =
      Set.of("host", "connection", "content-length", "expect", "upgrade", "transfer-encoding");

  private record Header(String name, String value) {}

  private final String method;
  private final List<Header> headers;
  private final byte[] body;

  private PreparedRequest(String method, List<Header> headers, byte[] body) {
    this.method = method;
    this.headers = List.copyOf(headers);
    this.body = body;
  }

  /**
   * @param userAgent sent unless the step sets a User-Agent
   * @param idempotencyKey sent as {@code Idempotency-Key} on every method but GET, unless the step
   *     sets that header itself
   * @throws RequestRefused for an unsupported method, an invalid header, or bad multipart parts
   */
  static PreparedRequest of(HttpCall call, String userAgent, String idempotencyKey)
      throws RequestRefused {
    requireNonNull(call, "call is null");
    requireNonNull(userAgent, "userAgent is null");
    requireNonNull(idempotencyKey, "idempotencyKey is null");
    String method = call.method().strip().toUpperCase(Locale.ROOT);
    boolean multipart = call instanceof HttpCall.Multipart;
    Set<String> methods = multipart ? MULTIPART_METHODS : PLAIN_METHODS;
    if (!methods.contains(method)) {
      throw new RequestRefused(
          "Unsupported HTTP method '"
              + call.method()
              + "' for "
              + (multipart
                  ? "df.http_multipart: expected POST, PUT or PATCH"
                  : "df.http:" + " expected GET, POST, PUT, DELETE or PATCH")
              + "; the request was not sent");
    }
    List<Header> headers = new ArrayList<>();
    boolean hasUserAgent = false;
    boolean hasIdempotencyKey = false;
    for (Map.Entry<String, ?> entry : call.headers().entrySet()) {
      String name = entry.getKey();
      String lowerName = name.toLowerCase(Locale.ROOT);
      // R-HTTP-5: only JSON string values are sent; multipart sets its own Content-Type.
      if (!(entry.getValue() instanceof String value)
          || TRANSPORT_HEADERS.contains(lowerName)
          || (multipart && lowerName.equals("content-type"))) {
        continue;
      }
      check(name, value);
      headers.add(new Header(name, value));
      hasUserAgent |= lowerName.equals("user-agent");
      hasIdempotencyKey |= lowerName.equals("idempotency-key");
    }
    if (!hasUserAgent) {
      headers.add(new Header("User-Agent", userAgent));
    }
    if (!method.equals("GET") && !hasIdempotencyKey) {
      check("Idempotency-Key", idempotencyKey);
      headers.add(new Header("Idempotency-Key", idempotencyKey));
    }
    byte[] body;
    if (call instanceof HttpCall.Multipart upload) {
      MultipartBody form = MultipartBody.of(upload.parts());
      headers.add(new Header("Content-Type", form.contentType()));
      body = form.bytes();
    } else {
      String text = ((HttpCall.Plain) call).body();
      body = text == null ? null : text.getBytes(UTF_8);
    }
    return new PreparedRequest(method, headers, body);
  }

  private static void check(String name, String value) throws RequestRefused {
    try {
      HttpRequest.newBuilder().header(name, value);
    } catch (IllegalArgumentException e) {
      throw new RequestRefused(
          "Invalid request header '"
              + name
              + "': "
              + e.getMessage()
              + "; the request was not sent");
    }
  }

  String method() {
    return method;
  }

  /**
   * This request addressed to {@code uri} (a vetted IP literal) with {@code host} in the {@code
   * Host} header.
   */
  HttpRequest toHttpRequest(URI uri, String host, Duration timeout) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .method(
                method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(body));
    builder.header("Host", host);
    for (Header header : headers) {
      builder.header(header.name(), header.value());
    }
    return builder.build();
  }
}
