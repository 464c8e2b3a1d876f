package dev.durablesql.engine.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.UncheckedIOException;

/** The JSON the monitoring commands print with {@code --json}: maps, lists, strings, numbers. */
final class Json {
  private static final ObjectMapper COMPACT = new ObjectMapper();
  private static final ObjectMapper INDENTED =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Json() {}

  /** One indented document, for a command's whole output. */
  static String document(Object value) {
    return write(INDENTED, value);
  }

  /** One line, for JSON Lines output ({@code --follow}). */
  static String line(Object value) {
    return write(COMPACT, value);
  }

  /** A JSON value stored by PostgreSQL (such as a node's result), or null for SQL NULL. */
  static JsonNode stored(String text) {
    if (text == null) {
      return null;
    }
    try {
      return COMPACT.readTree(text);
    } catch (JsonProcessingException e) {
      // Not JSON after all: keep the text rather than lose it.
      return COMPACT.getNodeFactory().textNode(text);
    }
  }

  /** {@code text} parsed as JSON; throws with the parser's complaint when it is not JSON. */
  static JsonNode parse(String text) throws JsonProcessingException {
    return COMPACT.readTree(text);
  }

  private static String write(ObjectMapper mapper, Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("cannot write JSON output", e);
    }
  }
}
