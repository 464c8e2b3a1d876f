package dev.durablesql.engine.claim;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The claim and the status-mark writer read a handful of rows however many instances wait behind
 * them, also when the statistics still say the tables are empty: runs and df.instances churn faster
 * than autovacuum analyzes them, and PL/pgSQL keeps each plan for the session. (Planned on empty
 * statistics, the claim read every due row of the backlog and the mark writer every pending
 * instance, per call.) Counted with the session's table statistics not yet reported, which
 * PostgreSQL keeps up to date as statements run.
 */
class BacklogPlansTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final int BACKLOG = 5_000;
  private static final int BATCH = 50;

  @Test
  void aClaimAndAMarkBatchReadAFewRowsBehindABacklogTheStatisticsDoNotKnow() throws Exception {
    Workflows workflows = new Workflows(postgres);
    try (Connection connection = postgres.dataSource().getConnection();
        Statement statement = connection.createStatement()) {
      // Analyzed while empty: no statistics on which roles, statuses or wake-ups the rows hold.
      statement.execute("ANALYZE df_engine.runs, df.instances");
      // The backlog: instances and their root steps as df.start inserts them (the trigger queues
      // each instance in runs), faster than through df.start.
      statement.execute(
          "WITH started AS (SELECT df_engine.insert_instance(NULL, 'abcd1234', '"
              + ALICE
              + "'::regrole, NULL) AS id FROM generate_series(1, "
              + BACKLOG
              + "))"
              + " INSERT INTO df.nodes (id, instance_id, node_type, query, submitted_by)"
              + " SELECT 'abcd1234', started.id, 'SQL', 'SELECT 1', '"
              + ALICE
              + "'::regrole FROM started");
    }

    try (Connection connection = postgres.dataSource().getConnection()) {
      connection.setAutoCommit(false); // the claim, its marks and the readings in one transaction
      long runsBefore = rowsRead(connection, "runs");
      StringBuilder marks = new StringBuilder("[");
      try (Statement statement = connection.createStatement();
          ResultSet claimed =
              statement.executeQuery(
                  "SELECT instance_id, lease_token FROM df_engine.claim('plans-engine', "
                      + BATCH
                      + ", 60)")) {
        while (claimed.next()) {
          marks
              .append(marks.length() > 1 ? "," : "")
              .append("{\"instance_id\":\"")
              .append(claimed.getString(1))
              .append("\",\"lease_token\":\"")
              .append(claimed.getObject(2, UUID.class))
              .append("\",\"node_id\":null,\"status\":\"running\",\"stamp\":\"1\"}");
        }
      }
      // The roles' probe, the batch in wake order, and its lease by primary key.
      long runsAfterClaim = rowsRead(connection, "runs");
      assertThat(runsAfterClaim - runsBefore).isLessThan(3 * BATCH);

      long instancesBefore = rowsRead(connection, "instances");

      try (PreparedStatement write =
          connection.prepareStatement("SELECT df_engine.write_nodes(?::jsonb)")) {
        write.setString(1, marks.append(']').toString());
        write.execute();
      }
      // A lease check and an instance update per mark.
      assertThat(rowsRead(connection, "runs") - runsAfterClaim).isLessThan(2 * BATCH);
      assertThat(rowsRead(connection, "instances") - instancesBefore).isLessThan(2 * BATCH);
      connection.commit();
    }
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*) FILTER (WHERE status = 'running') || '/' || count(*)"
                    + " FROM df.instances"))
        .isEqualTo(BATCH + "/" + BACKLOG);
  }

  /**
   * Rows the session read from {@code table}, by sequential and index scans, since it last reported
   * its statistics: it does so only between transactions, so two readings in one transaction differ
   * by what was read in between.
   */
  private static long rowsRead(Connection connection, String table) throws SQLException {
    try (PreparedStatement read =
        connection.prepareStatement(
            "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)"
                + " FROM pg_stat_xact_all_tables WHERE relname = ?"
                + " AND schemaname IN ('df', 'df_engine')")) {
      read.setString(1, table);
      try (ResultSet rows = read.executeQuery()) {
        assertThat(rows.next()).isTrue();
        return rows.getLong(1);
      }
    }
  }
}
