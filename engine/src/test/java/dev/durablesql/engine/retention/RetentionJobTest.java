package dev.durablesql.engine.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RetentionJobTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private final Workflows workflows = new Workflows(postgres);

  @BeforeEach
  void emptyTables() throws Exception {
    workflows.executeAsSuperuser(
        "SET CONSTRAINTS ALL DEFERRED; DELETE FROM df.nodes; DELETE FROM df.instances;"
            + " DELETE FROM df_engine.events;");
  }

  /** Inserts {@code count} one-node instances as alice's, finished {@code ageDays} ago. */
  private void insert(int count, String status, int ageDays, String prefix) throws Exception {
    workflows.executeAsSuperuser(
        "BEGIN; SET CONSTRAINTS ALL DEFERRED;"
            + " INSERT INTO df.instances (id, root_node, status, submitted_by, created_at, completed_at)"
            + " SELECT '"
            + prefix
            + "' || lpad(to_hex(g), 6, '0'), '0000aaaa', '"
            + status
            + "', 'alice'::regrole, now() - interval '"
            + ageDays
            + " days' - g * interval '1 millisecond', CASE WHEN '"
            + status
            + "' = 'completed' THEN now() - interval '"
            + ageDays
            + " days' - g * interval '1 millisecond' END FROM generate_series(1, "
            + count
            + ") g;"
            + " INSERT INTO df.nodes (id, instance_id, node_type, query, submitted_by)"
            + " SELECT '0000aaaa', '"
            + prefix
            + "' || lpad(to_hex(g), 6, '0'), 'SQL', 'SELECT 1', 'alice'::regrole"
            + " FROM generate_series(1, "
            + count
            + ") g;"
            + " INSERT INTO df_engine.events (instance_id, kind) SELECT '"
            + prefix
            + "' || lpad(to_hex(g), 6, '0'), 'instance_completed' FROM generate_series(1, "
            + count
            + ") g; COMMIT;");
  }

  private int count(String where) throws Exception {
    return Integer.parseInt(
        workflows.queryAsSuperuser(
            "SELECT count(*)::text FROM df.instances WHERE " + where + " AND ?::text IS NOT NULL",
            "x"));
  }

  @Test
  void finishedInstancesOlderThanTheRetentionPeriodGoWithTheirNodesAndEvents() throws Exception {
    insert(3, "completed", 40, "0a");
    insert(2, "failed", 40, "0b");
    insert(2, "cancelled", 40, "0c");
    insert(2, "running", 40, "0d");
    insert(2, "pending", 40, "0e");
    insert(4, "completed", 1, "0f");

    int deleted = new RetentionJob(postgres.dataSource(), 30, Duration.ofHours(1)).runOnce();

    assertThat(deleted).isEqualTo(7);
    assertThat(count("status = 'running'")).isEqualTo(2);
    assertThat(count("status = 'pending'")).isEqualTo(2);
    assertThat(count("status = 'completed'")).isEqualTo(4);
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM df.nodes WHERE instance_id LIKE ?", "0a%"))
        .isEqualTo("0");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM df_engine.events WHERE instance_id LIKE ?", "0a%"))
        .isEqualTo("0");
  }

  @Test
  void onlyTheNewestTenThousandFinishedInstancesAreKept() throws Exception {
    insert(10_005, "completed", 0, "1a");

    int deleted = new RetentionJob(postgres.dataSource(), 30, Duration.ofHours(1)).runOnce();

    assertThat(deleted).isEqualTo(5);
    assertThat(count("true")).isEqualTo(10_000);
    // The five oldest went: created furthest in the past, i.e. the highest series numbers.
    assertThat(count("id IN ('1a00270f', '1a002711', '1a002715')")).isEqualTo(1);
  }

  @Test
  void zeroRetentionDaysDeletesEveryFinishedInstanceAtTheNextPass() throws Exception {
    insert(3, "completed", 0, "2a");
    insert(1, "running", 0, "2b");

    int deleted = new RetentionJob(postgres.dataSource(), 0, Duration.ofHours(1)).runOnce();

    assertThat(deleted).isEqualTo(3);
    assertThat(count("true")).isEqualTo(1);
  }
}
