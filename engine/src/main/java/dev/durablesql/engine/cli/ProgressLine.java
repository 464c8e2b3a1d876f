package dev.durablesql.engine.cli;

import static java.util.Objects.requireNonNull;

import java.io.PrintWriter;
import java.time.Duration;

/**
 * Prints progress to standard error: on a terminal one line rewritten in place (carriage return,
 * then erase to the end of the line) with the time waited; elsewhere, such as a CI log, a new line
 * only when the progress changes.
 */
final class ProgressLine {
  /** Longer lines are cut: a line that wraps cannot be rewritten with a carriage return. */
  private static final int TERMINAL_WIDTH = 100;

  private static final String ERASE_TO_END = "\u001b[K";

  private final PrintWriter err;
  private final boolean inPlace;
  private String last = "";

  ProgressLine(PrintWriter err, boolean inPlace) {
    this.err = requireNonNull(err, "err is null");
    this.inPlace = inPlace;
  }

  void show(String line, Duration waited) {
    if (inPlace) {
      String time = " [" + waited.toSeconds() + "s]";
      err.print('\r' + OneLine.cut(line, TERMINAL_WIDTH - time.length()) + time + ERASE_TO_END);
      err.flush();
      last = line;
    } else if (!line.equals(last)) {
      err.println(line);
      err.flush();
      last = line;
    }
  }

  /** Removes the line rewritten in place, so that what follows starts on a clean line. */
  void clear() {
    if (inPlace && !last.isEmpty()) {
      err.print('\r' + ERASE_TO_END);
      err.flush();
    }
  }
}
