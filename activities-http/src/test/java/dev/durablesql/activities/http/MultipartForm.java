package dev.durablesql.activities.http;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Parses a multipart/form-data body back into its parts, as a server would. */
final class MultipartForm {
  private MultipartForm() {}

  /** One part: its headers (lower-case names) and its bytes. */
  record FormPart(Map<String, String> headers, byte[] data) {
    String text() {
      return new String(data, UTF_8);
    }
  }

  static List<FormPart> parse(String contentType, byte[] body) {
    String boundary =
        contentType.substring(contentType.indexOf("boundary=") + "boundary=".length());
    byte[] delimiter = ("--" + boundary).getBytes(UTF_8);
    List<FormPart> parts = new ArrayList<>();
    int start = indexOf(body, delimiter, 0);
    if (start != 0) {
      throw new IllegalArgumentException("the body does not start with the boundary");
    }
    int position = delimiter.length;
    while (true) {
      if (body[position] == '-' && body[position + 1] == '-') {
        return parts; // closing delimiter
      }
      position += 2; // CRLF after the delimiter
      int next = indexOf(body, ("\r\n--" + boundary).getBytes(UTF_8), position);
      byte[] part = Arrays.copyOfRange(body, position, next);
      int headersEnd = indexOf(part, "\r\n\r\n".getBytes(UTF_8), 0);
      Map<String, String> headers = new LinkedHashMap<>();
      for (String line : new String(part, 0, headersEnd, UTF_8).split("\r\n", -1)) {
        int colon = line.indexOf(':');
        headers.put(
            line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
      }
      parts.add(new FormPart(headers, Arrays.copyOfRange(part, headersEnd + 4, part.length)));
      position = next + 2 + delimiter.length;
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalArgumentException("not found in the multipart body");
  }
}
