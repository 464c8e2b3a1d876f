package dev.durablesql.activities.http;

import static java.util.Objects.requireNonNull;

import java.io.Serial;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads JSON text (RFC 8259) into the shapes of the Activity SPI: {@link Map} (insertion order, the
 * last of duplicate keys wins), {@link List}, {@link String}, {@link Long} for integers that fit,
 * {@link Double} for other numbers, {@link Boolean} and {@code null}. Enough for the embeddings
 * endpoint's responses and for a batch input given as JSON text; the module has no JSON library.
 */
final class JsonReader {
  /** Deeper nesting fails instead of overflowing the stack on hostile input. */
  private static final int MAX_DEPTH = 512;

  private final String text;
  private int position;

  private JsonReader(String text) {
    this.text = text;
  }

  /** A malformed text; the message names what was expected and the character offset. */
  static final class Malformed extends Exception {
    @Serial private static final long serialVersionUID = 1L;

    Malformed(String message) {
      super(message);
    }
  }

  /**
   * Parses {@code text}, which must hold exactly one JSON value (whitespace around it allowed).
   *
   * @throws Malformed when it does not
   */
  static Object parse(String text) throws Malformed {
    JsonReader reader = new JsonReader(requireNonNull(text, "text is null"));
    reader.skipWhitespace();
    Object value = reader.value(0);
    reader.skipWhitespace();
    if (reader.position < text.length()) {
      throw reader.malformed("unexpected text after the JSON value");
    }
    return value;
  }

  private Object value(int depth) throws Malformed {
    if (depth > MAX_DEPTH) {
      throw malformed("nesting deeper than " + MAX_DEPTH + " levels");
    }
    if (position >= text.length()) {
      throw malformed("a JSON value expected, found the end of the text");
    }
    char c = text.charAt(position);
    return switch (c) {
      case '{' -> object(depth);
      case '[' -> array(depth);
      case '"' -> string();
      case 't' -> literal("true", true);
      case 'f' -> literal("false", false);
      case 'n' -> literal("null", null);
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) {
          yield number();
        }
        throw malformed("unexpected character '" + c + "'");
      }
    };
  }

  private Map<String, Object> object(int depth) throws Malformed {
    position++; // {
    Map<String, Object> object = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      position++;
      return object;
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw malformed("a member name in double quotes expected");
      }
      String name = string();
      skipWhitespace();
      expect(':');
      skipWhitespace();
      object.put(name, value(depth + 1));
      skipWhitespace();
      if (peek() == ',') {
        position++;
      } else if (peek() == '}') {
        position++;
        return object;
      } else {
        throw malformed("',' or '}' expected in an object");
      }
    }
  }

  private List<Object> array(int depth) throws Malformed {
    position++; // [
    List<Object> array = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      position++;
      return array;
    }
    while (true) {
      skipWhitespace();
      array.add(value(depth + 1));
      skipWhitespace();
      if (peek() == ',') {
        position++;
      } else if (peek() == ']') {
        position++;
        return array;
      } else {
        throw malformed("',' or ']' expected in an array");
      }
    }
  }

  private String string() throws Malformed {
    position++; // opening quote
    StringBuilder out = new StringBuilder();
    while (true) {
      if (position >= text.length()) {
        throw malformed("unterminated string");
      }
      char c = text.charAt(position++);
      if (c == '"') {
        return out.toString();
      }
      if (c < 0x20) {
        position--;
        throw malformed("unescaped control character in a string");
      }
      if (c != '\\') {
        out.append(c);
        continue;
      }
      if (position >= text.length()) {
        throw malformed("unterminated escape in a string");
      }
      char escaped = text.charAt(position++);
      switch (escaped) {
        case '"' -> out.append('"');
        case '\\' -> out.append('\\');
        case '/' -> out.append('/');
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'u' -> out.append(unicodeEscape());
        default -> {
          position--;
          throw malformed("invalid escape '\\" + escaped + "' in a string");
        }
      }
    }
  }

  private char unicodeEscape() throws Malformed {
    if (position + 4 > text.length()) {
      throw malformed("incomplete \\u escape in a string");
    }
    int code = 0;
    for (int i = 0; i < 4; i++) {
      int digit = Character.digit(text.charAt(position + i), 16);
      if (digit < 0) {
        throw malformed("invalid \\u escape in a string");
      }
      code = code * 16 + digit;
    }
    position += 4;
    return (char) code;
  }

  private Object number() throws Malformed {
    int start = position;
    if (peek() == '-') {
      position++;
    }
    if (peek() == '0') {
      position++;
    } else if (isDigit(peek())) {
      skipDigits();
    } else {
      throw malformed("a digit expected in a number");
    }
    boolean integer = true;
    if (peek() == '.') {
      integer = false;
      position++;
      if (!isDigit(peek())) {
        throw malformed("a digit expected after the decimal point");
      }
      skipDigits();
    }
    if (peek() == 'e' || peek() == 'E') {
      integer = false;
      position++;
      if (peek() == '+' || peek() == '-') {
        position++;
      }
      if (!isDigit(peek())) {
        throw malformed("a digit expected in the exponent");
      }
      skipDigits();
    }
    String literal = text.substring(start, position);
    if (integer) {
      try {
        return Long.parseLong(literal);
      } catch (NumberFormatException e) {
        // Beyond a long: read as a double, as the fraction and exponent forms are.
      }
    }
    return Double.parseDouble(literal);
  }

  private Object literal(String word, Object value) throws Malformed {
    if (!text.startsWith(word, position)) {
      throw malformed("unexpected character '" + text.charAt(position) + "'");
    }
    position += word.length();
    return value;
  }

  private void skipDigits() {
    while (isDigit(peek())) {
      position++;
    }
  }

  private static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  private void skipWhitespace() {
    while (position < text.length()) {
      char c = text.charAt(position);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      position++;
    }
  }

  /** The character at the position, or -1 at the end. */
  private int peek() {
    return position < text.length() ? text.charAt(position) : -1;
  }

  private void expect(char c) throws Malformed {
    if (peek() != c) {
      throw malformed("'" + c + "' expected");
    }
    position++;
  }

  private Malformed malformed(String problem) {
    return new Malformed(problem + " at offset " + position);
  }
}
