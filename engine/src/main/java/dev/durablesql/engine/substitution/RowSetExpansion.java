package dev.durablesql.engine.substitution;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * Expands {@code $name.*} (R-SUB-11): in SQL mode into a {@code VALUES} list usable as a table in
 * {@code FROM}, in raw mode into the JSON array of rows.
 */
final class RowSetExpansion {
  static final int MAX_ROWS = 10_000;

  private RowSetExpansion() {}

  static String expand(StoredResult result, Substitution.Mode mode) {
    String reference = "$" + result.name() + ".*";
    JsonNode rows =
        result
            .rows()
            .orElseThrow(() ->
                new SubstitutionException(
                    reference
                        + " needs a row set, but result '"
                        + result.name()
                        + "' is not a JSON object with a \"rows\" array"));
    if (rows.size() > MAX_ROWS) {
      throw new SubstitutionException(
          reference
              + " cannot expand result '"
              + result.name()
              + "': it has "
              + rows.size()
              + " rows, more than the "
              + MAX_ROWS
              + " a row-set expansion allows");
    }
    if (mode == Substitution.Mode.RAW) {
      return ResultJson.write(rows);
    }
    String alias = ValueFormat.identifier(result.name());
    if (rows.isEmpty()) {
      return "(SELECT NULL WHERE false) AS " + alias;
    }
    List<String> columns = columns(rows.get(0));
    StringJoiner values = new StringJoiner(", ", "(VALUES ", ")");
    for (JsonNode row : rows) {
      StringJoiner tuple = new StringJoiner(",", "(", ")");
      for (String column : columns) {
        JsonNode value = row.get(column);
        tuple.add(value == null ? ValueFormat.NULL : literal(value));
      }
      values.add(tuple.toString());
    }
    StringJoiner columnList = new StringJoiner(", ", "(", ")");
    columns.forEach(column -> columnList.add(ValueFormat.identifier(column)));
    return values + " AS " + alias + columnList;
  }

  /** The first row's keys in select-list order name the columns of every row. */
  private static List<String> columns(JsonNode firstRow) {
    List<String> columns = new ArrayList<>();
    if (firstRow.isObject()) {
      firstRow.properties().forEach(entry -> columns.add(entry.getKey()));
    }
    return columns;
  }

  // Strings, objects and arrays become text, so numeric, date and uuid columns come back as text.
  private static String literal(JsonNode value) {
    if (value.isNull()) {
      return ValueFormat.NULL;
    }
    if (value.isTextual()) {
      return ValueFormat.quote(value.textValue()) + "::text";
    }
    if (value.isContainerNode()) {
      return ValueFormat.quote(ResultJson.write(value)) + "::text";
    }
    return ResultJson.write(value);
  }
}
