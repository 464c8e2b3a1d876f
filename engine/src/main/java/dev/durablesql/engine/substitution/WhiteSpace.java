package dev.durablesql.engine.substitution;

/**
 * Trimming as the reference does it: Unicode {@code White_Space}, which differs from both {@link
 * String#trim()} and {@link String#strip()} (it includes U+0085 and no-break spaces, but not the
 * U+001C to U+001F separators).
 */
final class WhiteSpace {
  private WhiteSpace() {}

  static String trim(String text) {
    int start = 0;
    int end = text.length();
    while (start < end && isWhiteSpace(text.charAt(start))) {
      start++;
    }
    while (end > start && isWhiteSpace(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(start, end);
  }

  static boolean isWhiteSpace(char c) {
    return (c >= '\t' && c <= '\r')
        || c == ' '
        || c == '\u0085'
        || c == '\u00A0'
        || c == '\u1680'
        || (c >= '\u2000' && c <= '\u200A')
        || c == '\u2028'
        || c == '\u2029'
        || c == '\u202F'
        || c == '\u205F'
        || c == '\u3000';
  }
}
