package dev.durablesql.engine.run;

import static dev.durablesql.engine.testing.Durofut.join;
import static dev.durablesql.engine.testing.Durofut.named;
import static dev.durablesql.engine.testing.Durofut.signal;
import static dev.durablesql.engine.testing.Durofut.sleep;
import static dev.durablesql.engine.testing.Durofut.sql;
import static dev.durablesql.engine.testing.Durofut.then;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Timers and signal waits (SPEC.md §7.8, §10, R-DIFF-3): a waiting instance holds no claim, a timer
 * keeps its deadline across an engine restart, and no signal is lost.
 */
class WaitsTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private final Workflows workflows = new Workflows(postgres);

  private Engine engine(String name) {
    return Engine.start(postgres.engineConfig(name));
  }

  private void awaitParked(String id) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                workflows.queryAsSuperuser(
                    "SELECT (lease_owner IS NULL AND wake_at > now())::text FROM df_engine.runs"
                        + " WHERE instance_id = ?",
                    id),
            "true"::equals);
  }

  private void sendSignal(String id, String name, String payload) throws Exception {
    try (Connection alice = postgres.connectAs(ALICE);
        Statement statement = alice.createStatement()) {
      statement.execute(
          "INSERT INTO df_engine.signals (instance_id, name, payload) VALUES ("
              + literal(id)
              + ", "
              + literal(name)
              + ", "
              + literal(payload)
              + "::jsonb)");
    }
  }

  @Test
  void aSleepParksTheInstanceAndKeepsItsDeadlineAcrossAnEngineRestart() throws Exception {
    String id = workflows.start(ALICE, literal(then(sleep(3), sql("SELECT 'woke' AS state"))));
    try (Engine first = engine("sleep-first")) {
      awaitParked(id);
    }
    String due =
        workflows.queryAsSuperuser(
            "SELECT due_at::text FROM df_engine.timers WHERE instance_id = ?", id);

    try (Engine second = engine("sleep-second")) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    }

    assertThat(workflows.result(id)).contains("\"state\": \"woke\"");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT (max(n.updated_at) >= ?::timestamptz)::text FROM df.nodes n"
                    + " WHERE n.instance_id = '"
                    + id
                    + "' AND n.node_type = 'SLEEP'",
                due))
        .isEqualTo("true");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT result::text FROM df.nodes WHERE instance_id = ? AND node_type = 'SLEEP'",
                id))
        .isEqualTo("{\"slept\": true, \"seconds\": 3}");
  }

  @Test
  void aScheduleWaitFiresAtTheNextCronTickAfterItStarts() throws Exception {
    // Every minute: the wait ends at the first minute boundary after the node starts (R-EXEC-23),
    // so this test takes up to a minute. The step after it records when it ran.
    String id =
        workflows.start(
            ALICE,
            "df.seq(df.wait_for_schedule('* * * * *'), 'SELECT clock_timestamp()::text AS woke')");

    String due;
    try (Engine engine = engine("schedule-engine")) {
      awaitParked(id);
      due =
          workflows.queryAsSuperuser(
              "SELECT due_at::text FROM df_engine.timers WHERE instance_id = ?", id);
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> workflows.status(id), "completed"::equals);
    }

    assertThat(
            workflows.queryAsSuperuser(
                "SELECT (?::timestamptz = date_trunc('minute', ?::timestamptz)"
                    + " AND ?::timestamptz > created_at"
                    + " AND ?::timestamptz <= created_at + interval '70 seconds')::text"
                    + " FROM df.instances WHERE id = ?",
                due,
                due,
                due,
                due,
                id))
        .as("the timer of the wait, %s, is the next minute boundary", due)
        .isEqualTo("true");
    String woke =
        workflows.queryAsSuperuser(
            "SELECT (df.result(?)::jsonb #>> '{rows,0,woke}')::timestamptz::text", id);
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT (?::timestamptz - ?::timestamptz BETWEEN interval '0' AND interval '5 s')"
                    + "::text",
                woke,
                due))
        .as("the step after the wait ran at %s, within 5 s of the tick %s", woke, due)
        .isEqualTo("true");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT result::text FROM df.nodes WHERE instance_id = ?"
                    + " AND node_type = 'WAIT_SCHEDULE'",
                id))
        .isEqualTo("{\"scheduled\": true}");
  }

  @Test
  void aSleepPastTheEndOfTheCalendarParksForTheLongestTimer() throws Exception {
    // 10^13 s is 317 000 years: past the last timestamp PostgreSQL can hold. The instance parks
    // for 100 000 years (never, in practice) instead of failing its timer over and over.
    String id = workflows.start(ALICE, "df.sleep(10000000000000)");

    try (Engine engine = engine("calendar-engine")) {
      awaitParked(id);
    }

    assertThat(workflows.status(id)).isEqualTo("running");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT (wake_at > now() + interval '99000 years')::text FROM df_engine.runs"
                    + " WHERE instance_id = ?",
                id))
        .isEqualTo("true");
  }

  @Test
  void aHandWrittenSleepWithoutANumberFailsItsNode() throws Exception {
    // df.sleep always writes a number; a Durofut written by hand is checked when it runs.
    String id = workflows.start(ALICE, literal("{\"node_type\":\"SLEEP\",\"query\":\"soon\"}"));

    try (Engine engine = engine("sleep-text-engine")) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    }

    assertThat(
            workflows.queryAsSuperuser(
                "SELECT result #>> '{}' FROM df.nodes WHERE instance_id = ? AND status = 'failed'",
                id))
        .isEqualTo("SLEEP needs a number of seconds as its query, not 'soon'");
  }

  @Test
  void aSignalWakesAWaitingInstanceWithItsPayload() throws Exception {
    String id = workflows.start(ALICE, literal(signal("approve", null)));
    try (Engine engine = engine("signal-engine")) {
      awaitParked(id);

      sendSignal(id, "approve", "{\"by\":\"carol\"}");

      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    }
    assertThat(workflows.result(id))
        .isEqualTo(
            "{\"data\": {\"by\": \"carol\"}, \"timed_out\": false, \"signal_name\": \"approve\"}");
  }

  @Test
  void aSignalSentWhileNoEngineRunsIsDeliveredAfterTheRestart() throws Exception {
    String id = workflows.start(ALICE, literal(signal("go", null)));
    try (Engine engine = engine("before-outage")) {
      awaitParked(id);
    }

    sendSignal(id, "go", "1");

    try (Engine engine = engine("after-outage")) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    }
    assertThat(workflows.result(id)).contains("\"data\": 1");
  }

  @Test
  void aSignalThatArrivesBeforeItsWaitIsKeptForIt() throws Exception {
    String id = workflows.start(ALICE, literal(then(sleep(1), named(signal("early", null), "s"))));
    sendSignal(id, "early", "\"kept\"");

    try (Engine engine = engine("early-engine")) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    }

    assertThat(workflows.result(id)).contains("\"data\": \"kept\"");
  }

  @Test
  void oneSignalReachesEveryBranchWaitingOnItsName() throws Exception {
    String id = workflows.start(ALICE, literal(join(signal("all", null), signal("all", null))));
    try (Engine engine = engine("fan-out-engine")) {
      workflows.awaitWaits(id, 2);

      sendSignal(id, "all", "7");

      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    }
    assertThat(workflows.result(id)).contains("\"data\": 7").contains("[{").contains("}, {");
  }

  @Test
  void aBranchResumedAfterARestartStillSeesTheResultsOfItsParentAndItsOwn() throws Exception {
    // The parent's $p and the branch's own $b were named before the wait; after a restart the
    // branch is rebuilt from what it inherits and what was saved in it.
    String id =
        workflows.start(
            ALICE,
            literal(
                then(
                    named(sql("SELECT 'parent' AS v"), "p"),
                    join(
                        then(
                            named(sql("SELECT 'branch' AS v"), "b"),
                            then(
                                signal("go", null),
                                named(sql("SELECT $p.v || '+' || $b.v AS seen"), "seen"))),
                        sql("SELECT 2 AS other")))));
    try (Engine first = engine("branch-first")) {
      awaitParked(id);
    }
    sendSignal(id, "go", "{}");

    try (Engine second = engine("branch-second")) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    }

    assertThat(workflows.result(id)).contains("\"seen\": \"parent+branch\"");
  }

  @Test
  void aWaitWithATimeoutCompletesAsTimedOutWithoutASignal() throws Exception {
    String id = workflows.start(ALICE, literal(signal("never", 1)));

    try (Engine engine = engine("timeout-engine")) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    }

    assertThat(workflows.result(id))
        .isEqualTo("{\"data\": null, \"timed_out\": true, \"signal_name\": \"never\"}");
  }

  @Test
  void cancellingAWaitingInstanceClosesIt() throws Exception {
    String id = workflows.start(ALICE, literal(signal("forever", null)));
    try (Engine engine = engine("cancel-waiting-engine")) {
      awaitParked(id);

      try (Connection alice = postgres.connectAs(ALICE);
          Statement statement = alice.createStatement()) {
        statement.execute("UPDATE df.instances SET status = 'cancelled' WHERE id = " + literal(id));
      }

      workflows.awaitClosed(id);
    }
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT status || ':' || (result #>> '{}') FROM df.nodes WHERE instance_id = ?",
                id))
        .startsWith("failed:cancelled");
  }
}
