package dev.durablesql.engine.step;

import static java.util.Objects.requireNonNull;

import dev.durablesql.activities.sql.RowsEncoder;
import dev.durablesql.engine.claim.ClaimedInstance;
import dev.durablesql.engine.store.LeaseLostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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
      StatementWatcher watcher) {
    public Target {
      requireNonNull(watcher, "watcher is null");
      requireNonNull(claim, "claim is null");
      requireNonNull(nodeId, "nodeId is null");
      requireNonNull(role, "role is null");
      requireNonNull(database, "database is null");
      requireNonNull(stamp, "stamp is null");
    }
  }

  /**
   * Runs the statement and checkpoints it.
   *
   * @throws LeaseLostException when another engine took the instance over; nothing was committed
   */
  public StepOutcome run(Target target, String sql) throws InterruptedException {
    try (RoleConnections.StepConnection step = connections.open(target.role(), target.database())) {
      Connection connection = step.connection();
      try {
        connection.setAutoCommit(false);
        String output = execute(connection, sql, target.watcher());
        checkpoint(connection, target, output);
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
          return runOutsideTransaction(connection, target, sql);
        }
        return new StepOutcome.Failed("SQL execution failed: " + e.getMessage());
      }
    } catch (StepConnectionException e) {
      return new StepOutcome.Failed("SQL execution failed: " + e.getMessage());
    }
  }

  private StepOutcome runOutsideTransaction(Connection connection, Target target, String sql)
      throws InterruptedException {
    log.info(
        "Step {} of instance {} cannot run in a transaction block; running it in autocommit mode"
            + " (at-least-once)",
        target.nodeId(),
        target.claim().id());
    try {
      connection.setAutoCommit(true);
      String output = execute(connection, sql, target.watcher());
      connection.setAutoCommit(false);
      checkpoint(connection, target, output);
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
      return new StepOutcome.Failed("SQL execution failed: " + e.getMessage());
    }
  }

  /** Runs the user's text as exactly one statement and encodes what it returned. */
  private static String execute(Connection connection, String sql, StatementWatcher watcher)
      throws SQLException {
    try (Statement statement = connection.createStatement()) {
      // The text is the user's, verbatim: no JDBC escapes ({fn ...}) and no '?' placeholders.
      statement.setEscapeProcessing(false);
      boolean hasRows;
      watcher.executing(statement);
      try {
        hasRows = statement.execute(sql);
      } finally {
        watcher.done();
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

  private static void checkpoint(Connection connection, Target target, String output)
      throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement("SELECT df_engine.complete_step(?, ?, ?, ?, ?)")) {
      statement.setString(1, target.claim().id());
      statement.setString(2, target.nodeId());
      statement.setObject(3, target.claim().leaseToken());
      statement.setString(4, output);
      statement.setString(5, target.stamp());
      statement.execute();
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
