package dev.durablesql.engine.embedded;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The server process named by a data directory's {@code postmaster.pid}, as PostgreSQL wrote it:
 * line 1 the process id, line 3 the start time in epoch seconds, line 4 the port, line 7 the key
 * and id of its System V shared memory segment. Fields the file lacks (it was cut short) are -1.
 */
record Postmaster(Path pidFile, long pid, long startEpochSecond, int port, long sharedMemoryId) {
  static final String PID_FILE = "postmaster.pid";

  private static final Duration POLL_INTERVAL = Duration.ofMillis(20);

  /** What the process id in the pid file stands for now. */
  enum State {
    /** The server that wrote the pid file is still running. */
    RUNNING,
    /** No such process: the server ended without removing the file (kill -9, power loss). */
    GONE,
    /**
     * The server ended, but nothing has reaped it yet (a container's init may take its time or
     * never do it), so PostgreSQL still takes the id for a running server.
     */
    ZOMBIE,
    /** The id now belongs to a program that is not PostgreSQL. */
    REUSED,
    /** Cannot tell (another user's process, or a postgres started at another time). */
    UNKNOWN
  }

  Postmaster {
    requireNonNull(pidFile, "pidFile is null");
  }

  /** Reads the pid file of {@code dataDirectory}; empty if there is none or it has no pid. */
  static Optional<Postmaster> fromPidFile(Path dataDirectory) {
    Path pidFile = dataDirectory.resolve(PID_FILE);
    List<String> lines;
    try {
      lines = Files.readAllLines(pidFile, UTF_8);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new EmbeddedClusterException(
          "Could not read " + pidFile + " (" + e + "); check its permissions", e);
    }
    long pid = number(lines, 0, 0);
    if (pid <= 0) {
      return Optional.empty();
    }
    return Optional.of(
        new Postmaster(
            pidFile, pid, number(lines, 2, 0), (int) number(lines, 3, 0), number(lines, 6, 1)));
  }

  State state() {
    Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    if (process.isEmpty()) {
      return State.GONE;
    }
    if (ProcessStatus.isZombie(pid)) {
      return State.ZOMBIE;
    }
    Optional<String> command = process.get().info().command();
    if (command.isEmpty()) {
      return State.UNKNOWN;
    }
    // Starts with: /proc shows "postgres (deleted)" once zonky has unpacked the binaries again.
    if (!Path.of(command.get()).getFileName().toString().startsWith("postgres")) {
      return State.REUSED;
    }
    boolean sameStart =
        startEpochSecond > 0
            && process.get().info().startInstant().isPresent()
            && ProcessStatus.startedAt(
                process.get(), Optional.of(Instant.ofEpochSecond(startEpochSecond)));
    return sameStart ? State.RUNNING : State.UNKNOWN;
  }

  /** Whether the server may still be running: it did not remove its pid file, and may be alive. */
  boolean mayBeRunning() {
    if (!isPidFileOurs()) {
      return false;
    }
    State state = state();
    return state == State.RUNNING || state == State.UNKNOWN;
  }

  /**
   * Sends a shutdown signal: {@code INT} for a fast shutdown, {@code QUIT} for an immediate one
   * (crash recovery at the next start, committed data kept).
   */
  void signal(String name) {
    ProcessBuilder kill =
        new ProcessBuilder("kill", "-s", name, Long.toString(pid))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    try {
      int exitCode = kill.start().waitFor();
      if (exitCode != 0 && state() == State.RUNNING) {
        throw new EmbeddedClusterException(
            "Could not send SIG"
                + name
                + " to PostgreSQL (PID "
                + pid
                + "): kill exited with "
                + exitCode
                + "; stop it yourself with kill -"
                + name
                + " "
                + pid);
      }
    } catch (IOException e) {
      throw new EmbeddedClusterException(
          "Could not run kill to stop PostgreSQL (PID " + pid + "): " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EmbeddedClusterException(
          "Interrupted while sending SIG" + name + " to PostgreSQL (PID " + pid + ")", e);
    }
  }

  /**
   * Waits until the server has stopped: it removes its pid file last when it shuts down, and a
   * server that died leaves the file behind.
   *
   * @return whether it stopped within {@code timeout}
   */
  boolean awaitStop(Duration timeout) {
    return await(() -> !mayBeRunning(), timeout, "stop");
  }

  /**
   * Waits until no process is attached to the server's shared memory any more. A server killed with
   * -9 leaves its children running for a moment; PostgreSQL checks this itself, but only while the
   * pid file names the segment, so this must hold before the file is removed.
   *
   * @return whether they detached within {@code timeout}
   */
  boolean awaitSharedMemoryDetached(Duration timeout) {
    return await(() -> SharedMemory.attachedProcesses(sharedMemoryId) == 0, timeout, "detach");
  }

  /** Whether the pid file still names this process (a new server writes its own). */
  private boolean isPidFileOurs() {
    return fromPidFile(pidFile.getParent()).map(current -> current.pid() == pid).orElse(false);
  }

  private boolean await(Condition condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.holds()) {
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      try {
        Thread.sleep(POLL_INTERVAL);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new EmbeddedClusterException(
            "Interrupted while waiting for PostgreSQL (PID " + pid + ") to " + what, e);
      }
    }
    return true;
  }

  private static long number(List<String> lines, int line, int field) {
    if (lines.size() <= line) {
      return -1;
    }
    String[] fields = lines.get(line).strip().split("\\s+", -1);
    if (fields.length <= field) {
      return -1;
    }
    try {
      return Long.parseLong(fields[field]);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @FunctionalInterface
  private interface Condition {
    boolean holds();
  }
}
