package dev.durablesql.engine.substitution;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * One named result as stored in a scope: its exact text and, when that text is JSON, its value. A
 * SQL result is a row set, {@code {"rows":[...],"row_count":N}}; HTTP envelopes, signal results,
 * JOIN arrays and break values are other JSON; anything else is plain text.
 */
final class StoredResult {
  private final String name;
  private final String text;
  private final Optional<JsonNode> json;

  private StoredResult(String name, String text, Optional<JsonNode> json) {
    this.name = name;
    this.text = text;
    this.json = json;
  }

  static StoredResult of(String name, String text) {
    requireNonNull(name, "name is null");
    requireNonNull(text, "text is null");
    return new StoredResult(name, text, ResultJson.parse(text));
  }

  String name() {
    return name;
  }

  String text() {
    return text;
  }

  Optional<JsonNode> json() {
    return json;
  }

  /** The {@code rows} array, when the result is a JSON object that has one. */
  Optional<JsonNode> rows() {
    return json.map(value -> value.get("rows")).filter(JsonNode::isArray);
  }

  /**
   * The first column of a row in select-list order, or empty when the row has no columns (a {@code
   * SELECT} without a select list, or a row that is not an object).
   */
  static Optional<JsonNode> firstColumn(JsonNode row) {
    if (!row.isObject() || row.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(row.properties().iterator().next().getValue());
  }
}
