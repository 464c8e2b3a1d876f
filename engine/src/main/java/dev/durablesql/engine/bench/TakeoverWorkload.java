package dev.durablesql.engine.bench;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.EngineConfig;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code takeover}: an engine in a child JVM claims instances and is killed with SIGKILL while it
 * runs them; an engine in this process takes them over once their leases lapse. Reports how long
 * after the kill each instance was claimed again, against the lease duration, and checks that every
 * instance's final step committed exactly once.
 */
final class TakeoverWorkload {
  private static final String CHILD = "bench-takeover-child";
  private static final String SURVIVOR = "bench-takeover-survivor";

  private final EngineConfig config;
  private final BenchDatabase database;
  private final PrintWriter out;

  TakeoverWorkload(EngineConfig config, BenchDatabase database, PrintWriter out) {
    this.config = requireNonNull(config, "config is null");
    this.database = requireNonNull(database, "database is null");
    this.out = requireNonNull(out, "out is null");
  }

  void run(int count) throws Exception {
    database.prepare(count);
    database.clearInstances();
    Path log = Files.createTempFile("durable-bench-takeover-child", ".log");
    Process child = startChild(log);
    try {
      awaitCount(
          "SELECT count(*) FROM df._worker_epoch WHERE last_seen_at > now() - interval '2 seconds'",
          1,
          Duration.ofMinutes(1),
          child,
          log);
      startInstances(count);
      // Mid-run: every instance claimed by the child, and some steps already checkpointed.
      awaitCount(
          "SELECT count(*) FROM df_engine.runs WHERE lease_owner = '" + CHILD + "'",
          count,
          Duration.ofMinutes(1),
          child,
          log);
      awaitCount(
          "SELECT count(*) FROM df.nodes WHERE node_type = 'SQL' AND status = 'completed'"
              + " AND submitted_by = '"
              + BenchDatabase.ROLE
              + "'::regrole",
          1,
          Duration.ofMinutes(1),
          child,
          log);
    } catch (RuntimeException | SQLException | InterruptedException e) {
      child.destroyForcibly();
      throw e;
    }

    try (Engine survivor = Engine.start(config.withEngineName(SURVIVOR))) {
      double leaseLeftMin =
          database.count(
                  "SELECT (extract(epoch FROM min(lease_until) - now()) * 1000)::bigint"
                      + " FROM df_engine.runs WHERE lease_owner = '"
                      + CHILD
                      + "'")
              / 1000.0;
      double leaseLeftMax =
          database.count(
                  "SELECT (extract(epoch FROM max(lease_until) - now()) * 1000)::bigint"
                      + " FROM df_engine.runs WHERE lease_owner = '"
                      + CHILD
                      + "'")
              / 1000.0;
      child.destroyForcibly();
      long killed = System.nanoTime();
      child.waitFor(10, TimeUnit.SECONDS);

      List<Double> reclaimed = awaitReclaimed(count, killed);
      awaitCount(
          "SELECT count(*) FROM df.instances WHERE status = 'completed' AND submitted_by = '"
              + BenchDatabase.ROLE
              + "'::regrole",
          count,
          Duration.ofMinutes(5),
          null,
          log);
      double allCompleted = (System.nanoTime() - killed) / 1e9;
      long once = database.count("SELECT count(*) FROM public.bench_rows WHERE v = 1");
      Collections.sort(reclaimed);
      out.printf(
          Locale.ROOT,
          "RESULT durable-sql takeover instances=%d lease_s=%.1f heartbeat_s=%.1f poll_s=%.1f"
              + " lease_left_at_kill_s=%.1f..%.1f reclaimed_first_s=%.2f reclaimed_median_s=%.2f"
              + " reclaimed_last_s=%.2f all_completed_s=%.2f final_step_once=%d/%d%n",
          count,
          config.leaseDuration().toMillis() / 1000.0,
          config.heartbeatInterval().toMillis() / 1000.0,
          config.pollInterval().toMillis() / 1000.0,
          leaseLeftMin,
          leaseLeftMax,
          reclaimed.get(0),
          reclaimed.get(reclaimed.size() / 2),
          reclaimed.get(reclaimed.size() - 1),
          allCompleted,
          once,
          count);
      out.flush();
    } finally {
      child.destroyForcibly();
    }
    database.clearInstances();
    Files.deleteIfExists(log);
  }

