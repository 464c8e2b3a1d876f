package dev.durablesql.engine.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Waits for the benchmark's instances to end the way a client would: by listening to {@code
 * df_done} on one connection, not by counting rows in a loop. Polling df.instances every few
 * milliseconds (on a new connection each time, as the first version did) took a tenth of the
 * server's CPU during W1 on two cores, CPU that the engine under test then lacked. The table is
 * read only when no notification came for a second (a notification is not durable) and once at the
 * end, to confirm the count.
 */
final class Completions implements AutoCloseable {
  private final Connection connection;
  private final PGConnection listener;
  private long completed;

  /** Starts listening; create it before the instances it waits for are started. */
  Completions(BenchDatabase database) throws SQLException {
    this.connection = database.admin();
    this.listener = connection.unwrap(PGConnection.class);
    try (Statement listen = connection.createStatement()) {
      listen.execute("LISTEN df_done");
    }
  }

  /**
   * Returns when {@code count} instances of the benchmark role completed since the listener began.
   *
   * @throws IllegalStateException when one failed or they did not all complete within {@code limit}
   */
  void await(long count, Duration limit) throws SQLException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (completed < count) {
      PGNotification[] received = listener.getNotifications(1_000);
      if (received == null || received.length == 0) {
        completed = Math.max(completed, checked());
      } else {
        for (PGNotification notification : received) {
          String payload = notification.getParameter();
          if (payload.endsWith(":completed")) {
            completed++;
          } else if (payload.endsWith(":failed") || payload.endsWith(":cancelled")) {
            throw new IllegalStateException("Benchmark instance " + payload + " did not complete");
          }
        }
      }
      if (completed < count && System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "only " + completed + " of " + count + " instances completed within " + limit);
      }
    }
    long confirmed = checked();
    if (confirmed < count) {
      throw new IllegalStateException(
          count + " completions were notified but df.instances has " + confirmed);
    }
  }

  /** The completed instances of the benchmark role as df.instances has them; fails on a failure. */
  private long checked() throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT count(*) FILTER (WHERE status = 'completed'),"
                + " count(*) FILTER (WHERE status IN ('failed', 'cancelled'))"
                + " FROM df.instances WHERE submitted_by = ?::regrole")) {
      statement.setString(1, BenchDatabase.ROLE);
      try (ResultSet row = statement.executeQuery()) {
        row.next();
        if (row.getLong(2) > 0) {
          throw new IllegalStateException(row.getLong(2) + " benchmark instance(s) failed");
        }
        return row.getLong(1);
      }
    }
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
