package dev.durablesql.engine.step;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A pooled step session carries nothing from one step to the next, but keeps its plans. */
class RoleConnectionsTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static String value(Connection connection, String sql) throws Exception {
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(sql)) {
      row.next();
      return row.getString(1);
    }
  }

  @Test
  void sessionStateIsResetBetweenStepsButTheDriversPreparedStatementsSurvive() throws Exception {
    // One connection per role, so the second step gets the first step's session.
    try (RoleConnections connections =
        new RoleConnections(postgres.jdbcUrl(), 1, 1, Duration.ofSeconds(5))) {
      String backend;
      try (RoleConnections.StepConnection step = connections.open(ALICE, Optional.empty())) {
        Connection connection = step.connection();
        backend = value(connection, "SELECT pg_backend_pid()::text");
        try (Statement statement = connection.createStatement()) {
          statement.execute("SET work_mem = '77MB'");
          statement.execute("SET df.in_workflow = false");
          statement.execute("PREPARE by_hand AS SELECT 1");
          statement.execute("CREATE TEMP TABLE scratch (x int)");
          statement.execute("SELECT pg_advisory_lock(4242)");
        }
        for (int i = 0; i < 6; i++) { // past the driver's threshold for server-side statements
          try (PreparedStatement statement = connection.prepareStatement("SELECT ?::int + 1")) {
            statement.setInt(1, i);
            statement.executeQuery().close();
          }
        }
      }

      try (RoleConnections.StepConnection step = connections.open(ALICE, Optional.empty())) {
        Connection connection = step.connection();
        assertThat(value(connection, "SELECT pg_backend_pid()::text")).isEqualTo(backend);
        assertThat(value(connection, "SHOW work_mem")).isNotEqualTo("77MB");
        assertThat(value(connection, "SELECT current_setting('df.in_workflow')")).isEqualTo("true");
        assertThat(value(connection, "SELECT to_regclass('pg_temp.scratch')::text")).isNull();
        assertThat(
                value(
                    connection,
                    "SELECT count(*)::text FROM pg_locks WHERE locktype = 'advisory'"
                        + " AND pid = pg_backend_pid()"))
            .isEqualTo("0");
        assertThat(
                value(
                    connection,
                    "SELECT count(*)::text FROM pg_prepared_statements WHERE name = 'by_hand'"))
            .isEqualTo("0");
        assertThat(
                value(
                    connection,
                    "SELECT count(*)::text FROM pg_prepared_statements WHERE NOT from_sql"))
            .isNotEqualTo("0");
      }
    }
  }
}
