package dev.durablesql.activities.sql;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;

/** Decodes PostgreSQL's text output of {@code bytea} in either {@code bytea_output} format. */
final class ByteaText {
  private ByteaText() {}

  /**
   * The bytes of {@code \x0001ff} (hex) or {@code \000\001\377} (escape).
   *
   * @throws IllegalArgumentException when {@code text} is neither
   */
  static byte[] decode(String text) {
    if (text.startsWith("\\x")) {
      return HexFormat.of().parseHex(text, 2, text.length());
    }
    // The escape format is the role's choice (ALTER ROLE ... SET bytea_output), not ours.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c >= 0x80) {
        throw new IllegalArgumentException("non-ASCII character in escaped bytea at offset " + i);
      } else if (c != '\\') {
        bytes.write(c);
        i++;
      } else if (i + 1 < text.length() && text.charAt(i + 1) == '\\') {
        bytes.write('\\');
        i += 2;
      } else if (i + 3 < text.length() && isOctal(text, i + 1)) {
        bytes.write(Integer.parseInt(text, i + 1, i + 4, 8));
        i += 4;
      } else {
        throw new IllegalArgumentException("bad bytea escape at offset " + i);
      }
    }
    return bytes.toByteArray();
  }

  private static boolean isOctal(String text, int from) {
    for (int i = from; i < from + 3; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '7') {
        return false;
      }
    }
    return true;
  }
}
