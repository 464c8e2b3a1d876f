package dev.durablesql.engine.bench;

import static java.util.Objects.requireNonNull;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.postgresql.PGConnection;

/**
 * {@code fairness} (R-EXT-7): the start-to-completion latency of one role's single-step instance,
 * first on an idle engine, then while another role has a backlog of queued instances. With a fair
 * claim the second figure stays close to the first instead of growing with the backlog.
 */
final class FairnessWorkload {
  private static final int SAMPLES = 20;
  private static final int WARM_UP = 5;
  private static final String STEP = "UPDATE public.bench_rows SET v = v + 1 WHERE id = 1";

  private final BenchDatabase database;
  private final PrintWriter out;

  FairnessWorkload(BenchDatabase database, PrintWriter out) {
    this.database = requireNonNull(database, "database is null");
    this.out = requireNonNull(out, "out is null");
  }

  /**
   * @param backlogQuota a quota (max_running_instances) for the backlog's role while the latency
   *     behind it is measured, or {@code null} for none
   */
  void run(int backlog, Integer backlogQuota) throws Exception {
    database.prepare(Math.max(backlog, 1));
    database.prepareOtherRole();
    database.clearInstances();
    database.clearInstances(BenchDatabase.OTHER_ROLE);
    database.setQuota(BenchDatabase.ROLE, backlogQuota);

    List<Double> alone = latencies(WARM_UP);
    long queueing = System.nanoTime();
    try (Connection connection = database.asBenchRole();
        Statement statement = connection.createStatement()) {
      statement.execute(
          "SELECT count(df.start('UPDATE public.bench_rows SET v = v + 1 WHERE id = ' || g))"
              + " FROM generate_series(1, "
              + backlog
              + ") g");
    }
    double queueSeconds = (System.nanoTime() - queueing) / 1e9;
    long queuedAtStart = backlogLeft();
    List<Double> behindBacklog = latencies(0);
    long queuedAtEnd = backlogLeft();

    out.printf(
        Locale.ROOT,
        "RESULT durable-sql fairness backlog=%d backlog_quota=%s queue_s=%.1f alone_median_ms=%.1f"
            + " alone_max_ms=%.1f"
            + " with_backlog_median_ms=%.1f with_backlog_max_ms=%.1f"
            + " backlog_left_before=%d backlog_left_after=%d (%d runs each)%n",
        backlog,
        backlogQuota == null ? "none" : backlogQuota.toString(),
        queueSeconds,
        median(alone),
        max(alone),
        median(behindBacklog),
        max(behindBacklog),
        queuedAtStart,
        queuedAtEnd,
        SAMPLES);
    out.flush();
    dropBacklog();
  }

  /** {@value #SAMPLES} sequential single-step instances of the other role, after warm-up runs. */
  private List<Double> latencies(int warmUp) throws Exception {
    List<Double> latencies = new ArrayList<>();
    try (Connection connection = database.asRole(BenchDatabase.OTHER_ROLE);
        PreparedStatement start =
            connection.prepareStatement("SELECT df.start('" + STEP.replace("'", "''") + "')");
        PreparedStatement status =
            connection.prepareStatement("SELECT status FROM df.instances WHERE id = ?");
        Statement listen = connection.createStatement()) {
      listen.execute("LISTEN df_done");
      PGConnection listener = connection.unwrap(PGConnection.class);
      for (int i = 0; i < warmUp + SAMPLES; i++) {
        long started = System.nanoTime();
        String id;
        try (ResultSet row = start.executeQuery()) {
          row.next();
          id = row.getString(1);
        }
        Workloads.awaitCompletion(listener, status, id);
        if (i >= warmUp) {
          latencies.add((System.nanoTime() - started) / 1e6);
        }
      }
    }
    Collections.sort(latencies);
    return latencies;
  }

  private long backlogLeft() throws Exception {
    return database.count(
        "SELECT count(*) FROM df_engine.runs WHERE submitted_by = '"
            + BenchDatabase.ROLE
            + "'::regrole");
  }

  /**
   * Pauses the backlog's role with a quota of 0, waits until none of its instances runs, and
   * deletes them, so that no engine is working on a row that goes away.
   */
  private void dropBacklog() throws Exception {
    database.setQuota(BenchDatabase.ROLE, 0);
    try {
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (database.count(
              "SELECT count(*) FROM df_engine.runs WHERE submitted_by = '"
                  + BenchDatabase.ROLE
                  + "'::regrole AND lease_owner IS NOT NULL AND lease_until >= now()")
          > 0) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("fairness: the backlog did not pause within 2 minutes");
        }
        Thread.sleep(50);
      }
      database.clearInstances();
      database.clearInstances(BenchDatabase.OTHER_ROLE);
    } finally {
      database.setQuota(BenchDatabase.ROLE, null);
    }
  }

  private static double median(List<Double> sorted) {
    return sorted.get(sorted.size() / 2);
  }

  private static double max(List<Double> sorted) {
    return sorted.get(sorted.size() - 1);
  }
}
