package dev.durablesql.engine.retention;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes finished instances (completed, failed, cancelled) that are older than the retention
 * period or outside the newest 10 000 finished ones (R-OPS-5), with their nodes and everything the
 * engine kept about them. Age and rank use {@code coalesce(completed_at, created_at)}, never {@code
 * updated_at}, which users can write. Running and pending instances are never touched. With several
 * engines, a transaction-level advisory lock lets one of them do a pass at a time.
 */
public final class RetentionJob implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RetentionJob.class);

  /** "dfretain" in ASCII. */
  private static final long LOCK_KEY = 0x646672657461696eL;

  private static final int KEEP_NEWEST = 10_000;

  private static final String DELETE =
      """
      WITH doomed AS (
          SELECT ranked.id
            FROM (SELECT i.id, coalesce(i.completed_at, i.created_at) AS finished_at,
                         row_number() OVER (ORDER BY coalesce(i.completed_at, i.created_at) DESC,
                                                     i.id DESC) AS newest
                    FROM df.instances i
                   WHERE i.status IN ('completed', 'failed', 'cancelled')) ranked
           WHERE ranked.finished_at < now() - make_interval(days => ?)
              OR ranked.newest > ?),
      events AS (DELETE FROM df_engine.events e USING doomed d WHERE e.instance_id = d.id),
      nodes AS (DELETE FROM df.nodes n USING doomed d WHERE n.instance_id = d.id)
      DELETE FROM df.instances i USING doomed d WHERE i.id = d.id\
      """;

  private final DataSource dataSource;
  private final int retentionDays;
  private final Duration interval;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("df-retention").factory());

  public RetentionJob(DataSource dataSource, int retentionDays, Duration interval) {
    this.dataSource = requireNonNull(dataSource, "dataSource is null");
    this.retentionDays = retentionDays;
    this.interval = requireNonNull(interval, "interval is null");
  }

  /** Schedules the passes, the first one interval from now; a zero interval schedules none. */
  public void start() {
    if (interval.isZero()) {
      log.info("Retention is off (reconcile-interval = 0)");
      return;
    }
    long millis = interval.toMillis();
    // The task logs its own failures, and close() shuts the timer down: nothing to read here.
    ScheduledFuture<?> unused =
        timer.scheduleWithFixedDelay(this::runQuietly, millis, millis, TimeUnit.MILLISECONDS);
  }

  /** One pass; returns how many instances it deleted (0 if another engine holds the lock). */
  public int runOnce() {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try {
        if (!tryLock(connection)) {
          connection.rollback();
          return 0;
        }
        try (Statement statement = connection.createStatement()) {
          statement.execute("SET CONSTRAINTS ALL DEFERRED");
        }
        int deleted;
        try (PreparedStatement statement = connection.prepareStatement(DELETE)) {
          statement.setInt(1, retentionDays);
          statement.setInt(2, KEEP_NEWEST);
          deleted = statement.executeUpdate();
        }
        connection.commit();
        if (deleted > 0) {
          log.info(
              "Retention deleted {} finished instance(s) older than {} days or beyond the newest {}",
              deleted,
              retentionDays,
              KEEP_NEWEST);
        }
        return deleted;
      } catch (SQLException e) {
        connection.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("delete finished instances (retention)", e);
    }
  }

  private static boolean tryLock(Connection connection) throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement("SELECT pg_try_advisory_xact_lock(?)")) {
      statement.setLong(1, LOCK_KEY);
      try (ResultSet row = statement.executeQuery()) {
        return row.next() && row.getBoolean(1);
      }
    }
  }

  private void runQuietly() {
    try {
      runOnce();
    } catch (RuntimeException e) {
      log.warn(
          "Retention pass failed ({}); trying again in {}",
          e.getCause() == null ? e.getMessage() : e.getCause().getMessage(),
          interval);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
