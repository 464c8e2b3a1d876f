package dev.durablesql.engine.bench;

import static java.util.Objects.requireNonNull;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The workloads of shared/bench/README.md, each workflow started with its own {@code df.start} by
 * client connections as a user would, measured until the client sees the instances completed.
 */
final class Workloads {
  private static final String NAME = "durable-sql";
  private static final int W1_WARM_UP = 200;

  private final BenchDatabase database;
  private final PrintWriter out;
  private final int clients;

  Workloads(BenchDatabase database, PrintWriter out, int clients) {
    this.database = requireNonNull(database, "database is null");
    this.out = requireNonNull(out, "out is null");
    this.clients = clients;
  }

  /**
   * W1: {@code count} workflows of 3 sequential single-row UPDATEs, started by all clients, after
   * an unreported warm-up round of {@value #W1_WARM_UP} workflows (the JIT compiler and the
   * connection pools; the Java peers warm up the same way).
   */
  void w1(int count) throws Exception {
    database.prepare(count);
    startAndAwait(Math.min(W1_WARM_UP, count));
    BenchDatabase.Counters before = database.counters();
    long started = System.nanoTime();
    startAndAwait(count);
    double seconds = (System.nanoTime() - started) / 1e9;
    BenchDatabase.Counters used = countersAfter(before);
    out.printf(
        Locale.ROOT,
        "RESULT %s W1 workflows=%d wall_s=%.3f workflows/s=%.0f steps/s=%.0f"
            + " commits/workflow=%.1f wal_bytes/workflow=%.0f wal_lsn_bytes/workflow=%.0f%n",
        NAME,
        count,
        seconds,
        count / seconds,
        3 * count / seconds,
        (double) used.commits() / count,
        (double) used.walBytes() / count,
        (double) used.walPosition() / count);
    out.flush();
  }

  /** Starts W1's {@code count} workflows from all clients and waits until they completed. */
  private void startAndAwait(int count) throws Exception {
    database.clearInstances();
    try (Completions completions = new Completions(database);
        ExecutorService threads = Executors.newFixedThreadPool(clients)) {
      List<Future<?>> running = new ArrayList<>();
      for (int client = 0; client < clients; client++) {
        int first = client;
        running.add(
            threads.submit(() -> {
              try (Connection connection = database.asBenchRole();
                  PreparedStatement start =
                      connection.prepareStatement("SELECT df.start(df.seq(df.seq(?, ?), ?))")) {
                for (int i = first + 1; i <= count; i += clients) {
                  String step = "UPDATE public.bench_rows SET v = v + 1 WHERE id = " + i;
                  start.setString(1, step);
                  start.setString(2, step);
                  start.setString(3, step);
                  start.executeQuery().close();
                }
              }
              return null;
            }));
      }
      for (Future<?> future : running) {
        future.get();
      }
      completions.await(count, Duration.ofMinutes(10));
    }
  }

  /** W2 (join variant): one workflow of 500 parallel UPDATEs in one JOIN, then a final step. */
  void w2(int runs) throws Exception {
    database.prepare(500);
    List<Double> walls = new ArrayList<>();
    StringBuilder extras = new StringBuilder();
    for (int i = 3; i <= 500; i++) {
      extras.append(i == 3 ? "" : ",").append(sqlNode(i));
    }
    String durofut =
        "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"JOIN\",\"left_node\":"
            + sqlNode(1)
            + ",\"right_node\":"
            + sqlNode(2)
            + ",\"extra_nodes\":["
            + extras
            + "]},\"right_node\":{\"node_type\":\"SQL\",\"query\":\"SELECT sum(v) FROM"
            + " public.bench_rows\"}}";
    for (int run = 0; run < runs; run++) {
      database.clearInstances();
      try (Completions completions = new Completions(database)) {
        long started = System.nanoTime();
        try (Connection connection = database.asBenchRole();
            PreparedStatement start = connection.prepareStatement("SELECT df.start(?)")) {
          start.setString(1, durofut);
          start.executeQuery().close();
        }
        completions.await(1, Duration.ofMinutes(5));
        walls.add((System.nanoTime() - started) / 1e6);
      }
    }
    Collections.sort(walls);
    out.printf(
        Locale.ROOT,
        "RESULT %s W2-join500 wall_ms_median=%.1f min=%.1f max=%.1f (%d runs)%n",
        NAME,
        walls.get(walls.size() / 2),
        walls.get(0),
        walls.get(walls.size() - 1),
        runs);
    out.flush();
  }

