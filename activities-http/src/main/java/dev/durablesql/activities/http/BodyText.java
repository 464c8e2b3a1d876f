package dev.durablesql.activities.http;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.net.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.UnsupportedCharsetException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The body and header rules of the response envelope (R-HTTP-6). */
final class BodyText {
  private static final Set<String> TEXT_APPLICATION_TYPES =
      Set.of(
          "application/json",
          "application/xml",
          "application/javascript",
          "application/ecmascript",
          "application/x-www-form-urlencoded",
          "application/graphql",
          "application/yaml",
          "application/x-yaml");

  private BodyText() {}

  /** Builds the envelope of a received response. */
  static HttpEnvelope envelope(int status, HttpHeaders headers, byte[] body, long durationMs) {
    List<String> contentTypes = headers.allValues("content-type");
    String contentType = contentTypes.isEmpty() ? null : contentTypes.getLast();
    if (contentType != null && declaresText(contentType)) {
      // Lossy: malformed input becomes U+FFFD.
      return new HttpEnvelope(
          status, new String(body, charset(contentType)), "text", visible(headers), durationMs);
    }
    if (isUtf8WithoutNul(body)) {
      return new HttpEnvelope(
          status, new String(body, UTF_8), "text", visible(headers), durationMs);
    }
    return new HttpEnvelope(
        status, Base64.getEncoder().encodeToString(body), "base64", visible(headers), durationMs);
  }

  /**
   * Whether a Content-Type declares text: {@code text/*}, {@code *+json}, {@code *+xml}, {@code
   * *+yaml} and a fixed list of application types; parameters ignored, case-insensitive.
   */
  static boolean declaresText(String contentType) {
    String mediaType = mediaType(contentType);
    int slash = mediaType.indexOf('/');
    if (slash <= 0) {
      return false;
    }
    String subtype = mediaType.substring(slash + 1);
    return mediaType.startsWith("text/")
        || subtype.endsWith("+json")
        || subtype.endsWith("+xml")
        || subtype.endsWith("+yaml")
        || TEXT_APPLICATION_TYPES.contains(mediaType);
  }

  /** The charset parameter of a Content-Type, UTF-8 when absent or unknown. */
  static Charset charset(String contentType) {
    String[] parameters = contentType.split(";", -1);
    for (int i = 1; i < parameters.length; i++) {
      String parameter = parameters[i].strip();
      int equals = parameter.indexOf('=');
      if (equals > 0 && parameter.substring(0, equals).strip().equalsIgnoreCase("charset")) {
        String name = parameter.substring(equals + 1).strip();
        if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
          name = name.substring(1, name.length() - 1);
        }
        try {
          return Charset.forName(name);
        } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
          return UTF_8;
        }
      }
    }
    return UTF_8;
  }

  /** Whether the bytes are valid UTF-8 and contain no NUL byte. */
  static boolean isUtf8WithoutNul(byte[] bytes) {
    for (byte b : bytes) {
      if (b == 0) {
        return false;
      }
    }
    try {
      UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  /** Up to {@code maxBytes} of the body as text, cut at a character boundary. */
  static String prefix(byte[] body, int maxBytes) {
    int end = Math.min(body.length, maxBytes);
    // Step back over UTF-8 continuation bytes so that no character is cut in half.
    if (end < body.length) {
      while (end > 0 && (body[end] & 0xC0) == 0x80) {
        end--;
      }
    }
    return new String(body, 0, end, UTF_8);
  }

  /** Lower-case names to the last value that is visible ASCII; other values are left out. */
  static Map<String, String> visible(HttpHeaders headers) {
    Map<String, String> visible = new TreeMap<>();
    headers
        .map()
        .forEach((name, values) -> {
          for (String value : values) {
            if (isVisibleAscii(value)) {
              visible.put(name.toLowerCase(Locale.ROOT), value);
            }
          }
        });
    return visible;
  }

  private static boolean isVisibleAscii(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 || c > 0x7e) && c != '\t') {
        return false;
      }
    }
    return true;
  }

  private static String mediaType(String contentType) {
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon))
        .strip()
        .toLowerCase(Locale.ROOT);
  }
}
