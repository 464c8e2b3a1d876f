package dev.durablesql.engine.step;

import static java.util.Objects.requireNonNull;

import dev.durablesql.activities.sql.RowsEncoder;
import dev.durablesql.engine.claim.ClaimedInstance;
import dev.durablesql.engine.store.LeaseLostException;
import dev.durablesql.engine.store.NodeMarks;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one SQL step exactly once (R-DIFF-1): on a connection logged in as the submitting role, the
 * step's statement and then {@code df_engine.complete_step}, which writes the node's checkpoint
 * only while this engine's lease token is current, in one transaction. A statement that cannot run
 * in a transaction block (SQLSTATE 25001, e.g. VACUUM) is re-run in autocommit mode and
 * checkpointed afterwards, at-least-once.
 */
public final class SqlStep {
  private static final Logger log = LoggerFactory.getLogger(SqlStep.class);
  private static final String LEASE_LOST = "DF001";
  private static final String NOT_IN_TRANSACTION_BLOCK = "25001";
  private static final String QUERY_CANCELED = "57014";

  private final RoleConnections connections;

  public SqlStep(RoleConnections connections) {
    this.connections = requireNonNull(connections, "connections is null");
  }

  /** Where a step belongs: the instance, the node, the claim's fence and the status stamp. */
  public record Target(
      ClaimedInstance claim,
      String nodeId,
      String role,
      Optional<String> database,
      String stamp,
      StatementWatcher watcher,
      Optional<Duration> timeout,
      String scopeId,
      Optional<String> resultName,
      Optional<String> applicationName,
      Optional<InstanceEnd> end) {
    public Target {
      requireNonNull(end, "end is null");
      requireNonNull(applicationName, "applicationName is null");
      requireNonNull(scopeId, "scopeId is null");
      requireNonNull(resultName, "resultName is null");
      requireNonNull(watcher, "watcher is null");
      requireNonNull(timeout, "timeout is null");
      requireNonNull(claim, "claim is null");
      requireNonNull(nodeId, "nodeId is null");
      requireNonNull(role, "role is null");
      requireNonNull(database, "database is null");
      requireNonNull(stamp, "stamp is null");
    }

    /** A target whose session keeps the pool's application_name. */
    public Target(
        ClaimedInstance claim,
        String nodeId,
        String role,
        Optional<String> database,
        String stamp,
        StatementWatcher watcher,
        Optional<Duration> timeout,
        String scopeId,
        Optional<String> resultName) {
      this(
          claim,
          nodeId,
          role,
          database,
          stamp,
          watcher,
          timeout,
          scopeId,
          resultName,
          Optional.empty(),
          Optional.empty());
    }
  }

  /**
   * The step is the last thing its instance does: the instance ends, completed, in the step's own
   * transaction (the skeleton's shape: step, checkpoint and completion in one commit), and the THEN
   * nodes above it complete with its output.
   *
   * @param thenNodeIds the THEN nodes from the root down to the step, which complete with it
   * @param engineName the engine, for the instance's event log
   */
  public record InstanceEnd(
      java.util.List<String> thenNodeIds, String engineName, PendingMarks pendingMarks) {
    public InstanceEnd {
      thenNodeIds = java.util.List.copyOf(thenNodeIds);
      requireNonNull(engineName, "engineName is null");
      requireNonNull(pendingMarks, "pendingMarks is null");
    }
  }

  /**
   * The instance's status marks not written yet (NodeMarks): the transaction that ends the instance
   * writes them too, since after it a mark finds no claim and is dropped.
   */
  public interface PendingMarks {
    java.util.List<NodeMarks.Mark> take();

    void putBack(java.util.List<NodeMarks.Mark> marks);
  }

  /**
   * Runs the statement and checkpoints it.
   *
   * @throws LeaseLostException when another engine took the instance over; nothing was committed
   */
  public StepOutcome run(Target target, String sql) throws InterruptedException {
    return run(target, new NodeStatement(sql));
  }

  /**
   * Runs the rows query of a MAP node (R-EXT-3) as a step of the node: as the submitting role, with
   * the node's retries and timeout, and stores the rows it read (at most {@code maxRows}) with
   * {@code df_engine.checkpoint_map_rows} in its transaction, so that they are read exactly once.
   * The outcome's output is the stored rows, encoded as a SQL step's result.
   *
   * @throws LeaseLostException when another engine took the instance over; nothing was stored
   */
  public StepOutcome runRowsQuery(Target target, String sql, int maxRows)
      throws InterruptedException {
    return run(target, new RowsQuery(sql, maxRows));
  }

