package dev.durablesql.activities.http;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Writes JSON-shaped values (maps with string keys, lists, strings, numbers, booleans and {@code
 * null}, as the Activity SPI passes them) as compact JSON text.
 */
final class JsonWriter {
  private JsonWriter() {}

  /**
   * @throws IllegalArgumentException for a value that has no JSON form (a non-finite number, a map
   *     key that is not a string, another type); the message names the path to it
   */
  static void append(StringBuilder out, Object value) {
    append(out, value, "$");
  }

  private static void append(StringBuilder out, Object value, String path) {
    switch (value) {
      case null -> out.append("null");
      case String text -> JsonText.appendString(out, text);
      case Boolean bool -> out.append(bool);
      case Integer number -> out.append(number);
      case Long number -> out.append(number);
      case Short number -> out.append(number);
      case Byte number -> out.append(number);
      case BigInteger number -> out.append(number);
      case BigDecimal number -> out.append(number);
      case Double number -> appendFinite(out, number, path);
      case Float number -> appendFinite(out, number.doubleValue(), path);
      case Map<?, ?> map -> {
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> entry : map.entrySet()) {
          if (!(entry.getKey() instanceof String name)) {
            throw new IllegalArgumentException(path + " has a key that is not a string");
          }
          if (!first) {
            out.append(',');
          }
          first = false;
          JsonText.appendString(out, name);
          out.append(':');
          append(out, entry.getValue(), path + "." + name);
        }
        out.append('}');
      }
      case List<?> list -> {
        out.append('[');
        for (int i = 0; i < list.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          append(out, list.get(i), path + "[" + i + "]");
        }
        out.append(']');
      }
      default ->
          throw new IllegalArgumentException(
              path + " is a " + value.getClass().getSimpleName() + ", which has no JSON form");
    }
  }

  private static void appendFinite(StringBuilder out, double number, String path) {
    if (!Double.isFinite(number)) {
      throw new IllegalArgumentException(path + " is " + number + ", which has no JSON form");
    }
    out.append(number);
  }
}
