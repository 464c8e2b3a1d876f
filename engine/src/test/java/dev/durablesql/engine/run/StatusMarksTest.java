package dev.durablesql.engine.run;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The status marks the engine writes in the background (engine/store/NodeMarks): observers see a
 * running step and its instance as running while it runs, a late mark never undoes a checkpoint,
 * and marks of a lease that was taken over change nothing.
 */
class StatusMarksTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  @Test
  void aRunningStepItsParentAndItsInstanceShowRunningWhileTheStepRuns() throws Exception {
    Workflows workflows = new Workflows(postgres);
    try (Engine engine = Engine.start(postgres.engineConfig("marks-engine"))) {
      String id =
          workflows.start(ALICE, "df.seq(" + literal("SELECT pg_sleep(2)") + ", 'SELECT 1')");

      await()
          .atMost(Duration.ofSeconds(2))
          .until(
              () ->
                  workflows.queryAsSuperuser(
                      "SELECT string_agg(n.node_type || '=' || n.status, ',' ORDER BY n.node_type)"
                          + " || ';' || i.status FROM df.nodes n JOIN df.instances i"
                          + " ON i.id = n.instance_id WHERE n.instance_id = ?"
                          + " AND n.status = 'running' GROUP BY i.status",
                      id),
              marks -> "SQL=running,THEN=running;running".equals(marks));
      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
      assertThat(
              workflows.queryAsSuperuser(
                  "SELECT string_agg(status, ',') FROM (SELECT DISTINCT status FROM df.nodes"
                      + " WHERE instance_id = ?) s",
                  id))
          .isEqualTo("completed");
    }
  }

  @Test
  void anInstanceWhoseLastNodeIsAStepEndsInThatStepsTransaction() throws Exception {
    Workflows workflows = new Workflows(postgres);
    try (Engine engine = Engine.start(postgres.engineConfig("ending-engine"))) {
      String id =
          workflows.start(ALICE, "df.seq(df.seq('SELECT 1', 'SELECT 2'), 'SELECT 3 AS last')");

      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
      assertThat(workflows.result(id)).isEqualTo("{\"rows\": [{\"last\": 3}], \"row_count\": 1}");
      // The last step's row, the root THEN above it and the instance's end share one commit.
      assertThat(
              workflows.queryAsSuperuser(
                  "SELECT count(DISTINCT n.xmin::text)::text || ' ' || bool_and(n.xmin = i.xmin)::text"
                      + " FROM df.nodes n JOIN df.instances i ON i.id = n.instance_id"
                      + " WHERE n.instance_id = ? AND (n.id = i.root_node OR n.query = 'SELECT 3 AS last')",
                  id))
          .isEqualTo("1 true");
      // Marks still queued when it ended (the inner THEN's completion) went with that commit.
      assertThat(
              workflows.queryAsSuperuser(
                  "SELECT string_agg(DISTINCT status, ',') FROM df.nodes WHERE instance_id = ?",
                  id))
          .isEqualTo("completed");
      assertThat(
              workflows.queryAsSuperuser(
                  "SELECT string_agg(kind, ',') FROM df_engine.events WHERE instance_id = ?"
                      + " AND kind LIKE 'instance_%'",
                  id))
          .isEqualTo("instance_completed");
    }
  }

  @Test
  void aRunningMarkThatArrivesAfterTheCheckpointLeavesTheNodeCompleted() throws SQLException {
    Workflows workflows = new Workflows(postgres);
    String id = workflows.start(ALICE, literal("SELECT 1"));
    String node = claimAndComplete(workflows, id, "root::1");

    writeMark(workflows, id, "11111111-1111-1111-1111-111111111111", node, "running", "root::1");
    assertThat(nodeState(workflows, id, node)).isEqualTo("completed root::1");

    // A later execution of the same node (the next loop iteration) does start it again.
    writeMark(workflows, id, "11111111-1111-1111-1111-111111111111", node, "running", "root::2");
    assertThat(nodeState(workflows, id, node)).isEqualTo("running root::2");
  }

  @Test
  void marksPresentingAnOldLeaseTokenChangeNothing() throws SQLException {
    Workflows workflows = new Workflows(postgres);
    String id = workflows.start(ALICE, literal("SELECT 2"));
    String node = claimAndComplete(workflows, id, "root::1");

    writeMark(workflows, id, "22222222-2222-2222-2222-222222222222", node, "running", "root::2");
    writeMark(workflows, id, "22222222-2222-2222-2222-222222222222", null, "running", null);

    assertThat(nodeState(workflows, id, node)).isEqualTo("completed root::1");
    assertThat(workflows.status(id)).isEqualTo("pending");
  }

  /** Leases the instance to a pretend engine and stamps its root completed; returns the root. */
  private static String claimAndComplete(Workflows workflows, String id, String stamp)
      throws SQLException {
    workflows.executeAsSuperuser(
        "UPDATE df_engine.runs SET lease_owner = 'pretend', lease_until = now() + interval '1 hour',"
            + " wake_at = now() + interval '1 hour',"
            + " lease_token = '11111111-1111-1111-1111-111111111111' WHERE instance_id = "
            + literal(id));
    String root = workflows.queryAsSuperuser("SELECT root_node FROM df.instances WHERE id = ?", id);
    workflows.executeAsSuperuser(
        "UPDATE df.nodes SET status = 'completed', status_details = jsonb_build_object("
            + "'execution_id', "
            + literal(stamp)
            + ") WHERE instance_id = "
            + literal(id)
            + " AND id = "
            + literal(root));
    return root;
  }

  private static void writeMark(
      Workflows workflows, String id, String token, String node, String status, String stamp)
      throws SQLException {
    workflows.queryAsSuperuser(
        "SELECT df_engine.write_nodes(jsonb_build_array(jsonb_build_object('instance_id', ?::text,"
            + " 'lease_token', ?::text, 'node_id', ?::text, 'status', ?::text, 'stamp', ?::text,"
            + " 'is_json', false)))::text",
        id,
        token,
        node,
        status,
        stamp);
  }

  private static String nodeState(Workflows workflows, String id, String node) throws SQLException {
    return workflows.queryAsSuperuser(
        "SELECT status || ' ' || (status_details ->> 'execution_id') FROM df.nodes"
            + " WHERE instance_id = ? AND id = ?",
        id,
        node);
  }
}