  /** What a step runs, and how it is checkpointed in the same transaction. */
  private interface Work {
    String execute(Connection connection, StatementWatcher watcher) throws SQLException;

    /**
     * Checkpoints and commits.
     *
     * @return whether the transaction also reset the session ({@link RoleConnections#RESET})
     */
    boolean checkpoint(Connection connection, Target target, String output) throws SQLException;
  }

  /** A SQL node's statement, checkpointed as the node's completion. */
  private record NodeStatement(String text) implements Work {
    @Override
    public String execute(Connection connection, StatementWatcher watcher) throws SQLException {
      return SqlStep.execute(connection, text, watcher, 0);
    }

    @Override
    public boolean checkpoint(Connection connection, Target target, String output)
        throws SQLException {
      return SqlStep.checkpoint(connection, target, output);
    }
  }

  /** A MAP node's rows query, checkpointed as the map's rows. */
  private record RowsQuery(String text, int maxRows) implements Work {
    @Override
    public String execute(Connection connection, StatementWatcher watcher) throws SQLException {
      return SqlStep.execute(connection, text, watcher, maxRows + 1);
    }

    @Override
    public boolean checkpoint(Connection connection, Target target, String output)
        throws SQLException {
      int rows = rowCount(output);
      if (rows > maxRows) {
        throw new SQLException(
            "the rows query of the MAP returned more than "
                + maxRows
                + " rows, the most one map runs its body for; split the rows over several maps",
            "54000");
      }
      try (PreparedStatement statement =
          connection.prepareStatement(
              "SELECT df_engine.checkpoint_map_rows(?, ?, ?, ?, ?, ?); COMMIT")) {
        statement.setString(1, target.claim().id());
        statement.setString(2, target.nodeId());
        statement.setObject(3, target.claim().leaseToken());
        statement.setString(4, target.stamp());
        statement.setString(5, output);
        statement.setInt(6, rows);
        statement.execute();
      }
      return false;
    }
  }

  /** The row_count of an encoded result: the encoder writes it last, after the rows. */
  private static int rowCount(String output) {
    int key = output.lastIndexOf("\"row_count\":");
    int end = output.lastIndexOf('}');
    return Integer.parseInt(output.substring(key + "\"row_count\":".length(), end).trim());
  }

  private StepOutcome run(Target target, Work work) throws InterruptedException {
    if (target.database().isPresent()) {
      return runInOtherDatabase(target, work);
    }
    try (RoleConnections.StepConnection step = connections.open(target.role(), target.database())) {
      Connection connection = step.connection();
      try {
        connection.setAutoCommit(false);
        limitDuration(connection, target);
        String output = work.execute(connection, target.watcher());
        if (work.checkpoint(connection, target, output)) {
          step.resetInTransaction();
        }
        connection.commit();
        return new StepOutcome.Completed(output);
      } catch (SQLException e) {
        rollbackQuietly(connection);
        if (Thread.interrupted()) {
          throw new InterruptedException("step " + target.nodeId() + " interrupted");
        }
        if (LEASE_LOST.equals(e.getSQLState())) {
          throw new LeaseLostException(target.claim().id());
        }
        if (NOT_IN_TRANSACTION_BLOCK.equals(e.getSQLState())) {
          return runOutsideTransaction(connection, target, work);
        }
        return failed(e, target);
      }
    } catch (StepConnectionException e) {
      return new StepOutcome.Failed(
          "SQL execution failed: " + e.getMessage(),
          e.getCause() instanceof SQLException cause && isTransient(cause.getSQLState()));
    }
  }

