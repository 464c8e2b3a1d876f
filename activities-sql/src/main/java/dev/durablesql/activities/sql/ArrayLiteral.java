package dev.durablesql.activities.sql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.function.Function;

/**
 * Reads PostgreSQL's text output of an array, such as {@code [0:1]={{1,NULL},{"a b",4}}}, into
 * nested JSON arrays; lower bounds are dropped.
 */
final class ArrayLiteral {
  private final String text;
  private final char delimiter;
  private final Function<String, JsonNode> elementEncoder;
  private int position;

  private ArrayLiteral(String text, char delimiter, Function<String, JsonNode> elementEncoder) {
    this.text = text;
    this.delimiter = delimiter;
    this.elementEncoder = elementEncoder;
  }

  /** The element type of array type {@code typeName} ({@code int4} for {@code _int4}), or null. */
  static String elementTypeName(String typeName) {
    // pgjdbc quotes some names and qualifies types off the search path: "other"."_hue".
    String name;
    if (typeName.endsWith("\"")) {
      int open = typeName.lastIndexOf('"', typeName.length() - 2);
      name = typeName.substring(open + 1, typeName.length() - 1);
    } else {
      name = typeName.substring(typeName.lastIndexOf('.') + 1);
    }
    return name.length() > 1 && name.charAt(0) == '_' ? name.substring(1) : null;
  }

  /** The element delimiter of {@code elementType}: {@code box} alone uses a semicolon. */
  static char delimiter(String elementType) {
    return elementType.equals("box") ? ';' : ',';
  }

  /**
   * The JSON array for {@code text}; {@code elementEncoder} gets each element's text, or null for a
   * NULL element.
   *
   * @throws IllegalArgumentException when {@code text} is not an array's text output
   */
  static ArrayNode parse(String text, char delimiter, Function<String, JsonNode> elementEncoder) {
    ArrayLiteral literal = new ArrayLiteral(text, delimiter, elementEncoder);
    if (text.startsWith("[")) {
      // Dimension decoration, present when a lower bound is not 1.
      literal.position = text.indexOf('=') + 1;
    }
    ArrayNode array = literal.readArray();
    if (literal.position != text.length()) {
      throw literal.malformed();
    }
    return array;
  }

  private ArrayNode readArray() {
    expect('{');
    ArrayNode array = JsonNodeFactory.instance.arrayNode();
    if (peek() == '}') {
      position++;
      return array;
    }
    while (true) {
      char next = peek();
      if (next == '{') {
        array.add(readArray());
      } else if (next == '"') {
        array.add(elementEncoder.apply(readQuoted()));
      } else {
        String element = readUnquoted();
        array.add(elementEncoder.apply(element.equalsIgnoreCase("NULL") ? null : element));
      }
      char separator = peek();
      position++;
      if (separator == '}') {
        return array;
      }
      if (separator != delimiter) {
        position--;
        throw malformed();
      }
    }
  }

  private String readQuoted() {
    expect('"');
    StringBuilder element = new StringBuilder();
    while (true) {
      char c = next();
      if (c == '"') {
        return element.toString();
      }
      element.append(c == '\\' ? next() : c);
    }
  }

  private String readUnquoted() {
    StringBuilder element = new StringBuilder();
    while (true) {
      char c = peek();
      if (c == delimiter || c == '}' || c == '{' || c == '"') {
        if (element.isEmpty()) {
          throw malformed();
        }
        return element.toString();
      }
      position++;
      element.append(c == '\\' ? next() : c);
    }
  }

  private void expect(char expected) {
    if (peek() != expected) {
      throw malformed();
    }
    position++;
  }

  private char peek() {
    if (position >= text.length()) {
      throw malformed();
    }
    return text.charAt(position);
  }

  private char next() {
    char c = peek();
    position++;
    return c;
  }

  private IllegalArgumentException malformed() {
    return new IllegalArgumentException("not an array literal at offset " + position);
  }
}
