package dev.durablesql.engine.run;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** R-EXT-3: df.map runs its body once per row, at most max_parallel rows at a time. */
class MapTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static Workflows workflows;
  private static Engine engine;

  @BeforeAll
  static void startEngine() throws Exception {
    workflows = new Workflows(postgres);
    workflows.executeAsSuperuser(
        "CREATE TABLE public.map_effects (tag text NOT NULL, id int NOT NULL);"
            + " GRANT ALL ON public.map_effects TO alice;");
    engine = Engine.start(postgres.engineConfig("map-engine"));
  }

  @AfterAll
  static void stopEngine() {
    engine.close();
  }

  private String run(String durofutSql) throws Exception {
    String id = workflows.start(ALICE, durofutSql);
    workflows.awaitTerminal(id);
    return id;
  }

  private static String map(String rowsQuery, String body, int maxParallel) {
    return "df.map(" + literal(rowsQuery) + ", " + body + ", " + maxParallel + ")";
  }

  private String effects(String tag) throws Exception {
    return workflows.queryAsSuperuser(
        "SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM public.map_effects"
            + " WHERE tag = ?",
        tag);
  }

  private String mapNode(String id, String column) throws Exception {
    return workflows.queryAsSuperuser(
        "SELECT " + column + " FROM df.nodes WHERE instance_id = ? AND node_type = 'MAP'", id);
  }

  @Test
  void bodiesRunForEachRowWithItemBoundAndResultsComeInRowOrder() throws Exception {
    // Later rows sleep less, so they end first: the result is in row order all the same.
    String id =
        run(
            map(
                "SELECT g AS n, 'row ' || g AS label FROM generate_series(1, 6) g",
                literal(
                    "SELECT $item.n * 10 AS tens, $item.label AS label, $item AS whole,"
                        + " pg_sleep((6 - $item.n) * 0.02)::text AS slept"),
                4));

    assertThat(workflows.status(id)).isEqualTo("completed");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT string_agg(e -> 'rows' -> 0 ->> 'tens', ',' ORDER BY i)"
                    + " FROM jsonb_array_elements(df.result(?)::jsonb) WITH ORDINALITY r(e, i)",
                id))
        .isEqualTo("10,20,30,40,50,60");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT df.result(?)::jsonb -> 1 -> 'rows' -> 0 ->> 'whole'", id))
        .isEqualTo("{\"n\":2,\"label\":\"row 2\"}");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT df.result(?)::jsonb -> 2 -> 'rows' -> 0 ->> 'label'", id))
        .isEqualTo("row 3");
  }

  @Test
  void aNamedMapResultIsTheArrayOfBodyResults() throws Exception {
    String id =
        run(
            "df.seq(df.as("
                + map("SELECT 1 AS a UNION ALL SELECT 2", literal("SELECT $item.a AS a"), 2)
                + ", 'mapped'), 'SELECT jsonb_array_length($mapped::jsonb) AS n')");

    assertThat(workflows.result(id)).isEqualTo("{\"rows\": [{\"n\": 2}], \"row_count\": 1}");
  }

  @Test
  void noRowsGiveAnEmptyArray() throws Exception {
    String id = run(map("SELECT 1 AS a WHERE false", literal("SELECT 1/0"), 8));

    assertThat(workflows.status(id)).isEqualTo("completed");
    assertThat(workflows.result(id)).isEqualTo("[]");
  }

  @Test
  void noMoreThanMaxParallelRowsRunAtOnce() throws Exception {
    // Every row waits at a barrier (an advisory lock the test holds), then counts the rows running
    // beside it. All rows that started wait at the barrier, so while it is closed the number of
    // waiting rows is the number of rows running.
    String body =
        "SELECT $item.n AS n, (SELECT count(*) FROM pg_stat_activity WHERE usename = 'alice'"
            + " AND state = 'active' AND strpos(query, 'map-probe') > 0) AS beside"
            + " FROM (SELECT pg_advisory_xact_lock_shared(4242)) barrier /* map-probe */";
    String id;
    try (Connection barrier = postgres.dataSource().getConnection();
        Statement statement = barrier.createStatement()) {
      statement.execute("SELECT pg_advisory_lock(4242)");
      id = workflows.start(ALICE, map("SELECT generate_series(1, 9) AS n", literal(body), 3));

      await().atMost(Duration.ofSeconds(30)).until(() -> waitingAtBarrier() == 3);
      assertThat(waitingAtBarrier()).isEqualTo(3);
      statement.execute("SELECT pg_advisory_unlock(4242)");
    }

    assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT max((e -> 'rows' -> 0 ->> 'beside')::int)::text"
                    + " FROM jsonb_array_elements(df.result(?)::jsonb) e",
                id))
        .isIn("1", "2", "3");
  }

  private static int waitingAtBarrier() throws Exception {
    return Integer.parseInt(
        workflows.queryAsSuperuser(
            "SELECT count(*)::text FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242"
                + " AND NOT granted AND ?::text IS NOT NULL",
            "x"));
  }

  @Test
  void aFailingRowFailsTheMapOnceTheRowsInFlightEndAndLaterRowsDoNotStart() throws Exception {
    // Rows 1 and 2 wait at a barrier the test holds; row 3 fails at once, beside them.
    String body =
        "INSERT INTO public.map_effects (tag, id) SELECT 'failing', $item.n"
            + " FROM (SELECT CASE WHEN $item.n <> 3 THEN pg_advisory_xact_lock_shared(4444) END) b"
            + " RETURNING 10 / (id - 3) AS v";
    String id;
    try (Connection barrier = postgres.dataSource().getConnection();
        Statement statement = barrier.createStatement()) {
      statement.execute("SELECT pg_advisory_lock(4444)");
      id = workflows.start(ALICE, map("SELECT generate_series(1, 10) AS n", literal(body), 3));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  workflows.queryAsSuperuser(
                      "SELECT count(*)::text FROM df_engine.map_outputs WHERE instance_id = ?"
                          + " AND status = 'failed'",
                      id),
              "1"::equals);
      assertThat(workflows.status(id)).isEqualTo("running");
      statement.execute("SELECT pg_advisory_unlock(4444)");
    }

    assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    assertThat(mapNode(id, "result #>> '{}'"))
        .startsWith("MAP row 3 of 10 failed: ")
        .contains("division by zero");
    assertThat(effects("failing")).isEqualTo("1,2");
    assertThat(explain(id)).contains("MAP (rows 2/10 done, 1 failed) ✗");
  }

  @Test
  void moreThanOneHundredThousandRowsFailTheMapNamingTheLimit() throws Exception {
    String id =
        run(
            map(
                "SELECT g AS n FROM generate_series(1, 100001) g",
                literal("INSERT INTO public.map_effects (tag, id) VALUES ('too-many', $item.n)"),
                8));

    assertThat(workflows.status(id)).isEqualTo("failed");
    assertThat(mapNode(id, "result #>> '{}'"))
        .contains("more than 100000 rows")
        .startsWith("MAP rows query failed: ");
    assertThat(effects("too-many")).isEmpty();
  }

  @Test
  void aCancelStopsARunningMap() throws Exception {
    String id =
        workflows.start(
            ALICE,
            map(
                "SELECT generate_series(1, 6) AS n",
                literal("SELECT pg_sleep(60) AS long_row /* cancel-probe */"),
                2));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> activeStatements("cancel-probe"), running -> running.equals("2"));

    try (Connection alice = postgres.connectAs(ALICE);
        Statement statement = alice.createStatement()) {
      statement.execute("SELECT df.cancel(" + literal(id) + ", 'enough rows')");
    }

    workflows.awaitClosed(id);
    assertThat(workflows.status(id)).isEqualTo("cancelled");
    assertThat(activeStatements("cancel-probe")).isEqualTo("0");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM df.nodes WHERE instance_id = ? AND status = 'running'",
                id))
        .isEqualTo("0");
  }

  @Test
  void aMapThatLosesARaceStopsItsRows() throws Exception {
    String id =
        run(
            "df.race("
                + map(
                    "SELECT generate_series(1, 6) AS n",
                    literal("SELECT pg_sleep(60) AS long_row /* race-probe */"),
                    2)
                + ", 'SELECT pg_sleep(0.5) AS winner')");

    assertThat(workflows.status(id)).isEqualTo("completed");
    assertThat(workflows.result(id)).contains("winner");
    await().atMost(Duration.ofSeconds(10)).until(() -> activeStatements("race-probe"), "0"::equals);
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM df.nodes WHERE instance_id = ? AND status = 'running'",
                id))
        .isEqualTo("0");
  }

  private static String activeStatements(String marker) throws Exception {
    return workflows.queryAsSuperuser(
        "SELECT count(*)::text FROM pg_stat_activity WHERE usename = 'alice'"
            + " AND state = 'active' AND strpos(query, ?) > 0",
        marker);
  }

  @Test
  void aMapRunsInsideAJoinBranch() throws Exception {
    String id =
        run(
            "df.join("
                + map("SELECT 1 AS a UNION ALL SELECT 2", literal("SELECT $item.a * 2 AS d"), 2)
                + ", 'SELECT 3 AS c')");

    assertThat(workflows.result(id))
        .isEqualTo(
            "[[{\"rows\": [{\"d\": 2}], \"row_count\": 1}, {\"rows\": [{\"d\": 4}], \"row_count\":"
                + " 1}], {\"rows\": [{\"c\": 3}], \"row_count\": 1}]");
  }

  @Test
  void aMapInALoopReadsItsRowsAgainInEveryIteration() throws Exception {
    String body =
        "df.seq("
            + map(
                "SELECT g AS n, (SELECT count(*) FROM public.map_effects WHERE tag = 'loop') AS seen"
                    + " FROM generate_series(1, 3) g",
                literal(
                    "INSERT INTO public.map_effects (tag, id) VALUES ('loop', $item.n + $item.seen)"),
                3)
            + ", df.if('SELECT count(*) >= 6 FROM public.map_effects WHERE tag = ''loop''',"
            + " df.break('two rounds'), 'SELECT 1'))";

    String id = run("df.loop(" + body + ")");

    assertThat(workflows.status(id)).isEqualTo("completed");
    assertThat(effects("loop")).isEqualTo("1,2,3,4,5,6");
  }

  @Test
  void aMapInsideAMapBodyRunsForEveryOuterRow() throws Exception {
    String inner =
        map(
            "SELECT g AS m FROM generate_series(1, 2) g",
            literal("INSERT INTO public.map_effects (tag, id) VALUES ('nested', $item.m)"),
            2);
    String id = run(map("SELECT generate_series(1, 3) AS n", inner, 3));

    assertThat(workflows.status(id)).isEqualTo("completed");
    assertThat(effects("nested")).isEqualTo("1,1,1,2,2,2");
  }

  @Test
  void explainAndInstanceNodesShowTheRowsDoneWhileTheMapRuns() throws Exception {
    // Rows above 4 wait at a barrier the test holds.
    String body =
        "SELECT $item.n AS n FROM (SELECT CASE WHEN $item.n > 4"
            + " THEN pg_advisory_xact_lock_shared(4343) END) barrier";
    String id;
    try (Connection barrier = postgres.dataSource().getConnection();
        Statement statement = barrier.createStatement()) {
      statement.execute("SELECT pg_advisory_lock(4343)");
      id = workflows.start(ALICE, map("SELECT generate_series(1, 10) AS n", literal(body), 2));

      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> explain(id), text -> text.contains("MAP (rows 4/10 done, 2 running) ⏳"));
      assertThat(mapNode(id, "status_details -> 'map' ->> 'done'")).isEqualTo("4");
      assertThat(mapNode(id, "status_details -> 'map' ->> 'rows'")).isEqualTo("10");
      statement.execute("SELECT pg_advisory_unlock(4343)");
    }

    assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    assertThat(explain(id)).contains("MAP (rows 10/10 done) ✓").contains("SQL: SELECT $item.n");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT string_agg(node_type || ':' || inferred_status, ',' ORDER BY node_type)"
                    + " FROM df.instance_nodes(?)",
                id))
        .isEqualTo("MAP:completed,SQL:completed");
  }

  private static String explain(String id) throws Exception {
    try (Connection alice = postgres.connectAs(ALICE);
        Statement statement = alice.createStatement();
        var row = statement.executeQuery("SELECT df.explain(" + literal(id) + ")")) {
      row.next();
      return row.getString(1);
    }
  }
}
