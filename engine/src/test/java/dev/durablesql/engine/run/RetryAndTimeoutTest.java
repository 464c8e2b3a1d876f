package dev.durablesql.engine.run;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.activity.ActivitySettings;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.StubServer;
import dev.durablesql.engine.testing.StubServer.Reply;
import dev.durablesql.engine.testing.Workflows;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** R-DIFF-2 retries of transient failures, R-EXT-1 per-node policies, R-EXT-2 step timeouts. */
class RetryAndTimeoutTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static Workflows workflows;

  @BeforeAll
  static void createFlakyFunction() throws Exception {
    workflows = new Workflows(postgres);
    // A sequence is not rolled back with the failed step, so it counts attempts.
    workflows.executeAsSuperuser(
        "CREATE SEQUENCE public.attempts; GRANT USAGE ON SEQUENCE public.attempts TO alice;"
            + " CREATE FUNCTION public.fail_first(n int, state text) RETURNS int LANGUAGE plpgsql"
            + " AS $$ BEGIN IF nextval('public.attempts') <= n THEN"
            + " RAISE EXCEPTION 'could not serialize access' USING ERRCODE = state; END IF;"
            + " RETURN currval('public.attempts'); END $$;");
  }

  private static Engine engine() {
    return Engine.start(
        postgres
            .engineConfig("retrying-engine")
            .withRetries(
                new EngineConfig.Retries(3, Duration.ofMillis(10), Duration.ofMillis(50))));
  }

  @Test
  void aTransientFailureIsRetriedUntilTheStepSucceeds() throws Exception {
    resetAttempts();
    String id = workflows.start(ALICE, literal("SELECT public.fail_first(2, '40001') AS attempt"));

    try (Engine engine = engine()) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
      assertThat(engine.meters().get("durable.steps.retries").tag("type", "sql").counter().count())
          .isEqualTo(2);
      // The step's commit ends the instance; the engine counts the step when the commit returns.
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  engine
                      .meters()
                      .get("durable.steps")
                      .tags("type", "sql", "outcome", "completed")
                      .counter()
                      .count(),
              count -> count == 1);
    }

    assertThat(workflows.result(id)).contains("\"attempt\": 3");
    assertThat(attemptsRecorded(id)).isEqualTo("2");
  }

  @Test
  void aDeterministicErrorIsNotRetried() throws Exception {
    resetAttempts();
    String id = workflows.start(ALICE, literal("SELECT public.fail_first(5, '22012') AS attempt"));

    try (Engine engine = engine()) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    }

    assertThat(
            workflows.queryAsSuperuser(
                "SELECT last_value::text FROM public.attempts WHERE ?::text IS NOT NULL", id))
        .isEqualTo("1");
    assertThat(attemptsRecorded(id)).isNull();
  }

  @Test
  void whenTheAttemptsAreUsedUpTheLastFailureFailsTheNode() throws Exception {
    resetAttempts();
    String id = workflows.start(ALICE, literal("SELECT public.fail_first(10, '40P01') AS attempt"));

    try (Engine engine = engine()) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    }

    assertThat(rootError(id)).startsWith("SQL execution failed:").contains("could not serialize");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT last_value::text FROM public.attempts WHERE ?::text IS NOT NULL", id))
        .isEqualTo("3");
  }

  @Test
  void aNodesOwnRetryPolicyWinsOverTheDefault() throws Exception {
    resetAttempts();
    String id = workflows.start(ALICE, literal("SELECT public.fail_first(4, '40001') AS attempt"));
    insertPolicy(id, "{\"retry\":{\"max_attempts\":5,\"initial_delay_seconds\":0.01}}");

    try (Engine engine = engine()) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    }

    assertThat(workflows.result(id)).contains("\"attempt\": 5");
  }

  @Test
  void attemptsSpentBeforeARestartCountAgainstTheBudget() throws Exception {
    resetAttempts();
    String id = workflows.start(ALICE, literal("SELECT public.fail_first(10, '40001') AS attempt"));
    workflows.queryAsSuperuser(
        "INSERT INTO df_engine.node_attempts (instance_id, node_id, attempts, last_error)"
            + " SELECT id, root_node, 2, 'SQL execution failed: earlier' FROM df.instances"
            + " WHERE id = ? RETURNING 1",
        id);

    try (Engine engine = engine()) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    }

    assertThat(
            workflows.queryAsSuperuser(
                "SELECT last_value::text FROM public.attempts WHERE ?::text IS NOT NULL", id))
        .isEqualTo("1");
  }

  @Test
  void aStepLongerThanItsTimeoutFailsWithTimedOutAfter() throws Exception {
    String id = workflows.start(ALICE, literal("SELECT pg_sleep(5)"));
    insertPolicy(id, "{\"timeout_seconds\":0.3}");

    try (Engine engine = engine()) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    }

    assertThat(rootError(id)).contains("timed out after 0.3 seconds");
  }

  @Test
  void aStepTimeoutLongerThanPostgreSqlsLongestStatementTimeoutStillRuns() throws Exception {
    // 40 days: more than statement_timeout takes (2^31 - 1 ms, 24.8 days).
    String id = workflows.start(ALICE, "df.timeout('SELECT 1 AS one', 3456000)");

    try (Engine engine = engine()) {
      assertThat(workflows.awaitTerminal(id)).as(() -> rootErrorQuietly(id)).isEqualTo("completed");
    }
  }

  @Test
  void aCompoundNodeThatRunsPastItsTimeoutFailsAndStampsWhatRanInside() throws Exception {
    String id =
        workflows.start(
            ALICE, "df.timeout(df.seq('SELECT 1 AS first', 'SELECT pg_sleep(5) AS slow'), 0.5)");

    try (Engine engine = engine()) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    }

    assertThat(rootError(id)).isEqualTo("THEN timed out after 0.5 s (df.timeout)");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT string_agg(status, ',' ORDER BY status) FROM df.nodes"
                    + " WHERE instance_id = ? AND node_type = 'SQL'",
                id))
        .isEqualTo("completed,failed");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM df.nodes WHERE instance_id = ? AND status = 'running'",
                id))
        .isEqualTo("0");
  }

  @Test
  void aTimedOutJoinCancelsBothBranchesAndCanBeCaughtByAnOuterSequence() throws Exception {
    String id =
        workflows.start(
            ALICE,
            "df.timeout(df.join('SELECT pg_sleep(5) AS a', 'SELECT pg_sleep(5) AS b'), 0.5)");

    try (Engine engine = engine()) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    }

    assertThat(rootError(id)).contains("JOIN timed out after 0.5 s");
  }

  @Test
  void aSleepInsideATimedNodeCountsAndTheNodeFailsAtItsDeadline() throws Exception {
    String id = workflows.start(ALICE, "df.timeout(df.seq('SELECT 1 AS first', df.sleep(60)), 1)");

    try (Engine engine = engine()) {
      // Without the durable deadline the instance would sleep its minute and then complete.
      assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    }

    assertThat(rootError(id)).isEqualTo("THEN timed out after 1 s (df.timeout)");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT status || ': ' || (result #>> '{}') FROM df.nodes"
                    + " WHERE instance_id = ? AND node_type = 'SLEEP'",
                id))
        .isEqualTo("failed: cancelled: THEN timed out after 1 s (df.timeout)");
    assertThat(secondsFromStartToEnd(id)).isIn("1", "2", "3");
  }

  @Test
  void aTimedNodeKeepsItsDeadlineAcrossAnEngineRestartWhileItWaits() throws Exception {
    String id =
        workflows.start(ALICE, "df.timeout(df.seq('SELECT 1', df.wait_for_signal('never')), 3)");
    try (Engine first = engine()) {
      workflows.awaitWaits(id, 1);
    }
    // The deadline was fixed by the first engine; the second one fails the node when it comes,
    // not three seconds after its own start.
    try (Engine second = engine()) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    }

    assertThat(rootError(id)).isEqualTo("THEN timed out after 3 s (df.timeout)");
    assertThat(secondsFromStartToEnd(id)).isIn("3", "4", "5");
    // The wait is closed: a signal sent now stays for a later wait instead of landing in it.
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM df_engine.waits WHERE instance_id = ?"
                    + " AND signal_id IS NULL",
                id))
        .isEqualTo("0");
  }

  @Test
  void anActivityKeepsItsDeadlineAcrossAnEngineRestart() throws Exception {
    workflows.executeAsSuperuser(
        "GRANT EXECUTE ON FUNCTION df.http(text,text,text,jsonb,integer) TO alice");
    try (StubServer server = new StubServer()) {
      server.script("/stalled", Reply.of(200, "late").delayedBy(60_000));
      String id =
          workflows.start(
              ALICE,
              "df.timeout(df.http("
                  + literal(server.baseUrl() + "/stalled")
                  + ", 'GET', NULL, NULL, 120), 8)");
      // The first engine's call stalls; closing it waits its grace period (5 s) and gives the
      // instance back. The second engine calls again with what is left of the 8 s, not 8 s more.
      try (Engine first = Engine.start(httpEngine())) {
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> server.requests("/stalled").size(), size -> size == 1);
      }
      try (Engine second = Engine.start(httpEngine())) {
        assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
      }

      assertThat(rootError(id)).isEqualTo("activity http timed out after 8 s (df.timeout)");
      assertThat(secondsFromStartToEnd(id)).isIn("8", "9", "10");
    }
  }

  private static EngineConfig httpEngine() {
    return postgres
        .engineConfig("http-engine")
        .withActivities(ActivitySettings.defaults().withValue("http.policy", "allow-all"));
  }

  @Test
  void aCompoundNodeThatFinishesInTimeIsNotAffectedByItsTimeout() throws Exception {
    String id = workflows.start(ALICE, "df.timeout(df.seq('SELECT 1', 'SELECT 2 AS two'), 30)");

    try (Engine engine = engine()) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    }
  }

  private static void insertPolicy(String id, String policy) throws Exception {
    try (Connection alice = postgres.connectAs(ALICE);
        Statement statement = alice.createStatement()) {
      statement.execute(
          "INSERT INTO df_engine.node_policies (instance_id, node_id, policy)"
              + " SELECT id, root_node, "
              + literal(policy)
              + "::jsonb FROM df.instances WHERE id = "
              + literal(id));
    }
  }

  private static void resetAttempts() throws Exception {
    workflows.executeAsSuperuser("ALTER SEQUENCE public.attempts RESTART");
  }

  private static String attemptsRecorded(String id) throws Exception {
    return workflows.queryAsSuperuser(
        "SELECT attempts::text FROM df_engine.node_attempts WHERE instance_id = ?", id);
  }

  /** Whole seconds from the instance's start to its end, on the database's clock. */
  private static String secondsFromStartToEnd(String id) throws Exception {
    return workflows.queryAsSuperuser(
        "SELECT round(extract(epoch FROM updated_at - created_at))::text"
            + " FROM df.instances WHERE id = ?",
        id);
  }

  private static String rootErrorQuietly(String id) {
    try {
      return rootError(id);
    } catch (Exception e) {
      return e.toString();
    }
  }

  private static String rootError(String id) throws Exception {
    return workflows.queryAsSuperuser(
        "SELECT n.result #>> '{}' FROM df.nodes n JOIN df.instances i ON i.id = n.instance_id"
            + " AND n.id = i.root_node WHERE i.id = ?",
        id);
  }
}
