package dev.durablesql.activities.http;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The result of a completed HTTP step (R-HTTP-6): {@code {"status", "body", "encoding", "headers",
 * "ok", "duration_ms"}}.
 *
 * @param status the response status
 * @param body the body as text, or its bytes in standard base64 when {@code encoding} says so
 * @param encoding {@code "text"} or {@code "base64"}
 * @param headers lower-case names to the last visible-ASCII value, sorted by name
 * @param durationMs from sending the request to the last byte of the response
 */
public record HttpEnvelope(
    int status, String body, String encoding, Map<String, String> headers, long durationMs) {

  public HttpEnvelope {
    requireNonNull(body, "body is null");
    requireNonNull(encoding, "encoding is null");
    if (!encoding.equals("text") && !encoding.equals("base64")) {
      throw new IllegalArgumentException("encoding must be text or base64, was " + encoding);
    }
    headers =
        Collections.unmodifiableMap(new TreeMap<>(requireNonNull(headers, "headers is null")));
  }

  /** Whether the status is 2xx. */
  public boolean ok() {
    return status >= 200 && status <= 299;
  }

  /** The envelope as the JSON text stored as the node's result. */
  public String toJson() {
    StringBuilder json = new StringBuilder(body.length() + 256);
    json.append("{\"status\":").append(status).append(",\"body\":");
    JsonText.appendString(json, body);
    json.append(",\"encoding\":");
    JsonText.appendString(json, encoding);
    json.append(",\"headers\":{");
    boolean first = true;
    for (Map.Entry<String, String> header : headers.entrySet()) {
      if (!first) {
        json.append(',');
      }
      first = false;
      JsonText.appendString(json, header.getKey());
      json.append(':');
      JsonText.appendString(json, header.getValue());
    }
    json.append("},\"ok\":").append(ok()).append(",\"duration_ms\":").append(durationMs);
    return json.append('}').toString();
  }

  /** The envelope as JSON-shaped maps, in the field order of {@link #toJson()}. */
  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("status", status);
    map.put("body", body);
    map.put("encoding", encoding);
    map.put("headers", headers);
    map.put("ok", ok());
    map.put("duration_ms", durationMs);
    return Collections.unmodifiableMap(map);
  }
}