  /**
   * A step in another database than the df schema's (R-EXEC-8 {@code database}) cannot share a
   * transaction with its checkpoint: PostgreSQL has no cross-database transactions. It commits in
   * its own database first and is checkpointed right after, as the same role: at-least-once.
   */
  private StepOutcome runInOtherDatabase(Target target, Work work) throws InterruptedException {
    String output;
    try (RoleConnections.StepConnection step = connections.open(target.role(), target.database())) {
      Connection connection = step.connection();
      try {
        connection.setAutoCommit(false);
        limitDuration(connection, target);
        output = work.execute(connection, target.watcher());
        connection.commit();
      } catch (SQLException e) {
        rollbackQuietly(connection);
        if (Thread.interrupted()) {
          throw new InterruptedException("step " + target.nodeId() + " interrupted");
        }
        if (NOT_IN_TRANSACTION_BLOCK.equals(e.getSQLState())) {
          try {
            connection.setAutoCommit(true);
            output = work.execute(connection, target.watcher());
          } catch (SQLException again) {
            return failed(again, target);
          }
        } else {
          return failed(e, target);
        }
      }
    } catch (StepConnectionException e) {
      return new StepOutcome.Failed(
          "SQL execution failed: " + e.getMessage(),
          e.getCause() instanceof SQLException cause && isTransient(cause.getSQLState()));
    }
    try (RoleConnections.StepConnection home = connections.open(target.role(), Optional.empty())) {
      Connection connection = home.connection();
      try {
        connection.setAutoCommit(false);
        if (work.checkpoint(connection, target, output)) {
          home.resetInTransaction();
        }
        connection.commit();
        return new StepOutcome.Completed(output);
      } catch (SQLException e) {
        rollbackQuietly(connection);
        if (LEASE_LOST.equals(e.getSQLState())) {
          throw new LeaseLostException(target.claim().id());
        }
        throw new IllegalStateException(
            "checkpoint of step " + target.nodeId() + " after it committed", e);
      }
    } catch (StepConnectionException e) {
      throw new IllegalStateException(
          "checkpoint of step " + target.nodeId() + " after it committed", e);
    }
  }

  private StepOutcome runOutsideTransaction(Connection connection, Target target, Work work)
      throws InterruptedException {
    log.info(
        "Step {} of instance {} cannot run in a transaction block; running it in autocommit mode"
            + " (at-least-once)",
        target.nodeId(),
        target.claim().id());
    try {
      connection.setAutoCommit(true);
      String output = work.execute(connection, target.watcher());
      connection.setAutoCommit(false);
      work.checkpoint(connection, target, output);
      connection.commit();
      return new StepOutcome.Completed(output);
    } catch (SQLException e) {
      rollbackQuietly(connection);
      if (Thread.interrupted()) {
        throw new InterruptedException("step " + target.nodeId() + " interrupted");
      }
      if (LEASE_LOST.equals(e.getSQLState())) {
        throw new LeaseLostException(target.claim().id());
      }
      return failed(e, target);
    }
  }

  private static StepOutcome.Failed failed(SQLException e, Target target) {
    if (QUERY_CANCELED.equals(e.getSQLState()) && target.timeout().isPresent()) {
      return StepOutcome.Failed.permanent(
          "SQL execution failed: timed out after "
              + seconds(target.timeout().get())
              + " seconds (statement_timeout): "
              + e.getMessage());
    }
    return new StepOutcome.Failed(
        "SQL execution failed: " + e.getMessage(), isTransient(e.getSQLState()));
  }

  /** SQLSTATEs worth another attempt (R-DIFF-2). */
  static boolean isTransient(String sqlState) {
    if (sqlState == null) {
      return false;
    }
    return sqlState.startsWith("08")
        || sqlState.equals("40001")
        || sqlState.equals("40P01")
        || sqlState.equals("53300")
        || sqlState.equals("57P01")
        || sqlState.equals("57P02")
        || sqlState.equals("57P03");
  }

  private static String seconds(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0
        ? Long.toString(millis / 1000)
        : java.math.BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
  }

  /**
   * Runs the user's text as exactly one statement and encodes what it returned.
   *
   * @param maxRows the most rows to read, 0 for all
   */
  private static String execute(
      Connection connection, String sql, StatementWatcher watcher, int maxRows)
      throws SQLException {
    try (Statement statement = connection.createStatement()) {
      // The text is the user's, verbatim: no JDBC escapes ({fn ...}) and no '?' placeholders.
      statement.setEscapeProcessing(false);
      statement.setMaxRows(maxRows);
      boolean hasRows;
      watcher.executing(statement);
      try {
        hasRows = statement.execute(sql);
      } finally {
        watcher.done(statement);
      }
      String output;
      if (hasRows) {
        try (ResultSet rows = statement.getResultSet()) {
          output = RowsEncoder.encode(rows);
        }
      } else {
        output = RowsEncoder.empty();
      }
      if (statement.getMoreResults() || statement.getUpdateCount() != -1) {
        throw new SQLException(
            "cannot insert multiple commands into a prepared statement (a step is exactly one SQL"
                + " statement; split it into steps with ~>)",
            "42601");
      }
      return output;
    }
  }

