package dev.durablesql.engine.embedded;

import static java.util.Objects.requireNonNull;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts zonky's {@link EmbeddedPostgres} on a checked data directory and turns its failures into
 * one {@link EmbeddedClusterException} that says what failed and shows the end of the server log.
 *
 * <p>zonky polls for a connection until its startup timeout even when pg_ctl has already given up,
 * so zonky runs on a thread of its own while this one watches the server log for pg_ctl's verdict.
 */
final class ZonkyLauncher {
  private static final Logger log = LoggerFactory.getLogger(ZonkyLauncher.class);

  /** Long enough for crash recovery after an abrupt stop. */
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

  private static final Duration LOG_POLL_INTERVAL = Duration.ofMillis(50);
  private static final String PG_CTL_GAVE_UP = "pg_ctl: could not start server";
  private static final int LOG_LINES_IN_ERRORS = 12;

  private final DataDirectory found;
  private final int port;
  private final ServerLog serverLog;

  ZonkyLauncher(DataDirectory found, int port, ServerLog serverLog) {
    this.found = requireNonNull(found, "found is null");
    this.port = port;
    this.serverLog = requireNonNull(serverLog, "serverLog is null");
  }

  /** zonky's working directory: binaries in PG-&lt;md5&gt;, and its own throwaway clusters. */
  static Path scratchDirectory() {
    Path fallback = Path.of(System.getProperty("java.io.tmpdir"), "embedded-pg");
    return Path.of(System.getProperty("ot.epg.working-dir", fallback.toString()));
  }

  /** Starts the server and returns once it accepts connections. */
  EmbeddedPostgres launch() {
    Path directory = found.path();
    long logOffset = serverLog.size();
    Optional<Long> earlierPid = Postmaster.fromPidFile(directory).map(Postmaster::pid);
    try {
      Files.createDirectories(directory);
      return startAndWatch(builder(), logOffset);
    } catch (IOException | RuntimeException | ExceptionInInitializerError e) {
      LeftoverServer.stopAfterFailedStart(directory, earlierPid);
      throw new EmbeddedClusterException(describe(e, logOffset), e);
    }
  }

  private EmbeddedPostgres.Builder builder() {
    ProcessBuilder.Redirect toLog = ProcessBuilder.Redirect.appendTo(serverLog.path().toFile());
    return EmbeddedPostgres.builder()
        .setDataDirectory(found.path())
        .setCleanDataDirectory(false) // keep the data: initdb only runs without postgresql.conf
        .setPort(port)
        .setPGStartupWait(STARTUP_TIMEOUT)
        .setOutputRedirector(toLog)
        .setErrorRedirector(toLog)
        // EmbeddedCluster stops the server itself, in order with the engine (see its safety net).
        .setRegisterShutdownHook(false)
        .setLocaleConfig("locale", "C")
        .setLocaleConfig("locale-provider", "builtin")
        .setLocaleConfig("builtin-locale", "C.UTF-8")
        .setServerConfig("listen_addresses", LoopbackPort.HOST)
        // pg_ctl quotes nothing: the shell turns '' into an empty value, which means no socket.
        .setServerConfig("unix_socket_directories", "''")
        .setServerConfig("max_connections", "200")
        // zonky passes -F (fsync off) and synchronous_commit=off; a durable store wants both on.
        .setServerConfig("fsync", "on")
        .setServerConfig("synchronous_commit", "on");
  }

  private EmbeddedPostgres startAndWatch(EmbeddedPostgres.Builder builder, long logOffset)
      throws IOException {
    FutureTask<EmbeddedPostgres> start = new FutureTask<>(builder::start);
    Thread starter = Thread.ofPlatform().name("df-postgres-start").daemon().start(start);
    try {
      while (true) {
        try {
          return start.get(LOG_POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          if (serverLog.linesSince(logOffset, Integer.MAX_VALUE).stream()
              .anyMatch(line -> line.contains(PG_CTL_GAVE_UP))) {
            long logEnd = serverLog.size(); // before zonky's pg_ctl stop adds its complaint
            abandon(starter, start);
            throw new PgCtlGaveUp(logEnd);
          }
        }
      }
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (e.getCause() instanceof Error error) {
        throw error; // ExceptionInInitializerError: zonky could not unpack the binaries
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      abandon(starter, start);
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while the server was starting", e);
    }
  }

  /** Makes zonky stop waiting (it then returns as if the server were ready) and closes it. */
  private static void abandon(Thread starter, FutureTask<EmbeddedPostgres> start) {
    starter.interrupt();
    try {
      starter.join(STARTUP_TIMEOUT);
      if (start.isDone() && !start.isCancelled()) {
        start.resultNow().close();
      }
    } catch (IllegalStateException | IOException e) {
      log.debug("zonky failed while it was abandoned", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private String describe(Throwable failure, long logOffset) {
    Path directory = found.path();
    String what;
    if (failure instanceof ExceptionInInitializerError) {
      what = "Could not unpack the PostgreSQL 17 binaries into " + scratchDirectory();
    } else if (!found.holdsCluster() && !Files.exists(directory.resolve("PG_VERSION"))) {
      what = "Could not create a PostgreSQL 17 cluster in " + directory + " with initdb";
    } else {
      what =
          "PostgreSQL 17 in " + directory + " could not start on " + LoopbackPort.HOST + ":" + port;
    }
    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
    long logEnd = failure instanceof PgCtlGaveUp gaveUp ? gaveUp.logEnd : Long.MAX_VALUE;
    List<String> lines = serverLog.linesBetween(logOffset, logEnd, LOG_LINES_IN_ERRORS);
    StringBuilder message =
        new StringBuilder(what)
            .append(" (")
            .append(failure.getMessage() != null ? failure.getMessage() : cause)
            .append("); see the server log ")
            .append(serverLog.path());
    if (lines.stream().anyMatch(line -> line.contains("as root"))) {
      message.append(
          ". PostgreSQL refuses to run as root and zonky found no working `unshare -U`;"
              + " run durable as another user");
    }
    if (!lines.isEmpty()) {
      message.append(". Its last lines:");
      lines.forEach(line -> message.append(System.lineSeparator()).append("  ").append(line));
    }
    return message.toString();
  }

  /** pg_ctl reported that the server did not start; the log up to {@code logEnd} says why. */
  private static final class PgCtlGaveUp extends IllegalStateException {
    private final long logEnd;

    PgCtlGaveUp(long logEnd) {
      super("pg_ctl could not start the server");
      this.logEnd = logEnd;
    }
  }
}
