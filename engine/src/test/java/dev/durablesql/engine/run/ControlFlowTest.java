package dev.durablesql.engine.run;

import static dev.durablesql.engine.testing.Durofut.breakWith;
import static dev.durablesql.engine.testing.Durofut.ifNode;
import static dev.durablesql.engine.testing.Durofut.ifRows;
import static dev.durablesql.engine.testing.Durofut.join;
import static dev.durablesql.engine.testing.Durofut.loop;
import static dev.durablesql.engine.testing.Durofut.loopWhile;
import static dev.durablesql.engine.testing.Durofut.named;
import static dev.durablesql.engine.testing.Durofut.race;
import static dev.durablesql.engine.testing.Durofut.sql;
import static dev.durablesql.engine.testing.Durofut.then;
import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** SPEC.md §7: what users see of THEN, IF, JOIN, RACE, LOOP and BREAK, and named results. */
class ControlFlowTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static Workflows workflows;
  private static Engine engine;

  @BeforeAll
  static void startEngine() throws Exception {
    workflows = new Workflows(postgres);
    workflows.executeAsSuperuser(
        "CREATE TABLE public.counters (name text PRIMARY KEY, n int NOT NULL DEFAULT 0);"
            + " GRANT ALL ON public.counters TO alice;");
    engine = Engine.start(postgres.engineConfig("control-flow-engine"));
  }

  @AfterAll
  static void stopEngine() {
    engine.close();
  }

  private String run(String durofut) throws Exception {
    String id = workflows.start(ALICE, literal(durofut));
    workflows.awaitTerminal(id);
    return id;
  }

  private String nodeStatus(String id, String query) throws Exception {
    return workflows.queryAsSuperuser(
        "SELECT status FROM df.nodes WHERE instance_id = ? AND query = " + literal(query), id);
  }

  @Test
  void aNamedResultIsSubstitutedIntoALaterStep() throws Exception {
    String id =
        run(
            then(
                named(sql("SELECT 21 AS x, 'a''b' AS s"), "first"),
                sql("SELECT $first * 2 AS doubled, $first.s AS s")));

    assertThat(workflows.status(id)).isEqualTo("completed");
    assertThat(workflows.result(id))
        .isEqualTo("{\"rows\": [{\"s\": \"a'b\", \"doubled\": 42}], \"row_count\": 1}");
  }

  @Test
  void aMissingReferenceFailsTheStepWithTheReason() throws Exception {
    String id =
        run(then(named(sql("SELECT 1 AS x WHERE false"), "empty"), sql("SELECT $empty AS v")));

    assertThat(workflows.status(id)).isEqualTo("failed");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT result #>> '{}' FROM df.nodes WHERE instance_id = ? AND query LIKE '%$empty%'",
                id))
        .contains("$empty has no rows");
  }

  @Test
  void ifRunsOnlyTheBranchTheConditionPicks() throws Exception {
    String id =
        run(
            ifNode(
                sql("SELECT 0 = 1 AS no"),
                sql("SELECT 'then' AS taken"),
                sql("SELECT 'else' AS taken")));

    assertThat(workflows.result(id)).contains("\"taken\": \"else\"");
    assertThat(nodeStatus(id, "SELECT 'then' AS taken")).isEqualTo("pending");
    assertThat(nodeStatus(id, "SELECT 0 = 1 AS no")).isEqualTo("completed");
  }

  @Test
  void ifRowsLooksAtTheRowCountOfANamedResult() throws Exception {
    String id =
        run(
            then(
                named(sql("SELECT 1 AS one WHERE false"), "found"),
                ifRows("found", sql("SELECT 'rows' AS what"), sql("SELECT 'none' AS what"))));

    assertThat(workflows.result(id)).contains("\"what\": \"none\"");
  }

  @Test
  void joinRunsBranchesInChildScopesAndReturnsTheirResultsInOrder() throws Exception {
    String id =
        run(join(named(sql("SELECT 1 AS a"), "left"), sql("SELECT 2 AS b"), sql("SELECT 3 AS c")));

    assertThat(workflows.result(id))
        .isEqualTo(
            "[{\"rows\": [{\"a\": 1}], \"row_count\": 1}, {\"rows\": [{\"b\": 2}], \"row_count\": 1},"
                + " {\"rows\": [{\"c\": 3}], \"row_count\": 1}]");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT status_details ->> 'execution_id' FROM df.nodes WHERE instance_id = ?"
                    + " AND query = 'SELECT 2 AS b'",
                id))
        .matches("^" + id + "::1::[0-9a-f]{8}::1$");
  }

  @Test
  void joinResultsNamedInABranchAreVisibleAfterTheJoin() throws Exception {
    String id =
        run(
            then(
                join(named(sql("SELECT 5 AS five"), "five"), sql("SELECT 1")),
                sql("SELECT $five + 1 AS six")));

    assertThat(workflows.result(id)).contains("\"six\": 6");
  }

  @Test
  void joinFailsWithTheFirstFailingBranchInOrderAfterAllFinished() throws Exception {
    String id = run(join(sql("SELECT pg_sleep(0.3)"), sql("SELECT 1/0")));

    assertThat(workflows.status(id)).isEqualTo("failed");
    assertThat(nodeStatus(id, "SELECT pg_sleep(0.3)")).isEqualTo("completed");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT n.result #>> '{}' FROM df.nodes n JOIN df.instances i ON i.root_node = n.id"
                    + " AND i.id = n.instance_id WHERE i.id = ?",
                id))
        .startsWith("JOIN branch 2 failed: SQL execution failed:")
        .contains("division by zero");
  }

  @Test
  void raceTakesTheFirstFinisherAndCancelsTheLoser() throws Exception {
    long started = System.nanoTime();
    String id = run(race(sql("SELECT pg_sleep(20) AS slow"), sql("SELECT 'fast' AS who")));
    long millis = (System.nanoTime() - started) / 1_000_000;

    assertThat(workflows.result(id))
        .isEqualTo("{\"rows\": [{\"who\": \"fast\"}], \"row_count\": 1}");
    assertThat(millis).as("the loser did not hold the race up").isLessThan(15_000);
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT status || ':' || (result #>> '{}') FROM df.nodes WHERE instance_id = ?"
                    + " AND query = 'SELECT pg_sleep(20) AS slow'",
                id))
        .startsWith("failed:cancelled");
  }

  @Test
  void aLoopRunsUntilABreakAndReturnsItsValue() throws Exception {
    workflows.executeAsSuperuser("INSERT INTO public.counters (name) VALUES ('break')");
    String id =
        run(
            loop(
                then(
                    sql("UPDATE public.counters SET n = n + 1 WHERE name = 'break' RETURNING n"),
                    ifNode(
                        sql("SELECT n >= 3 FROM public.counters WHERE name = 'break'"),
                        breakWith("done"),
                        sql("SELECT 'again'")))));

    assertThat(workflows.status(id)).isEqualTo("completed");
    assertThat(workflows.result(id)).isEqualTo("\"done\"");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT n::text FROM public.counters WHERE name = ?", "break"))
        .isEqualTo("3");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT status_details ->> 'execution_id' FROM df.nodes WHERE instance_id = ?"
                    + " AND node_type = 'LOOP'",
                id))
        .isEqualTo(id + "::3");
  }

  @Test
  void aWhileLoopStopsWhenItsConditionIsFalseWithTheLastBodyResult() throws Exception {
    workflows.executeAsSuperuser("INSERT INTO public.counters (name) VALUES ('while')");
    String id =
        run(
            loopWhile(
                sql("UPDATE public.counters SET n = n + 1 WHERE name = 'while' RETURNING n"),
                sql("SELECT n < 2 FROM public.counters WHERE name = 'while'")));

    assertThat(workflows.result(id)).isEqualTo("{\"rows\": [{\"n\": 2}], \"row_count\": 1}");
  }

  @Test
  void aLoopAfterAStepRunsInItsOwnScopeAndTheStepRunsOnce() throws Exception {
    workflows.executeAsSuperuser(
        "INSERT INTO public.counters (name) VALUES ('prefix'), ('nested')");
    String id =
        run(
            then(
                sql("UPDATE public.counters SET n = n + 1 WHERE name = 'prefix'"),
                loop(
                    then(
                        sql(
                            "UPDATE public.counters SET n = n + 1 WHERE name = 'nested' RETURNING n"),
                        ifNode(
                            sql("SELECT n >= 2 FROM public.counters WHERE name = 'nested'"),
                            breakWith("{\"nested\":true}"),
                            sql("SELECT 'again'"))))));

    assertThat(workflows.result(id)).isEqualTo("{\"nested\": true}");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT n::text FROM public.counters WHERE name = ?", "prefix"))
        .isEqualTo("1");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT status_details ->> 'execution_id' FROM df.nodes WHERE instance_id = ?"
                    + " AND node_type = 'LOOP'",
                id))
        .matches("^" + id + "::1::[0-9a-f]{8}::2$");
  }

  @Test
  void aBreakOutsideALoopFailsTheInstance() throws Exception {
    String id = run(then(sql("SELECT 1"), breakWith(null)));

    assertThat(workflows.status(id)).isEqualTo("failed");
  }
}
