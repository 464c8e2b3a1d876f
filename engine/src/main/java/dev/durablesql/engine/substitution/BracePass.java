package dev.durablesql.engine.substitution;

import java.util.Optional;

/**
 * One left-to-right pass replacing {@code {variable}} references (R-SUB-6 as changed by R-DIFF-11).
 * Values go in raw, since variables may hold SQL fragments such as table names; unknown candidates
 * stay as written; nothing inserted is scanned again.
 */
final class BracePass {
  private BracePass() {}

  static String apply(String text, Substitution.Variables variables) {
    StringBuilder out = new StringBuilder(text.length());
    int position = 0;
    while (true) {
      int open = text.indexOf('{', position);
      if (open < 0) {
        break;
      }
      int close = text.indexOf('}', open + 1);
      if (close < 0) {
        break;
      }
      // R-DIFF-11: in '{"user":"{name}"}' the candidate is "name", not "\"user\":\"{name".
      int start = text.lastIndexOf('{', close);
      out.append(text, position, start);
      String candidate = text.substring(start + 1, close);
      Optional<String> value = lookup(candidate, variables);
      out.append(value.orElse("{" + candidate + "}"));
      position = close + 1;
    }
    return out.append(text, position, text.length()).toString();
  }

  private static Optional<String> lookup(String candidate, Substitution.Variables variables) {
    if (candidate.equals(Substitution.Variables.INSTANCE_ID)) {
      return Optional.of(variables.instanceId());
    }
    if (candidate.equals(Substitution.Variables.LABEL)) {
      return Optional.of(variables.label());
    }
    if (!Identifiers.isIdentifier(candidate)) {
      return Optional.empty();
    }
    return Optional.ofNullable(variables.values().get(candidate));
  }
}