  /**
   * W2 (df.map variant): one workflow whose MAP runs a single-row UPDATE for each of 500 rows, at
   * most 8 at a time (df.map's default), then a final step.
   */
  void w2Map(int runs) throws Exception {
    database.prepare(500);
    String durofut =
        "df.seq(df.map('SELECT id FROM public.bench_rows ORDER BY id LIMIT 500',"
            + " 'UPDATE public.bench_rows SET v = v + 1 WHERE id = $item.id'),"
            + " 'SELECT sum(v) FROM public.bench_rows')";
    List<Double> walls = new ArrayList<>();
    for (int run = 0; run < runs; run++) {
      database.clearInstances();
      try (Completions completions = new Completions(database)) {
        long started = System.nanoTime();
        try (Connection connection = database.asBenchRole();
            PreparedStatement start =
                connection.prepareStatement("SELECT df.start(" + durofut + ")")) {
          start.executeQuery().close();
        }
        completions.await(1, Duration.ofMinutes(5));
        walls.add((System.nanoTime() - started) / 1e6);
      }
    }
    Collections.sort(walls);
    out.printf(
        Locale.ROOT,
        "RESULT %s W2-map500 wall_ms_median=%.1f min=%.1f max=%.1f (%d runs)%n",
        NAME,
        walls.get(walls.size() / 2),
        walls.get(0),
        walls.get(walls.size() - 1),
        runs);
    out.flush();
  }

  private static String sqlNode(int row) {
    return "{\"node_type\":\"SQL\",\"query\":\"UPDATE public.bench_rows SET v = v + 1 WHERE id = "
        + row
        + "\"}";
  }

  /** W3: start → completed as the client sees it, for {@code count} sequential 1-step runs. */
  void w3(int count, int warmUp) throws Exception {
    database.prepare(1);
    database.clearInstances();
    List<Double> latencies = new ArrayList<>();
    try (Connection connection = database.asBenchRole();
        PreparedStatement start =
            connection.prepareStatement(
                "SELECT df.start('UPDATE public.bench_rows SET v = v + 1 WHERE id = 1')");
        java.sql.Statement listen = connection.createStatement()) {
      // As the skeleton's client does: wait for the engine's completion notification, not by
      // polling, which would take CPU from the engine on a small machine.
      listen.execute("LISTEN df_done");
      org.postgresql.PGConnection listener = connection.unwrap(org.postgresql.PGConnection.class);
      w3Runs(count, warmUp, connection, start, listener, latencies);
    }
    report(latencies);
  }

  private void w3Runs(
      int count,
      int warmUp,
      Connection connection,
      PreparedStatement start,
      org.postgresql.PGConnection listener,
      List<Double> latencies)
      throws Exception {
    try (PreparedStatement status =
        connection.prepareStatement("SELECT status FROM df.instances WHERE id = ?")) {
      for (int i = 0; i < count + warmUp; i++) {
        long started = System.nanoTime();
        String id;
        try (ResultSet row = start.executeQuery()) {
          row.next();
          id = row.getString(1);
        }
        awaitCompletion(listener, status, id);
        if (i >= warmUp) {
          latencies.add((System.nanoTime() - started) / 1e6);
        }
      }
    }
  }

  /**
   * Waits for {@code df_done} naming {@code id}; looks at its status when no notification comes
   * within a second (a notification is not durable, so a reconnect could miss one).
   */
  static void awaitCompletion(
      org.postgresql.PGConnection listener, PreparedStatement status, String id) throws Exception {
    while (true) {
      org.postgresql.PGNotification[] received = listener.getNotifications(1_000);
      if (received != null) {
        for (org.postgresql.PGNotification notification : received) {
          if (notification.getParameter().startsWith(id + ":")) {
            checkCompleted(id, notification.getParameter().substring(id.length() + 1));
            return;
          }
        }
        continue;
      }
      status.setString(1, id);
      try (ResultSet row = status.executeQuery()) {
        row.next();
        String value = row.getString(1);
        if (!value.equals("pending") && !value.equals("running")) {
          checkCompleted(id, value);
          return;
        }
      }
    }
  }

  private static void checkCompleted(String id, String value) {
    if (!value.equals("completed")) {
      throw new IllegalStateException("Benchmark instance " + id + " ended " + value);
    }
  }

  private void report(List<Double> latencies) {
    Collections.sort(latencies);
    out.printf(
        Locale.ROOT,
        "RESULT %s W3-latency n=%d median_ms=%.3f p99_ms=%.3f max_ms=%.3f%n",
        NAME,
        latencies.size(),
        latencies.get(latencies.size() / 2),
        latencies.get((int) Math.min(latencies.size() - 1, Math.round(latencies.size() * 0.99))),
        latencies.get(latencies.size() - 1));
    out.flush();
  }

  private BenchDatabase.Counters countersAfter(BenchDatabase.Counters before)
      throws SQLException, InterruptedException {
    // Backends report their statistics within about a second of going idle.
    Thread.sleep(1_500);
    return database.counters().minus(before);
  }
}
