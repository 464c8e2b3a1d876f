package dev.durablesql.engine.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clears what an earlier run that ended abruptly left in a data directory, before a new server
 * starts there.
 *
 * <ul>
 *   <li>A {@code durable} JVM killed with -9 leaves its server running (pg_ctl detaches it),
 *       holding the port. That server is stopped, unless the JVM in {@link OwnerFile} still runs:
 *       then a second {@code durable} on the same directory fails instead of stopping the first
 *       one's server.
 *   <li>A server killed with -9 leaves {@code postmaster.pid} behind. PostgreSQL removes the file
 *       itself when its process id is free, but refuses to start while the id stands for a zombie
 *       nobody reaped or for another program; then the file is removed here, once no process of the
 *       old server is attached to its shared memory.
 * </ul>
 */
final class LeftoverServer {
  private static final Logger log = LoggerFactory.getLogger(LeftoverServer.class);

  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration DETACH_TIMEOUT = Duration.ofSeconds(10);

  private LeftoverServer() {}

  /**
   * Stops the server that an earlier run left running in {@code dataDirectory} if it listens on
   * {@code port}.
   *
   * @return whether there was one and it stopped
   */
  static boolean stopIfListeningOn(Path dataDirectory, int port) {
    Optional<Postmaster> found = Postmaster.fromPidFile(dataDirectory);
    if (found.isEmpty()
        || found.get().port() != port
        || found.get().state() != Postmaster.State.RUNNING) {
      return false;
    }
    stop(dataDirectory, found.get());
    return true;
  }

  /** Stops a server left running in {@code dataDirectory}, or removes a stale pid file. */
  static void clear(Path dataDirectory) {
    Optional<Postmaster> found = Postmaster.fromPidFile(dataDirectory);
    if (found.isEmpty()) {
      return;
    }
    Postmaster postmaster = found.get();
    switch (postmaster.state()) {
      case RUNNING -> stop(dataDirectory, postmaster);
      case ZOMBIE -> removeStalePidFile(postmaster, "a zombie that nothing has reaped");
      case REUSED -> removeStalePidFile(postmaster, "another program now");
      // GONE: PostgreSQL removes the file itself, after its own shared memory check. UNKNOWN:
      // PostgreSQL decides, and its message ends up in the server log and in our error.
      case GONE, UNKNOWN -> {}
    }
  }

  /**
   * Stops the server that a failed start may have left running (one whose pid differs from {@code
   * earlierPid}, the pid file's before the start); never throws.
   */
  static void stopAfterFailedStart(Path dataDirectory, Optional<Long> earlierPid) {
    try {
      Optional<Postmaster> found = Postmaster.fromPidFile(dataDirectory);
      if (found.isPresent()
          && !earlierPid.equals(Optional.of(found.get().pid()))
          && found.get().state() == Postmaster.State.RUNNING) {
        Postmaster postmaster = found.get();
        postmaster.signal("INT");
        if (!postmaster.awaitStop(STOP_TIMEOUT)) {
          postmaster.signal("QUIT");
        }
      }
    } catch (EmbeddedClusterException e) {
      log.warn("Could not stop PostgreSQL after a failed start in {}", dataDirectory, e);
    }
  }

  private static void stop(Path dataDirectory, Postmaster postmaster) {
    Optional<Long> owner = OwnerFile.in(dataDirectory).liveOwner();
    if (owner.isPresent()) {
      throw new EmbeddedClusterException(
          dataDirectory
              + " is in use by the running process "
              + owner.get()
              + (owner.get() == ProcessHandle.current().pid() ? " (this one)" : "")
              + ", whose PostgreSQL (PID "
              + postmaster.pid()
              + ") listens on port "
              + postmaster.port()
              + "; stop that process first, or pass another --data-dir");
    }
    log.warn(
        "Stopping PostgreSQL (PID {}, port {}) that an earlier run left running in {}",
        postmaster.pid(),
        postmaster.port(),
        dataDirectory);
    postmaster.signal("INT");
    if (!postmaster.awaitStop(STOP_TIMEOUT)) {
      throw new EmbeddedClusterException(
          "PostgreSQL (PID "
              + postmaster.pid()
              + ") that an earlier run left running in "
              + dataDirectory
              + " did not stop within "
              + STOP_TIMEOUT.toSeconds()
              + " s of a fast shutdown; stop it with kill -QUIT "
              + postmaster.pid()
              + " and start again");
    }
  }

  private static void removeStalePidFile(Postmaster postmaster, String what) {
    if (!postmaster.awaitSharedMemoryDetached(DETACH_TIMEOUT)) {
      throw new EmbeddedClusterException(
          "Processes of the PostgreSQL server (PID "
              + postmaster.pid()
              + ") that ended abruptly in "
              + postmaster.pidFile().getParent()
              + " still use its shared memory (id "
              + postmaster.sharedMemoryId()
              + ") after "
              + DETACH_TIMEOUT.toSeconds()
              + " s; end them (ipcs -m -p shows them) and start again");
    }
    log.info("Removing stale {}: PID {} is {}", postmaster.pidFile(), postmaster.pid(), what);
    try {
      Files.deleteIfExists(postmaster.pidFile());
    } catch (IOException e) {
      throw new EmbeddedClusterException(
          "Could not remove the stale " + postmaster.pidFile() + " (" + e + "); remove it yourself",
          e);
    }
  }
}