  /**
   * {@code durable engine} in a child JVM with this process's class path, against the same
   * database, with this engine's lease, heartbeat, poll and capacity settings.
   */
  private Process startChild(Path log) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>();
    command.add(java);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("dev.durablesql.engine.cli.DurableCli");
    command.add("engine");
    command.add("--url");
    command.add(config.jdbcUrl());
    config
        .user()
        .ifPresent(user -> {
          command.add("--user");
          command.add(user);
        });
    command.add("--no-install");
    for (String setting :
        List.of(
            "engine-name=" + CHILD,
            "lease-duration=" + config.leaseDuration().toMillis() + "ms",
            "heartbeat-interval=" + config.heartbeatInterval().toMillis() + "ms",
            "poll-interval=" + config.pollInterval().toMillis() + "ms",
            "max-concurrent-instances=" + config.maxConcurrentInstances(),
            "max-user-connections=" + config.maxUserConnections(),
            "max-connections-per-role=" + config.maxConnectionsPerRole())) {
      command.add("--set");
      command.add(setting);
    }
    config
        .roleSecretsDirectory()
        .ifPresent(folder -> {
          command.add("--set");
          command.add("role-secrets-dir=" + folder);
        });
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    // Through the environment, not the command line, which other users can read.
    config
        .password()
        .ifPresent(password -> builder.environment().put("DURABLE_PASSWORD", password));
    return builder.start();
  }

  /** Each instance sleeps in two steps, then updates its own row once. */
  private void startInstances(int count) throws SQLException {
    try (Connection connection = database.asBenchRole();
        PreparedStatement start =
            connection.prepareStatement(
                "SELECT df.start(df.seq(df.seq('SELECT pg_sleep(0.5)', 'SELECT pg_sleep(0.5)'), ?))")) {
      for (int i = 1; i <= count; i++) {
        start.setString(1, "UPDATE public.bench_rows SET v = v + 1 WHERE id = " + i);
        start.executeQuery().close();
      }
    }
  }

  /** Seconds from the kill until each instance was claimed by the survivor. */
  private List<Double> awaitReclaimed(int count, long killed) throws Exception {
    Map<String, Double> reclaimed = new HashMap<>();
    long deadline = killed + config.leaseDuration().multipliedBy(4).plusMinutes(1).toNanos();
    try (Connection connection = database.admin();
        PreparedStatement owners =
            connection.prepareStatement(
                "SELECT r.instance_id FROM df_engine.runs r WHERE r.submitted_by = ?::regrole"
                    + " AND r.lease_owner IS DISTINCT FROM ?"
                    + " UNION ALL SELECT i.id FROM df.instances i WHERE i.submitted_by = ?::regrole"
                    + " AND i.status = 'completed'")) {
      owners.setString(1, BenchDatabase.ROLE);
      owners.setString(2, CHILD);
      owners.setString(3, BenchDatabase.ROLE);
      while (reclaimed.size() < count) {
        try (ResultSet rows = owners.executeQuery()) {
          double now = (System.nanoTime() - killed) / 1e9;
          while (rows.next()) {
            reclaimed.putIfAbsent(rows.getString(1), now);
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "takeover: only " + reclaimed.size() + " of " + count + " instances were taken over");
        }
        Thread.sleep(10);
      }
    }
    return new ArrayList<>(reclaimed.values());
  }

  private void awaitCount(String sql, long target, Duration limit, Process child, Path log)
      throws SQLException, InterruptedException, IOException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (database.count(sql) < target) {
      if (child != null && !child.isAlive()) {
        throw new IllegalStateException(
            "takeover: the child engine exited with " + child.exitValue() + ":\n" + tail(log));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "takeover: waited " + limit + " for " + target + " from: " + sql + "\n" + tail(log));
      }
      Thread.sleep(20);
    }
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
  }
}
