package dev.durablesql.engine.run;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** R-SIG-5 and R-DIFF-9 on the engine side: a cancel stops the running step and stamps it. */
class CancellationTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static Workflows workflows;
  private static Engine engine;

  @BeforeAll
  static void startEngine() {
    workflows = new Workflows(postgres);
    engine = Engine.start(postgres.engineConfig("cancelling-engine"));
  }

  @AfterAll
  static void stopEngine() {
    engine.close();
  }

  @Test
  void anInstanceCancelledBeforeAnyStepRanIsClosedAndNeverRun() throws Exception {
    String id;
    try (Connection alice = postgres.connectAs(ALICE);
        Statement statement = alice.createStatement()) {
      // Started and cancelled in one transaction: the engine first sees it cancelled, with no
      // node running that it could stamp.
      alice.setAutoCommit(false);
      try (ResultSet started =
          statement.executeQuery("SELECT df.start(df.seq('SELECT 1', 'SELECT 2'))")) {
        started.next();
        id = started.getString(1);
      }
      statement.execute("SELECT df.cancel(" + literal(id) + ", 'changed my mind')");
      alice.commit();
    }

    workflows.awaitClosed(id);
    assertThat(workflows.status(id)).isEqualTo("cancelled");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT string_agg(status, ',' ORDER BY status) FROM df.nodes WHERE instance_id = ?",
                id))
        .isEqualTo("pending,pending,pending");
  }

  @Test
  void cancellingARunningInstanceCancelsItsStatementAndLeavesNoNodeRunning() throws Exception {
    String id =
        workflows.start(
            ALICE, "df.seq(" + literal("SELECT pg_sleep(60) AS long_step") + ", 'SELECT 2')");
    awaitStatementRunning("long_step");

    try (Connection alice = postgres.connectAs(ALICE);
        Statement statement = alice.createStatement()) {
      statement.execute("SELECT set_config('df.cancel_reason', 'operator said stop', false)");
      statement.execute("UPDATE df.instances SET status = 'cancelled' WHERE id = " + literal(id));
    }

    workflows.awaitClosed(id);
    assertThat(workflows.status(id)).isEqualTo("cancelled");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM df.nodes WHERE instance_id = ? AND status = 'running'",
                id))
        .isEqualTo("0");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT result #>> '{}' FROM df.nodes WHERE instance_id = ? AND node_type = 'SQL'"
                    + " AND status = 'failed'",
                id))
        .isEqualTo("cancelled: operator said stop");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM pg_stat_activity WHERE state = 'active'"
                    + " AND strpos(query, ?) > 0 AND pid <> pg_backend_pid()",
                "long_step"))
        .isEqualTo("0");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT string_agg(status, ',' ORDER BY status) FROM df.nodes WHERE instance_id = ?",
                id))
        .isEqualTo("failed,failed,pending");
  }

  private static void awaitStatementRunning(String text) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                workflows.queryAsSuperuser(
                    "SELECT count(*)::text FROM pg_stat_activity WHERE usename = 'alice'"
                        + " AND state = 'active' AND strpos(query, ?) > 0",
                    text),
            running -> !running.equals("0"));
  }
}
