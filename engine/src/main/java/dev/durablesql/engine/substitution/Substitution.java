package dev.durablesql.engine.substitution;

import static java.util.Objects.requireNonNull;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Substitutes the variables and named results of one scope into a step's text fields (SPEC §8):
 * first one pass of {@code {variable}} references, then one pass of {@code $name} result references
 * over its output. Holds copies of its inputs, so it is immutable and safe to share between
 * threads; build one per scope state and call it for each field of a step.
 *
 * <pre>{@code
 * Substitution substitution = new Substitution(variables, results);
 * String sql = substitution.substitute("SELECT * FROM orders WHERE id = $order.id", Mode.SQL);
 * }</pre>
 */
public final class Substitution {
  private static final Pattern WHOLE_VALUE_REFERENCE =
      Pattern.compile(
          "\\$[A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)?\\??"
              + "|\\{[A-Za-z_][A-Za-z0-9_]*}");
  private static final int QUOTED_VALUE_LIMIT = 80;

  private final Variables variables;
  private final Map<String, String> results;
  private final List<String> namesLongestFirst;

  /**
   * @param variables the instance's variable snapshot and system variables
   * @param results the current scope's named results: name to the result text exactly as stored,
   *     whose key order is select-list order
   */
  public Substitution(Variables variables, Map<String, String> results) {
    this.variables = requireNonNull(variables, "variables is null");
    this.results = Map.copyOf(requireNonNull(results, "results is null"));
    // Longest first, so "$document" is never read as "$doc" followed by "ument".
    this.namesLongestFirst =
        this.results.keySet().stream()
            .filter(Identifiers::isIdentifier)
            .sorted(Comparator.comparingInt(String::length).reversed().thenComparing(name -> name))
            .toList();
  }

  /** How substituted values are written into the text (R-SUB-9, R-SUB-12). */
  public enum Mode {
    /** SQL step text: strings and JSON become quoted literals, so values cannot inject SQL. */
    SQL,
    /** HTTP fields: values as their raw characters or JSON text. */
    RAW
  }

  /**
   * The variables of an instance, fixed when it started (R-SUB-3, R-SUB-4).
   *
   * @param instanceId the instance id, for {@code {sys_instance_id}}; never a child scope id
   * @param label the instance's label for {@code {sys_label}}, or the empty string when it has none
   * @param values the variable snapshot, name to value
   */
  public record Variables(String instanceId, String label, Map<String, String> values) {
    static final String INSTANCE_ID = "sys_instance_id";
    static final String LABEL = "sys_label";

    public Variables {
      requireNonNull(instanceId, "instanceId is null");
      requireNonNull(label, "label is null");
      values = Map.copyOf(requireNonNull(values, "values is null"));
    }
  }

  /**
   * Substitutes one text field.
   *
   * @throws SubstitutionException when a reference cannot be substituted; the message is the node's
   *     error text
   */
  public String substitute(String text, Mode mode) {
    requireNonNull(text, "text is null");
    requireNonNull(mode, "mode is null");
    String withVariables = BracePass.apply(text, variables);
    return new ReferencePass(results, namesLongestFirst, mode).apply(withVariables);
  }

  /**
   * Substitutes a field that may only be one reference as a whole, a multipart part's {@code
   * data_b64} (R-SUB-12), in raw mode. A value that is, once trimmed, exactly one of {@code $n},
   * {@code $n?}, {@code $n.c}, {@code $n.c?} or {@code {v}} is substituted; any other value
   * containing {@code $} or <code>&#123;</code> fails; the rest is returned unchanged.
   *
   * @param field names the field in the error message, such as {@code "data_b64 of part 'file'"}
   * @throws SubstitutionException when the value mixes a reference with other text, or the
   *     reference cannot be substituted
   */
  public String substituteWholeValue(String field, String value) {
    requireNonNull(field, "field is null");
    requireNonNull(value, "value is null");
    String trimmed = WhiteSpace.trim(value);
    if (WHOLE_VALUE_REFERENCE.matcher(trimmed).matches()) {
      return substitute(trimmed, Mode.RAW);
    }
    if (value.indexOf('$') >= 0 || value.indexOf('{') >= 0) {
      throw new SubstitutionException(
          field
              + " must be a whole-value reference ($name, $name?, $name.column, $name.column? or"
              + " {variable}) when it contains '$' or '{', but is "
              + shorten(trimmed));
    }
    return value;
  }

  private static String shorten(String value) {
    if (value.length() <= QUOTED_VALUE_LIMIT) {
      return "'" + value + "'";
    }
    return "'" + value.substring(0, QUOTED_VALUE_LIMIT) + "…' (" + value.length() + " characters)";
  }
}
