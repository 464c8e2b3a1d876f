package dev.durablesql.activities.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A {@code multipart/form-data} body (RFC 7578) built from the parts of a {@code df.http_multipart}
 * step, in their order (R-HTTP-5).
 */
final class MultipartBody {
  private static final String TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
  private static final Pattern MIME_TYPE =
      Pattern.compile(
          TOKEN
              + "/"
              + TOKEN
              + "(\\s*;\\s*"
              + TOKEN
              + "=("
              + TOKEN
              + "|\"([^\"\\\\\\r\\n]|\\\\[^\\r\\n])*\"))*\\s*");

  private final String boundary;
  private final byte[] bytes;

  private MultipartBody(String boundary, byte[] bytes) {
    this.boundary = boundary;
    this.bytes = bytes;
  }

  /** Builds the body with a fresh random boundary. */
  static MultipartBody of(List<HttpCall.Part> parts) throws RequestRefused {
    return of(parts, "durable-sql-" + UUID.randomUUID().toString().replace("-", ""));
  }

  /**
   * @throws RequestRefused when there is no part, a part lacks its name or data, has invalid base64
   *     or an invalid MIME type
   */
  static MultipartBody of(List<HttpCall.Part> parts, String boundary) throws RequestRefused {
    requireNonNull(parts, "parts is null");
    requireNonNull(boundary, "boundary is null");
    if (parts.isEmpty()) {
      throw new RequestRefused("parts must contain at least one part; the request was not sent");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int number = 0;
    for (HttpCall.Part part : parts) {
      number++;
      if (part.name() == null) {
        throw new RequestRefused(
            "Part " + number + " of the multipart request has no 'name' string");
      }
      if (part.dataBase64() == null) {
        throw new RequestRefused("Part '" + part.name() + "' has no 'data_b64' string");
      }
      byte[] data;
      try {
        data = Base64.getDecoder().decode(part.dataBase64().replaceAll("\\s+", ""));
      } catch (IllegalArgumentException e) {
        throw new RequestRefused("Invalid base64 in part '" + part.name() + "': " + e.getMessage());
      }
      if (part.contentType() != null && !MIME_TYPE.matcher(part.contentType()).matches()) {
        throw new RequestRefused(
            "Invalid content_type '"
                + part.contentType()
                + "' in part '"
                + part.name()
                + "': expected a MIME type such as image/png or text/plain; charset=utf-8");
      }
      StringBuilder head = new StringBuilder("--").append(boundary).append("\r\n");
      head.append("Content-Disposition: form-data; name=\"")
          .append(quoted(part.name()))
          .append('"');
      if (part.filename() != null) {
        head.append("; filename=\"").append(quoted(part.filename())).append('"');
      }
      head.append("\r\n");
      if (part.contentType() != null) {
        head.append("Content-Type: ").append(part.contentType().strip()).append("\r\n");
      }
      head.append("\r\n");
      out.writeBytes(head.toString().getBytes(UTF_8));
      out.writeBytes(data);
      out.writeBytes("\r\n".getBytes(UTF_8));
    }
    out.writeBytes(("--" + boundary + "--\r\n").getBytes(UTF_8));
    return new MultipartBody(boundary, out.toByteArray());
  }

  /** HTML's escaping of form field and file names: {@code "}, CR and LF percent-encoded. */
  private static String quoted(String name) {
    return name.replace("\"", "%22").replace("\r", "%0D").replace("\n", "%0A");
  }

  String contentType() {
    return "multipart/form-data; boundary=" + boundary;
  }

  byte[] bytes() {
    return bytes.clone();
  }
}
