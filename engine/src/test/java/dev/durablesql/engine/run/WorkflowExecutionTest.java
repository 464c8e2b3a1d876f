package dev.durablesql.engine.run;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.PostgresExtension.BOB;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class WorkflowExecutionTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static Workflows workflows;
  private static Engine engine;

  @BeforeAll
  static void startEngine() throws SQLException {
    workflows = new Workflows(postgres);
    workflows.executeAsSuperuser(
        "CREATE TABLE public.ledger (id serial PRIMARY KEY, who text DEFAULT current_user, amount int);"
            + " GRANT ALL ON public.ledger TO alice, bob;"
            + " GRANT USAGE ON SEQUENCE public.ledger_id_seq TO alice, bob;"
            + " ALTER TABLE public.ledger ENABLE ROW LEVEL SECURITY;"
            + " CREATE POLICY own ON public.ledger USING (who = current_user);");
    engine = Engine.start(postgres.engineConfig("engine-under-test"));
  }

  @AfterAll
  static void stopEngine() {
    engine.close();
  }

  @Test
  void aSingleStepCompletesWithItsRows() throws SQLException {
    String id = workflows.start(ALICE, literal("SELECT 42 AS answer"));

    assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    assertThat(workflows.result(id)).isEqualTo("{\"rows\": [{\"answer\": 42}], \"row_count\": 1}");
  }

  @Test
  void threeStepsRunInOrderAndTheLastResultIsTheInstanceResult() throws SQLException {
    String id =
        workflows.start(
            ALICE,
            "df.seq(df.seq('INSERT INTO public.ledger (amount) VALUES (1)',"
                + " 'INSERT INTO public.ledger (amount) SELECT max(amount) + 1 FROM public.ledger"
                + " WHERE who = current_user'),"
                + " 'SELECT array_agg(amount ORDER BY id) AS amounts, count(*) AS n FROM"
                + " public.ledger')");

    assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    assertThat(workflows.result(id))
        .isEqualTo("{\"rows\": [{\"n\": 2, \"amounts\": [1, 2]}], \"row_count\": 1}");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM df.nodes WHERE instance_id = ? AND status = 'completed'",
                id))
        .isEqualTo("5");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT status FROM df.instances WHERE id = ? AND completed_at IS NOT NULL", id))
        .isEqualTo("completed");
  }

  @Test
  void aFailingStepFailsItsNodeItsParentsAndTheInstance() throws SQLException {
    String id = workflows.start(BOB, "df.seq('SELECT 1/0', 'SELECT 2')");

    assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT n.result #>> '{}' FROM df.nodes n JOIN df.instances i ON i.id = n.instance_id"
                    + " WHERE n.instance_id = ? AND n.id <> i.root_node AND n.status = 'failed'",
                id))
        .startsWith("SQL execution failed:")
        .contains("division by zero");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT n.status FROM df.nodes n JOIN df.instances i ON i.id = n.instance_id"
                    + " AND n.id = i.root_node WHERE i.id = ?",
                id))
        .isEqualTo("failed");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT string_agg(status, ',') FROM df.nodes WHERE instance_id = ? AND status = 'pending'",
                id))
        .isEqualTo("pending");
    assertThat(workflows.result(id)).isNull();
  }

  @Test
  void stepsRunAsTheSubmittingRoleUnderItsOwnRowLevelSecurity() throws SQLException {
    workflows.start(BOB, literal("INSERT INTO public.ledger (amount) VALUES (99)"));
    String id =
        workflows.start(
            ALICE,
            literal(
                "SELECT current_user AS me, session_user AS login,"
                    + " (SELECT count(*) FROM public.ledger WHERE amount = 99) AS bobs_rows_seen,"
                    + " current_setting('df.in_workflow') AS marker"));

    assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    assertThat(workflows.result(id))
        .contains("\"me\": \"alice\"")
        .contains("\"login\": \"alice\"")
        .contains("\"bobs_rows_seen\": 0")
        .contains("\"marker\": \"true\"");
  }

  @Test
  void aRoleSeesOnlyItsOwnInstances() throws SQLException {
    String alices = workflows.start(ALICE, literal("SELECT 1"));
    String bobs = workflows.start(BOB, literal("SELECT 2"));
    workflows.awaitTerminal(alices);
    workflows.awaitTerminal(bobs);

    try (Connection bob = postgres.connectAs(BOB);
        Statement statement = bob.createStatement();
        ResultSet rows =
            statement.executeQuery(
                "SELECT count(*) FILTER (WHERE id = "
                    + literal(alices)
                    + "),"
                    + " count(*) FILTER (WHERE id = "
                    + literal(bobs)
                    + "),"
                    + " df.status("
                    + literal(alices)
                    + ")"
                    + " FROM df.instances")) {
      rows.next();

      assertThat(rows.getInt(1)).isZero();
      assertThat(rows.getInt(2)).isEqualTo(1);
      assertThat(rows.getString(3)).isNull();
    }
  }

  @Test
  void anInstanceStartedInARolledBackTransactionNeverRuns() throws SQLException {
    String rolledBack;
    try (Connection alice = postgres.connectAs(ALICE)) {
      alice.setAutoCommit(false);
      try (Statement statement = alice.createStatement();
          ResultSet row =
              statement.executeQuery(
                  "SELECT df.start('INSERT INTO public.ledger (amount) VALUES (-7)')")) {
        row.next();
        rolledBack = row.getString(1);
      }
      alice.rollback();
    }
    String later = workflows.start(ALICE, literal("SELECT 1"));

    workflows.awaitTerminal(later);

    assertThat(workflows.status(rolledBack)).isNull();
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM public.ledger WHERE amount = ?::int", "-7"))
        .isEqualTo("0");
  }

  @Test
  void aStatementThatCannotRunInATransactionRunsInAutocommitMode() throws SQLException {
    String id = workflows.start(ALICE, literal("VACUUM public.ledger"));

    assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    assertThat(workflows.result(id)).isEqualTo("{\"rows\": [], \"row_count\": 0}");
  }

  @Test
  void twoStatementsInOneStepFailTheStepAndChangeNothing() throws SQLException {
    String id =
        workflows.start(ALICE, literal("INSERT INTO public.ledger (amount) VALUES (-5); SELECT 1"));

    assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM public.ledger WHERE amount = ?::int", "-5"))
        .isEqualTo("0");
  }

  @Test
  void finishedInstancesLeaveNoClaimRowsAndTheEngineIsRegistered() throws SQLException {
    String id = workflows.start(ALICE, literal("SELECT 1"));
    workflows.awaitTerminal(id);

    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM df_engine.runs WHERE instance_id = ?", id))
        .isEqualTo("0");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM df._worker_epoch WHERE last_seen_at > now() - interval '15 seconds' AND ?::text IS NOT NULL",
                id))
        .isEqualTo("1");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT schema_version::text FROM df_engine._worker_ready WHERE sentinel AND ?::text IS NOT NULL",
                id))
        .isEqualTo("1");
  }
}
