package dev.durablesql.engine.cli;

/** Text shortened to one line of a table or a progress line. */
final class OneLine {
  private OneLine() {}

  /** {@code text} on one line (line breaks as spaces), cut to {@code width} with "...". */
  static String cut(String text, int width) {
    String flat = text.replaceAll("\\s*\\R\\s*", " ");
    return flat.length() > width ? flat.substring(0, width - 3) + "..." : flat;
  }
}
