package dev.durablesql.engine.substitution;

/**
 * The identifiers of result names, variable names and columns in references: ASCII {@code
 * [A-Za-z_][A-Za-z0-9_]*}, so a reference ends at the first other character.
 */
final class Identifiers {
  private Identifiers() {}

  static boolean isStart(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  }

  static boolean isPart(char c) {
    return isStart(c) || (c >= '0' && c <= '9');
  }

  static boolean isIdentifier(String text) {
    return !text.isEmpty() && isStart(text.charAt(0)) && end(text, 1) == text.length();
  }

  /** The index after the identifier characters starting at {@code from}. */
  static int end(String text, int from) {
    int end = from;
    while (end < text.length() && isPart(text.charAt(end))) {
      end++;
    }
    return end;
  }
}
