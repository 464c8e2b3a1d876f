package dev.durablesql.engine.run;

import static dev.durablesql.engine.testing.Durofut.breakWith;
import static dev.durablesql.engine.testing.Durofut.ifNode;
import static dev.durablesql.engine.testing.Durofut.join;
import static dev.durablesql.engine.testing.Durofut.loop;
import static dev.durablesql.engine.testing.Durofut.named;
import static dev.durablesql.engine.testing.Durofut.race;
import static dev.durablesql.engine.testing.Durofut.signal;
import static dev.durablesql.engine.testing.Durofut.sleep;
import static dev.durablesql.engine.testing.Durofut.sql;
import static dev.durablesql.engine.testing.Durofut.then;
import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The hard cases of SPEC.md §18: breaks across branches, race losers, loop result scoping. */
class HardCasesTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static Workflows workflows;
  private static Engine engine;

  @BeforeAll
  static void startEngine() throws Exception {
    workflows = new Workflows(postgres);
    workflows.executeAsSuperuser(
        "CREATE TABLE public.counters (name text PRIMARY KEY, n int NOT NULL DEFAULT 0);"
            + " GRANT ALL ON public.counters TO alice;");
    engine = Engine.start(postgres.engineConfig("hard-cases-engine"));
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

  @Test
  void aBreakInsideAJoinBranchEndsTheEnclosingLoop() throws Exception {
    String id = run(loop(join(then(sql("SELECT 1"), breakWith("out of join")), sql("SELECT 2"))));

    assertThat(workflows.status(id)).isEqualTo("completed");
    assertThat(workflows.result(id)).isEqualTo("\"out of join\"");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT status || ' ' || (result #>> '{}') FROM df.nodes WHERE instance_id = ?"
                    + " AND node_type = 'JOIN'",
                id))
        .isEqualTo("completed out of join");
  }

  @Test
  void aBreakThatWinsARaceEndsTheEnclosingLoop() throws Exception {
    String id = run(loop(race(sql("SELECT pg_sleep(10)"), breakWith("won"))));

    assertThat(workflows.result(id)).isEqualTo("\"won\"");
  }

  @Test
  void aLoopThatLosesARaceIsStampedAsTheLoser() throws Exception {
    String id = run(race(loop(sql("SELECT pg_sleep(0.2)")), sql("SELECT 'quick' AS w")));

    assertThat(workflows.result(id)).contains("quick");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM df.nodes WHERE instance_id = ? AND status = 'running'",
                id))
        .isEqualTo("0");
  }

  private static String carriedResultLoop(String counter) {
    return loop(
        then(
            ifNode(
                sql("SELECT n > 0 FROM public.counters WHERE name = '" + counter + "'"),
                then(sql("SELECT $a AS again"), breakWith("carried")),
                sql("SELECT 0")),
            then(
                named(sql("SELECT 1 AS a"), "a"),
                sql("UPDATE public.counters SET n = n + 1 WHERE name = '" + counter + "'"))));
  }

  @Test
  void aLoopAtTheInstanceRootStartsEveryIterationWithoutNamedResults() throws Exception {
    workflows.executeAsSuperuser("INSERT INTO public.counters (name) VALUES ('root')");

    String id = run(carriedResultLoop("root"));

    assertThat(workflows.status(id)).isEqualTo("failed");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT result #>> '{}' FROM df.nodes WHERE instance_id = ?"
                    + " AND query = 'SELECT $a AS again'",
                id))
        .contains("syntax error");
  }

  @Test
  void aNestedLoopCarriesNamedResultsIntoItsNextIteration() throws Exception {
    workflows.executeAsSuperuser("INSERT INTO public.counters (name) VALUES ('nested')");

    String id = run(then(sql("SELECT 'before'"), carriedResultLoop("nested")));

    assertThat(workflows.status(id)).isEqualTo("completed");
    assertThat(workflows.result(id)).isEqualTo("\"carried\"");
  }

  @Test
  void aSignalReachesAWaitInARaceBranch() throws Exception {
    String id = workflows.start(ALICE, literal(race(signal("go", null), sleep(60))));
    workflows.awaitWaits(id, 1);

    try (Connection alice = postgres.connectAs(ALICE);
        Statement statement = alice.createStatement()) {
      statement.execute(
          "INSERT INTO df_engine.signals (instance_id, name, payload) VALUES ("
              + literal(id)
              + ", 'go', '\"now\"')");
    }

    assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    assertThat(workflows.result(id)).contains("\"data\": \"now\"");
  }
}
