package dev.durablesql.engine.embedded;

import static java.util.Objects.requireNonNull;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL 17 server from the zonky binaries, on a data directory that outlives it: a
 * missing or empty directory gets a new cluster (initdb: superuser {@code postgres}, trust
 * authentication, UTF8), a directory holding a PostgreSQL 17 cluster is reused with its data, and
 * anything else is refused. The server listens on 127.0.0.1 only (no Unix socket) and writes its
 * log to {@code <data-dir>.log} beside the directory. Nothing here ever deletes the directory.
 *
 * <p>Thread-safe; {@link #close()} is idempotent. A JVM shutdown hook stops the server if the JVM
 * exits without closing it; after a kill -9 of the JVM the next {@link #start} stops it instead.
 */
public final class EmbeddedCluster implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedCluster.class);

  private static final String SUPERUSER = "postgres";

  /** After zonky's fast shutdown (pg_ctl waits 5 s), how long an immediate shutdown may take. */
  private static final Duration IMMEDIATE_STOP_TIMEOUT = Duration.ofSeconds(3);

  private final EmbeddedPostgres server;
  private final Path dataDirectory;
  private final int port;
  private final ServerLog serverLog;
  private final boolean created;
  private final Optional<Postmaster> postmaster;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * Stops the server if the JVM exits without closing this cluster. A command that stops the engine
   * and the server in order on its own shutdown hook removes it ({@link #handOverShutdown}): JVM
   * shutdown hooks run concurrently, and this one would stop the server under the engine's last
   * writes.
   */
  private final Thread safetyNet = new Thread(this::close, "df-postgres-stop");

  private EmbeddedCluster(
      EmbeddedPostgres server, DataDirectory found, int port, ServerLog serverLog) {
    this.server = server;
    this.dataDirectory = found.path();
    this.port = port;
    this.serverLog = serverLog;
    this.created = !found.holdsCluster();
    this.postmaster = Postmaster.fromPidFile(dataDirectory);
    Runtime.getRuntime().addShutdownHook(safetyNet);
  }

  /**
   * The caller stops this cluster itself when the JVM shuts down (after whatever still uses it), so
   * the cluster's own shutdown hook is removed.
   */
  public void handOverShutdown() {
    removeSafetyNet();
  }

  private void removeSafetyNet() {
    try {
      Runtime.getRuntime().removeShutdownHook(safetyNet);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down: the hook runs or has run; close() is idempotent.
    }
  }

  /**
   * Starts a server on {@code dataDirectory} listening on 127.0.0.1:{@code port}, and returns once
   * it accepts connections. A server that an earlier run of {@code durable} left running in the
   * same directory (its JVM killed with -9) is stopped first.
   *
   * @param port 1 to 65535, or 0 for any free port
   * @throws EmbeddedClusterException if the port is taken, the directory holds something other than
   *     a PostgreSQL 17 cluster, or initdb or the server fails; the message says which
   */
  public static EmbeddedCluster start(Path dataDirectory, int port) {
    requireNonNull(dataDirectory, "dataDirectory is null");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException(
          "port must be between 1 and 65535, or 0 for any free port; was " + port);
    }
    Path directory = dataDirectory.toAbsolutePath().normalize();
    int serverPort = port == 0 ? LoopbackPort.pickFree() : port;
    requirePortFree(directory, serverPort);
    DataDirectory found = DataDirectory.inspect(directory, ZonkyLauncher.scratchDirectory());
    if (found.holdsCluster()) {
      LeftoverServer.clear(directory);
    }
    ServerLog serverLog = ServerLog.beside(directory);
    long startNanos = System.nanoTime();
    EmbeddedPostgres server = new ZonkyLauncher(found, serverPort, serverLog).launch();
    EmbeddedCluster cluster;
    try {
      cluster = new EmbeddedCluster(server, found, serverPort, serverLog);
      OwnerFile.in(directory).claim();
    } catch (EmbeddedClusterException e) {
      closeQuietly(server);
      throw e;
    }
    log.info(
        "PostgreSQL 17 {} {} on {}:{} in {} ms; server log {}",
        cluster.created ? "created" : "reused",
        directory,
        LoopbackPort.HOST,
        serverPort,
        Duration.ofNanos(System.nanoTime() - startNanos).toMillis(),
        serverLog.path());
    return cluster;
  }

  public int port() {
    return port;
  }

  /** The data directory, absolute. */
  public Path dataDirectory() {
    return dataDirectory;
  }

  /** The file that initdb, pg_ctl and the server append to: {@code <data-dir>.log}. */
  public Path serverLog() {
    return serverLog.path();
  }

  /** The superuser, who logs in without a password (trust) over the loopback address. */
  public String superuser() {
    return SUPERUSER;
  }

  /** Whether this start ran initdb, rather than reusing a cluster already in the directory. */
  public boolean isNewCluster() {
    return created;
  }

  /** {@code jdbc:postgresql://127.0.0.1:<port>/<database>}, without user or password. */
  public String jdbcUrl(String database) {
    requireNonNull(database, "database is null");
    if (database.isBlank()) {
      throw new IllegalArgumentException("database is blank");
    }
    return "jdbc:postgresql://"
        + LoopbackPort.HOST
        + ":"
        + port
        + "/"
        + URLEncoder.encode(database, StandardCharsets.UTF_8);
  }

  /**
   * Stops the server with a fast shutdown (open sessions are ended, committed data is kept), or an
   * immediate one if that takes more than 5 s. Returns within about 8 s; later calls do nothing.
   *
   * @throws EmbeddedClusterException if the server is still running after both
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (Thread.currentThread() != safetyNet) {
      removeSafetyNet();
    }
    try {
      server.close(); // pg_ctl stop -m fast -t 5 -w; logs rather than throws when pg_ctl fails
    } catch (IOException e) {
      log.warn("zonky could not release its lock file in {}", dataDirectory, e);
    }
    if (postmaster.isPresent() && postmaster.get().mayBeRunning()) {
      stopImmediately(postmaster.get());
    }
    OwnerFile.in(dataDirectory).release();
  }

  @Override
  public String toString() {
    return "EmbeddedCluster[" + dataDirectory + " on " + LoopbackPort.HOST + ":" + port + "]";
  }

  private void stopImmediately(Postmaster running) {
    log.warn(
        "PostgreSQL (PID {}) in {} is still running after a fast shutdown; shutting it down"
            + " immediately",
        running.pid(),
        dataDirectory);
    running.signal("QUIT");
    if (!running.awaitStop(IMMEDIATE_STOP_TIMEOUT)) {
      throw new EmbeddedClusterException(
          "PostgreSQL (PID "
              + running.pid()
              + ") in "
              + dataDirectory
              + " is still running after a fast and an immediate shutdown; see the server log "
              + serverLog.path()
              + " and stop it with kill -KILL "
              + running.pid());
    }
  }

  private static void closeQuietly(EmbeddedPostgres server) {
    try {
      server.close();
    } catch (IOException e) {
      log.warn("zonky could not release its lock file after a failed start", e);
    }
  }

  private static void requirePortFree(Path directory, int port) {
    if (LoopbackPort.isFree(port)) {
      return;
    }
    // The one holder we may stop: a server that an earlier run left running in this directory.
    if (LeftoverServer.stopIfListeningOn(directory, port) && LoopbackPort.isFree(port)) {
      return;
    }
    throw new EmbeddedClusterException(
        "port "
            + port
            + " on "
            + LoopbackPort.HOST
            + " is already in use; stop whatever listens there or choose another port with"
            + " --pg-port");
  }
}
