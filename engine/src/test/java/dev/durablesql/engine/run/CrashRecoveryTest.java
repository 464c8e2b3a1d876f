package dev.durablesql.engine.run;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.testing.ChildEngine;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Exactly-once across a crash: an engine in a child JVM is killed with SIGKILL while a step is in
 * flight; a second engine takes the instance over when the lease lapses and finishes it.
 */
class CrashRecoveryTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static Workflows workflows;

  @BeforeAll
  static void createEffectsTable() throws Exception {
    workflows = new Workflows(postgres);
    workflows.executeAsSuperuser(
        "CREATE TABLE public.effects (id serial PRIMARY KEY, tag text NOT NULL);"
            + " GRANT ALL ON public.effects TO alice;"
            + " GRANT USAGE ON SEQUENCE public.effects_id_seq TO alice;");
  }

  @Test
  void aStepInFlightWhenItsEngineIsKilledRunsAgainElsewhereAndCommitsOnce() throws Exception {
    String id;
    try (ChildEngine doomed =
        ChildEngine.start(postgres, "doomed-1", "lease-duration=3s", "heartbeat-interval=500ms")) {
      awaitLiveEngines(1);
      id =
          workflows.start(
              ALICE,
              "df.seq("
                  + literal(
                      "WITH i AS (INSERT INTO public.effects (tag) VALUES ('in-flight') RETURNING 1)"
                          + " SELECT pg_sleep(3) AS slept FROM i")
                  + ", 'SELECT count(*) AS effects FROM public.effects WHERE tag = ''in-flight''')");
      awaitStepInFlight("in-flight");

      doomed.kill();
    }
    assertThat(workflows.status(id)).isEqualTo("running");

    try (Engine survivor = Engine.start(postgres.engineConfig("survivor-1"))) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    }

    assertThat(countEffects("in-flight")).isEqualTo(1);
    assertThat(workflows.result(id)).isEqualTo("{\"rows\": [{\"effects\": 1}], \"row_count\": 1}");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT string_agg(kind, ',' ORDER BY id) FROM df_engine.events WHERE instance_id = ?",
                id))
        .contains("resumed (claim 2)");
  }

  @Test
  void stepsThatCommittedBeforeTheCrashAreNotRunAgain() throws Exception {
    String id;
    try (ChildEngine doomed =
        ChildEngine.start(postgres, "doomed-2", "lease-duration=3s", "heartbeat-interval=500ms")) {
      awaitLiveEngines(1);
      id =
          workflows.start(
              ALICE,
              "df.seq('INSERT INTO public.effects (tag) VALUES (''before-crash'')',"
                  + literal("SELECT pg_sleep(3) AS slept, 'tail' AS marker")
                  + ")");
      awaitStepInFlight("'tail' AS marker");

      doomed.kill();
    }

    try (Engine survivor = Engine.start(postgres.engineConfig("survivor-2"))) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    }

    assertThat(countEffects("before-crash")).isEqualTo(1);
  }

  @Test
  void aMapKilledMidwayRunsOnlyItsUnfinishedRowsAndReadsItsRowsOnce() throws Exception {
    workflows.executeAsSuperuser(
        "CREATE TABLE public.map_effects (id int NOT NULL); GRANT ALL ON public.map_effects TO alice;");
    // The rows query writes a marker (row 0): it must commit exactly once, with the stored rows.
    String rowsQuery =
        "WITH marker AS (INSERT INTO public.map_effects (id) VALUES (0) RETURNING 1)"
            + " SELECT g AS n FROM generate_series(1, 12) g, (SELECT count(*) FROM marker) m";
    String body =
        "INSERT INTO public.map_effects (id) SELECT $item.n"
            + " FROM pg_sleep(CASE WHEN $item.n = 5 THEN 3 ELSE 0.05 END) /* map-row */";
    String id;
    try (ChildEngine doomed =
        ChildEngine.start(postgres, "doomed-3", "lease-duration=3s", "heartbeat-interval=500ms")) {
      awaitLiveEngines(1);
      id = workflows.start(ALICE, "df.map(" + literal(rowsQuery) + ", " + literal(body) + ", 2)");
      awaitStepInFlight("SELECT 5 FROM pg_sleep");

      doomed.kill();
    }
    // Row 5 starts once three of rows 1-4 ended; its INSERT was in flight when the engine died.
    String beforeResume =
        workflows.queryAsSuperuser(
            "SELECT count(*) FILTER (WHERE id = 0) || ',' || count(*) FILTER (WHERE id BETWEEN 1 AND 4)"
                + " || ',' || count(*) FILTER (WHERE id = 5) FROM public.map_effects");

    try (Engine survivor = Engine.start(postgres.engineConfig("survivor-3"))) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    }

    assertThat(beforeResume).isIn("1,3,0", "1,4,0");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT string_agg(id::text, ',' ORDER BY id) FROM public.map_effects"))
        .isEqualTo("0,1,2,3,4,5,6,7,8,9,10,11,12");
    assertThat(
            workflows.queryAsSuperuser("SELECT jsonb_array_length(df.result(?)::jsonb)::text", id))
        .isEqualTo("12");
  }

  private static void awaitLiveEngines(int count) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                workflows.queryAsSuperuser(
                    "SELECT count(*)::text FROM df._worker_epoch"
                        + " WHERE last_seen_at > now() - interval '2 seconds' AND ?::text IS NOT NULL",
                    "x"),
            live -> Integer.parseInt(live) >= count);
  }

  /** Waits until a backend logged in as alice is executing a statement containing {@code text}. */
  private static void awaitStepInFlight(String text) {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () ->
                workflows.queryAsSuperuser(
                    "SELECT count(*)::text FROM pg_stat_activity WHERE usename = 'alice'"
                        + " AND state = 'active' AND strpos(query, ?) > 0",
                    text),
            running -> !running.equals("0"));
  }

  private static int countEffects(String tag) throws Exception {
    return Integer.parseInt(
        workflows.queryAsSuperuser("SELECT count(*)::text FROM public.effects WHERE tag = ?", tag));
  }
}
