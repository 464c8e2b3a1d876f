package dev.durablesql.engine.testing;

import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/** Starting and watching workflows from tests, the way a user does: through the df functions. */
public final class Workflows {
  private final PostgresExtension postgres;

  public Workflows(PostgresExtension postgres) {
    this.postgres = postgres;
  }

  /** {@code SELECT df.start(fut)} as {@code role}, committed; returns the instance id. */
  public String start(String role, String futureSql) throws SQLException {
    try (Connection connection = postgres.connectAs(role);
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("SELECT df.start(" + futureSql + ")")) {
      row.next();
      return row.getString(1);
    }
  }

  /** Waits (at most 30 s) until the instance is terminal; returns its status. */
  public String awaitTerminal(String instanceId) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> status(instanceId),
            status ->
                status.equals("completed")
                    || status.equals("failed")
                    || status.equals("cancelled"));
  }

  /**
   * Waits until the engines closed the instance: its claim row, which lives as long as an engine
   * may still have work on it, is gone.
   */
  public void awaitClosed(String instanceId) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                queryAsSuperuser(
                    "SELECT count(*)::text FROM df_engine.runs WHERE instance_id = ?", instanceId),
            "0"::equals);
  }

  /** Waits until the instance has {@code count} signal waits open or done. */
  public void awaitWaits(String instanceId, int count) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                queryAsSuperuser(
                    "SELECT count(*)::text FROM df_engine.waits WHERE instance_id = ?", instanceId),
            String.valueOf(count)::equals);
  }

  public String status(String instanceId) throws SQLException {
    return queryAsSuperuser("SELECT status FROM df.instances WHERE id = ?", instanceId);
  }

  public String result(String instanceId) throws SQLException {
    return queryAsSuperuser("SELECT df.result(?)", instanceId);
  }

  public String queryAsSuperuser(String sql, String... parameters) throws SQLException {
    try (Connection connection = postgres.dataSource().getConnection();
        PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        statement.setString(i + 1, parameters[i]);
      }
      try (ResultSet row = statement.executeQuery()) {
        return row.next() ? row.getString(1) : null;
      }
    }
  }

  public void executeAsSuperuser(String sql) throws SQLException {
    try (Connection connection = postgres.dataSource().getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }

  /** SQL string literal for {@code text}. */
  public static String literal(String text) {
    return "'" + text.replace("'", "''") + "'";
  }
}