  /**
   * The step's session settings, for this transaction only, in one round trip and only when there
   * are any: R-EXT-2's node timeout as statement_timeout, and with tracing the trace id in
   * application_name.
   */
  private static void limitDuration(Connection connection, Target target) throws SQLException {
    StringBuilder settings = new StringBuilder();
    if (target.timeout().isPresent()) {
      // PostgreSQL takes at most 2^31 - 1 ms (24.8 days) here; a longer df.timeout is that.
      long millis = Math.clamp(target.timeout().get().toMillis(), 1, Integer.MAX_VALUE);
      settings.append("SET LOCAL statement_timeout = ").append(millis).append(';');
    }
    if (target.applicationName().isPresent()) {
      settings
          .append("SET LOCAL application_name = '")
          .append(target.applicationName().get().replace("'", "''"))
          .append("';");
    }
    if (!settings.isEmpty()) {
      try (Statement statement = connection.createStatement()) {
        statement.execute(settings.toString());
      }
    }
  }

  /**
   * Checkpoints and commits, and resets the session in the same transaction.
   *
   * @return whether the session is reset (it is, unless the step prepared statements with SQL
   *     PREPARE: those the pool's reset deallocates)
   */
  private static boolean checkpoint(Connection connection, Target target, String output)
      throws SQLException {
    // The COMMIT travels with the checkpoint: one round trip. Should the checkpoint fail, the
    // server skips the COMMIT and the caller rolls back; the driver sees the transaction ended,
    // so the caller's commit() sends nothing more. The session's reset goes before the COMMIT,
    // not after it: a failing reset then fails the step instead of leaving a committed step
    // reported as failed (and run again). It spares the round trip that held the connection
    // after every step.
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT df_engine.checkpoint_step(?, ?, ?, ?, ?, ?, ?); "
                + (target.end().isPresent()
                    ? "SELECT df_engine.finish_in_step(?, ?, ?, ?::jsonb); "
                    : "")
                + RoleConnections.RESET
                + "; COMMIT")) {
      statement.setString(1, target.claim().id());
      statement.setString(2, target.nodeId());
      statement.setObject(3, target.claim().leaseToken());
      statement.setString(4, output);
      statement.setString(5, target.stamp());
      statement.setString(6, target.scopeId());
      statement.setString(7, target.resultName().orElse(null));
      java.util.List<NodeMarks.Mark> taken = java.util.List.of();
      if (target.end().isPresent()) {
        InstanceEnd end = target.end().get();
        taken = end.pendingMarks().take();
        java.util.List<NodeMarks.Mark> marks = new java.util.ArrayList<>();
        for (NodeMarks.Mark mark : taken) {
          // The instance's and this step's running marks would be overwritten in this very
          // transaction (the step completes, the instance ends): two row updates for nothing.
          boolean overwritten =
              mark.status().equals("running")
                  && (mark.nodeId() == null || mark.nodeId().equals(target.nodeId()));
          if (!overwritten) {
            marks.add(mark);
          }
        }
        for (String id : end.thenNodeIds()) {
          marks.add(
              new NodeMarks.Mark(
                  target.claim().id(),
                  target.claim().leaseToken(),
                  id,
                  "completed",
                  output,
                  target.stamp(),
                  true));
        }
        statement.setString(8, target.claim().id());
        statement.setObject(9, target.claim().leaseToken());
        statement.setString(10, end.engineName());
        statement.setString(11, NodeMarks.json(marks));
      }
      try {
        return RoleConnections.lastRows(statement, statement.execute()).isEmpty();
      } catch (SQLException e) {
        if (target.end().isPresent()) {
          target.end().get().pendingMarks().putBack(taken);
        }
        throw e;
      }
    }
  }

  private static void rollbackQuietly(Connection connection) {
    try {
      if (!connection.isClosed() && !connection.getAutoCommit()) {
        connection.rollback();
      }
    } catch (SQLException e) {
      log.debug("Rollback after a failed step failed too: {}", e.getMessage());
    }
  }
}
