package dev.durablesql.engine.embedded;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/** Whether a process id still stands for a running process started at a known time. */
final class ProcessStatus {
  /** Start times from /proc and from another clock reading can differ by a little. */
  private static final long START_TOLERANCE_MILLIS = 5_000;

  private ProcessStatus() {}

  /** The process, if it runs: alive and not a zombie that nothing has reaped yet. */
  static Optional<ProcessHandle> running(long pid) {
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(process -> !isZombie(pid));
  }

  /** Whether the process ended but its parent (a container's init, say) has not reaped it. */
  static boolean isZombie(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), UTF_8);
      // "pid (command) state ...": the command may hold spaces and parentheses.
      String afterCommand = stat.substring(stat.lastIndexOf(')') + 1).strip();
      return afterCommand.startsWith("Z") || afterCommand.startsWith("X");
    } catch (IOException | IndexOutOfBoundsException e) {
      return false; // gone since, or no /proc: ProcessHandle decides
    }
  }

  /** Whether {@code process} started at {@code expected}; true if either time is unknown. */
  static boolean startedAt(ProcessHandle process, Optional<Instant> expected) {
    Optional<Instant> actual = process.info().startInstant();
    if (actual.isEmpty() || expected.isEmpty()) {
      return true;
    }
    long difference = actual.get().toEpochMilli() - expected.get().toEpochMilli();
    return Math.abs(difference) <= START_TOLERANCE_MILLIS;
  }
}
