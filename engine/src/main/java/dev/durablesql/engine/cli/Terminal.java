package dev.durablesql.engine.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether a standard stream of this process is a terminal, as far as Java can tell. */
final class Terminal {
  private Terminal() {}

  /**
   * True when standard error is a terminal. Linux says so through /proc (Java 21 has no isatty);
   * elsewhere, when the JVM has a console, which on Java 21 means both stdin and stdout are one.
   */
  // Compiled for Java 21, where a console means a terminal; on Java 22+ it may not, but
  // Console.isTerminal() is not there to call.
  @SuppressWarnings("SystemConsoleNull")
  static boolean isStandardErrorTerminal() {
    Path link = Path.of("/proc/self/fd/2");
    if (Files.isSymbolicLink(link)) {
      try {
        String target = Files.readSymbolicLink(link).toString();
        return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
      } catch (IOException | UnsupportedOperationException e) {
        return false;
      }
    }
    return System.console() != null;
  }
}
