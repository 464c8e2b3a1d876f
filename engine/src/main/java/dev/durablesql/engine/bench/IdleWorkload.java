package dev.durablesql.engine.bench;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * {@code idle}: many instances parked on a signal cost rows, not engine memory. Starts them, waits
 * until every one is parked, reports the process's heap and resident memory, then signals them all
 * and measures how fast they complete.
 */
final class IdleWorkload {
  private static final int START_CHUNK = 10_000;
  private static final int SIGNAL_CHUNK = 1_000;

  private final BenchDatabase database;
  private final PrintWriter out;
  private final boolean engineInProcess;

  IdleWorkload(BenchDatabase database, PrintWriter out, boolean engineInProcess) {
    this.database = requireNonNull(database, "database is null");
    this.out = requireNonNull(out, "out is null");
    this.engineInProcess = engineInProcess;
  }

  void run(int count) throws Exception {
    database.prepare(1);
    database.clearInstances();
    long heapBefore = usedHeapAfterGc();
    long started = System.nanoTime();
    try (Connection connection = database.asBenchRole();
        Statement statement = connection.createStatement()) {
      // Chunks of their own transactions, so that the engine parks the first while the rest start.
      for (int done = 0; done < count; done += START_CHUNK) {
        statement.execute(
            "SELECT count(df.start(df.wait_for_signal('go'))) FROM generate_series(1, "
                + Math.min(START_CHUNK, count - done)
                + ")");
      }
    }
    double startSeconds = seconds(started);
    Duration limit = Duration.ofSeconds(Math.max(300, count / 20));
    await(
        "SELECT count(*) FROM df_engine.runs WHERE submitted_by = '"
            + BenchDatabase.ROLE
            + "'::regrole AND lease_owner IS NULL AND wake_at = 'infinity'",
        count,
        limit);
    double parkSeconds = seconds(started);
    long heapParked = usedHeapAfterGc();
    OptionalLong rss = residentBytes();

    long signalling = System.nanoTime();
    signalAll();
    double signalSeconds = seconds(signalling);
    await(
        "SELECT count(*) FROM df.instances WHERE status = 'completed' AND submitted_by = '"
            + BenchDatabase.ROLE
            + "'::regrole",
        count,
        limit);
    double completeSeconds = seconds(signalling);

    String memory =
        engineInProcess
            ? String.format(
                Locale.ROOT,
                " heap_used_mb_before=%.1f heap_used_mb_parked=%.1f rss_mb=%s",
                heapBefore / 1e6,
                heapParked / 1e6,
                rss.isPresent() ? String.format(Locale.ROOT, "%.1f", rss.getAsLong() / 1e6) : "n/a")
            : " engine=external";
    out.printf(
        Locale.ROOT,
        "RESULT durable-sql idle instances=%d start_s=%.1f park_s=%.1f parked/s=%.0f%s"
            + " signal_s=%.1f complete_s=%.1f completed/s=%.0f%n",
        count,
        startSeconds,
        parkSeconds,
        count / parkSeconds,
        memory,
        signalSeconds,
        completeSeconds,
        count / completeSeconds);
    out.flush();
    database.clearInstances();
  }

  /**
   * {@code df.signal(id, 'go')} to every waiting instance, {@value #SIGNAL_CHUNK} per transaction
   * as a client would send them (df.signal opens a subtransaction per call, and a transaction with
   * 100 000 of them slows PostgreSQL down far more than linearly).
   */
  private void signalAll() throws SQLException {
    try (Connection connection = database.asBenchRole();
        Statement waiting = connection.createStatement();
        PreparedStatement signal =
            connection.prepareStatement(
                "SELECT count(df.signal(x, 'go')) FROM unnest(?::text[]) AS x")) {
      List<String> ids = new ArrayList<>();
      try (ResultSet rows =
          waiting.executeQuery(
              "SELECT id FROM df.instances WHERE status IN ('pending', 'running')")) {
        while (rows.next()) {
          ids.add(rows.getString(1));
        }
      }
      for (int from = 0; from < ids.size(); from += SIGNAL_CHUNK) {
        List<String> chunk = ids.subList(from, Math.min(ids.size(), from + SIGNAL_CHUNK));
        signal.setArray(1, connection.createArrayOf("text", chunk.toArray()));
        signal.executeQuery().close();
      }
    }
  }

  private void await(String countSql, long target, Duration limit) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      long now = database.count(countSql);
      if (now >= target) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "idle: only " + now + " of " + target + " instances got there within " + limit);
      }
      Thread.sleep(250);
    }
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  /** Heap in use after a full collection: what the live objects take. */
  static long usedHeapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** This process's resident set (VmRSS in /proc/self/status), where the system has one. */
  static OptionalLong residentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          String[] parts = line.substring(6).trim().split("\\s+", -1);
          return OptionalLong.of(Long.parseLong(parts[0]) * 1024);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }
}
