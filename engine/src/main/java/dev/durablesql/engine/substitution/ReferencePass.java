package dev.durablesql.engine.substitution;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * One left-to-right pass replacing {@code $name} references to named results (R-SUB-7 to R-SUB-11).
 * Purely textual: references inside string literals, comments and dollar-quoted bodies are replaced
 * too, and nothing it inserts is scanned again. Made for one call: it caches parsed results and is
 * not thread-safe.
 */
final class ReferencePass {
  private final Map<String, String> results;
  private final List<String> namesLongestFirst;
  private final Substitution.Mode mode;
  private final Map<String, StoredResult> parsed = new HashMap<>();

  ReferencePass(
      Map<String, String> results, List<String> namesLongestFirst, Substitution.Mode mode) {
    this.results = results;
    this.namesLongestFirst = namesLongestFirst;
    this.mode = mode;
  }

  String apply(String text) {
    StringBuilder out = new StringBuilder(text.length());
    int position = 0;
    int dollar;
    while ((dollar = text.indexOf('$', position)) >= 0) {
      out.append(text, position, dollar);
      position = replaceAt(text, dollar, out);
    }
    return out.append(text, position, text.length()).toString();
  }

  /** Appends what the {@code $} at {@code dollar} stands for; returns where scanning resumes. */
  private int replaceAt(String text, int dollar, StringBuilder out) {
    for (String name : namesLongestFirst) {
      if (!text.startsWith(name, dollar + 1)) {
        continue;
      }
      int after = dollar + 1 + name.length();
      if (text.startsWith(".*", after)) {
        out.append(RowSetExpansion.expand(result(name), mode));
        return after + 2;
      }
      if (at(text, after) == '.' && Identifiers.isStart(at(text, after + 1))) {
        int columnEnd = Identifiers.end(text, after + 1);
        boolean nullSafe = at(text, columnEnd) == '?';
        int end = nullSafe ? columnEnd + 1 : columnEnd;
        String column = text.substring(after + 1, columnEnd);
        out.append(field(name, column, nullSafe).orElse(text.substring(dollar, end)));
        return end;
      }
      if (at(text, after) == '?') {
        out.append(scalar(name, true));
        return after + 1;
      }
      if (!Identifiers.isPart(at(text, after))) {
        out.append(scalar(name, false));
        return after;
      }
      // "$document" with only "doc" known: this name ends inside a longer word; try shorter ones.
    }
    out.append('$');
    return dollar + 1;
  }

  /** {@code $name} and {@code $name?} (R-SUB-8). */
  private String scalar(String name, boolean nullSafe) {
    StoredResult result = result(name);
    if (result.json().isEmpty()) {
      return ValueFormat.text(result.text(), mode);
    }
    Optional<JsonNode> rows = result.rows();
    if (rows.isEmpty()) {
      // JOIN arrays, HTTP envelopes, signal results and break values go in whole, as stored.
      return ValueFormat.text(result.text(), mode);
    }
    if (rows.get().isEmpty()) {
      if (nullSafe) {
        return ValueFormat.NULL;
      }
      throw new SubstitutionException(
          "$" + name + " has no rows; use $" + name + "? to substitute NULL instead");
    }
    JsonNode value = StoredResult.firstColumn(rows.get().get(0)).orElse(null);
    if (value == null || value.isNull()) {
      if (nullSafe) {
        return ValueFormat.NULL;
      }
      throw new SubstitutionException(
          "$"
              + name
              + " is NULL (the first column of its first row); use $"
              + name
              + "? to substitute NULL instead");
    }
    return ValueFormat.format(value, mode);
  }

  /**
   * {@code $name.column} and {@code $name.column?} (R-SUB-10); empty when the reference must stay
   * in the text as written.
   */
  private Optional<String> field(String name, String column, boolean nullSafe) {
    String reference = "$" + name + "." + column;
    StoredResult result = result(name);
    JsonNode json =
        result
            .json()
            .orElseThrow(() ->
                new SubstitutionException(
                    reference + " cannot be read: result '" + name + "' is not JSON"));
    JsonNode container;
    Optional<JsonNode> rows = result.rows();
    if (rows.isPresent()) {
      if (rows.get().isEmpty()) {
        if (nullSafe) {
          return Optional.of(ValueFormat.NULL);
        }
        throw new SubstitutionException(
            "$" + name + " has no rows; use " + reference + "? to substitute NULL instead");
      }
      container = rows.get().get(0);
    } else if (json.isObject()) {
      container = json;
    } else {
      throw new SubstitutionException(
          reference
              + " cannot be read: result '"
              + name
              + "' is neither a row set nor a JSON object");
    }
    JsonNode value = container.isObject() ? container.get(column) : null;
    if (value == null) {
      // Quirk kept from the reference: SQL mode and "?" leave the text for PostgreSQL to reject.
      if (nullSafe || mode == Substitution.Mode.SQL) {
        return Optional.empty();
      }
      throw new SubstitutionException(
          reference
              + " cannot be read: result '"
              + name
              + "' has no field '"
              + column
              + "'; available fields: "
              + availableFields(container));
    }
    if (value.isNull()) {
      if (nullSafe) {
        return Optional.of(ValueFormat.NULL);
      }
      throw new SubstitutionException(
          reference + " is NULL; use " + reference + "? to substitute NULL instead");
    }
    return Optional.of(ValueFormat.format(value, mode));
  }

  private static String availableFields(JsonNode container) {
    TreeSet<String> fields = new TreeSet<>();
    if (container.isObject()) {
      container.properties().forEach(entry -> fields.add(entry.getKey()));
    }
    return fields.isEmpty() ? "(none)" : String.join(", ", fields);
  }

  private StoredResult result(String name) {
    return parsed.computeIfAbsent(name, known -> StoredResult.of(known, results.get(known)));
  }

  private static char at(String text, int index) {
    return index < text.length() ? text.charAt(index) : '\0';
  }
}
