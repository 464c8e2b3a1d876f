package dev.durablesql.engine.substitution;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Whether a node's result counts as true for {@code df.if} and loop conditions (R-EXEC-24). A row
 * set is judged by its first row's first column in select-list order, other JSON by its whole
 * value, and text that is not JSON as a string.
 */
public final class Truthiness {
  // What Rust's f64 parser accepts, minus inf and NaN, which are true anyway.
  private static final Pattern DECIMAL =
      Pattern.compile("[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:e[+-]?[0-9]+)?");

  private Truthiness() {}

  /** Whether {@code resultText}, a result exactly as stored, is true. Never fails. */
  public static boolean isTruthy(String resultText) {
    Optional<JsonNode> json = ResultJson.parse(resultText);
    if (json.isEmpty()) {
      return isTruthyText(resultText);
    }
    JsonNode value = json.get();
    JsonNode rows = value.get("rows");
    if (rows == null || !rows.isArray()) {
      return isTruthyValue(value);
    }
    if (rows.isEmpty()) {
      return false;
    }
    // A first row without columns leaves the whole result object to judge, which is non-empty.
    return StoredResult.firstColumn(rows.get(0))
        .map(Truthiness::isTruthyValue)
        .orElseGet(() -> isTruthyValue(value));
  }

  private static boolean isTruthyValue(JsonNode value) {
    if (value.isBoolean()) {
      return value.booleanValue();
    }
    if (value.isNumber()) {
      return value.doubleValue() != 0;
    }
    if (value.isNull()) {
      return false;
    }
    if (value.isContainerNode()) {
      return !value.isEmpty();
    }
    return isTruthyText(value.asText());
  }

  private static boolean isTruthyText(String text) {
    String value = WhiteSpace.trim(text).toLowerCase(Locale.ROOT);
    return switch (value) {
      case "" -> false;
      case "true", "t", "yes" -> true;
      case "false", "f", "no" -> false;
      default -> !DECIMAL.matcher(value).matches() || Double.parseDouble(value) != 0;
    };
  }
}
