package dev.durablesql.engine.substitution;

import com.fasterxml.jackson.databind.JsonNode;

/** Writes a JSON value into step text (R-SUB-9), as a SQL literal or raw. */
final class ValueFormat {
  static final String NULL = "NULL";

  private ValueFormat() {}

  static String format(JsonNode value, Substitution.Mode mode) {
    if (value.isNull()) {
      return NULL;
    }
    if (value.isTextual()) {
      return text(value.textValue(), mode);
    }
    if (value.isContainerNode()) {
      return text(ResultJson.write(value), mode);
    }
    // Numbers and booleans read the same as JSON and as SQL.
    return ResultJson.write(value);
  }

  /** {@code text} as a SQL string literal in SQL mode, unchanged in raw mode. */
  static String text(String text, Substitution.Mode mode) {
    return mode == Substitution.Mode.SQL ? quote(text) : text;
  }

  /**
   * A SQL string literal. Only {@code '} is doubled: backslashes stay as they are, which is right
   * while {@code standard_conforming_strings} is on, as it is by default.
   */
  static String quote(String text) {
    return "'" + text.replace("'", "''") + "'";
  }

  /** A double-quoted SQL identifier. */
  static String identifier(String name) {
    return '"' + name.replace("\"", "\"\"") + '"';
  }
}
