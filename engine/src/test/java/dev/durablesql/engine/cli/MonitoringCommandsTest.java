package dev.durablesql.engine.cli;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.PostgresExtension.BOB;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.durablesql.engine.Engine;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The monitoring commands end to end: the real CLI, as alice or bob, against a running engine. */
class MonitoringCommandsTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Workflows workflows;
  private static Engine engine;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeAll
  static void startEngine() {
    workflows = new Workflows(postgres);
    engine = Engine.start(postgres.engineConfig("monitoring-engine"));
  }

  @AfterAll
  static void stopEngine() {
    engine.close();
  }

  /** Runs {@code durable COMMAND --url ... --user ROLE ARGS...}; returns the exit code. */
  private int durable(String command, String role, String... args) {
    List<String> all = new ArrayList<>(List.of(command, "--url", postgres.jdbcUrl()));
    all.add("--user");
    all.add(role);
    all.addAll(List.of(args));
    return DurableCli.run(
        new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(String[]::new));
  }

  private JsonNode outJson() throws Exception {
    return JSON.readTree(out.toString());
  }

  private String completed(String role, String futureSql) throws Exception {
    String id = workflows.start(role, futureSql);
    assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    return id;
  }

  @Test
  void listShowsTheRolesOwnInstancesNewestFirst() throws Exception {
    String older = completed(ALICE, "'SELECT 1 AS one', 'list-older'");
    String newer = completed(ALICE, "'SELECT 2 AS two', 'list-newer'");

    int exit = durable("list", ALICE);

    assertThat(exit).isZero();
    assertThat(out.toString())
        .contains(" id ")
        .contains("list-newer")
        .containsPattern(newer + " +\\| completed \\| list-newer")
        .contains("{\"rows\": [{\"two\": 2}], \"row_count\": 1}");
    assertThat(out.toString().indexOf(newer)).isLessThan(out.toString().indexOf(older));
  }

  @Test
  void listPagesWithAKeysetCursorAndFiltersAsJson() throws Exception {
    String first = completed(ALICE, "'SELECT 1', 'paged'");
    String second = completed(ALICE, "'SELECT 2', 'paged'");

    int exit = durable("list", ALICE, "--label", "paged", "--limit", "1", "--json");

    assertThat(exit).isZero();
    JsonNode page = outJson();
    assertThat(page.get("instances")).hasSize(1);
    assertThat(page.get("instances").get(0).get("instance_id").asText()).isEqualTo(second);
    assertThat(page.get("instances").get(0).get("status").asText()).isEqualTo("completed");
    String cursor = page.get("next_cursor").asText();

    out.getBuffer().setLength(0);
    exit = durable("list", ALICE, "--label", "paged", "--limit", "1", "--after", cursor, "--json");

    assertThat(exit).isZero();
    JsonNode next = outJson();
    assertThat(next.get("instances").get(0).get("instance_id").asText()).isEqualTo(first);
    assertThat(next.get("next_cursor").isNull()).isTrue();
  }

  @Test
  void listFiltersByStatusAndRefusesAnUnknownOne() throws Exception {
    String failed = workflows.start(ALICE, "'SELECT 1/0', 'list-failed'");
    assertThat(workflows.awaitTerminal(failed)).isEqualTo("failed");

    int exit = durable("list", ALICE, "--status", "failed", "--json");

    assertThat(exit).isZero();
    assertThat(outJson().get("instances").findValuesAsText("status")).containsOnly("failed");
    assertThat(outJson().get("instances").findValuesAsText("instance_id")).contains(failed);

    exit = durable("list", ALICE, "--status", "done");

    assertThat(exit).isEqualTo(1);
    assertThat(err.toString())
        .startsWith("durable: --status done is not a status: use one of pending, running");
  }

  @Test
  void listAsAnotherRoleDoesNotShowTheInstances() throws Exception {
    String alices = completed(ALICE, "'SELECT 1', 'alices-own'");

    int exit = durable("list", BOB, "--json");

    assertThat(exit).isZero();
    assertThat(outJson().get("instances").findValuesAsText("instance_id")).doesNotContain(alices);
  }

  @Test
  void showPrintsTheTreeWithStatusesAndTheRow() throws Exception {
    String id = completed(ALICE, "df.seq('SELECT 1 AS a', 'SELECT 2 AS b'), 'shown'");

    int exit = durable("show", ALICE, id);

    assertThat(exit).isZero();
    assertThat(out.toString())
        .contains("Instance: " + id + " (shown)")
        .contains("✓ Completed")
        .contains("SQL: SELECT 1 AS a ✓")
        .contains("→ SQL: SELECT 2 AS b ✓")
        .containsPattern("submitted by +alice")
        .containsPattern("executions +1");
  }

  @Test
  void showAsJsonHasTheRowTheExplainTextAndEveryNode() throws Exception {
    String id = completed(ALICE, "df.seq('SELECT 1 AS a', 'SELECT 2 AS b')");

    int exit = durable("show", ALICE, id, "--json");

    assertThat(exit).isZero();
    JsonNode shown = outJson();
    assertThat(shown.at("/instance/instance_id").asText()).isEqualTo(id);
    assertThat(shown.at("/instance/status").asText()).isEqualTo("completed");
    assertThat(shown.at("/instance/submitted_by").asText()).isEqualTo(ALICE);
    assertThat(shown.get("explain").asText()).contains("SQL: SELECT 1 AS a ✓");
    assertThat(shown.get("nodes").findValuesAsText("node_type"))
        .containsExactly("THEN", "SQL", "SQL");
    assertThat(shown.get("nodes").get(2).at("/result/rows/0/b").asInt()).isEqualTo(2);
    assertThat(shown.get("nodes").findValuesAsText("inferred_status")).containsOnly("completed");
  }

  @Test
  void anotherRoleCannotSeeTheInstance() throws Exception {
    String id = completed(ALICE, "'SELECT 1'");

    for (String command : List.of("show", "await", "logs", "cancel")) {
      err.getBuffer().setLength(0);

      int exit = durable(command, BOB, id);

      assertThat(exit).as(command).isEqualTo(1);
      assertThat(err.toString())
          .as(command)
          .isEqualTo("durable: instance " + id + " not found (or not visible to role bob)\n");
    }
    err.getBuffer().setLength(0);

    int exit = durable("signal", BOB, id, "go");

    assertThat(exit).isEqualTo(1);
    assertThat(err.toString()).contains("not found (or not visible to role bob)");
    assertThat(workflows.status(id)).isEqualTo("completed");
  }

  @Test
  void theInstanceLogViewShowsEachRoleOnlyItsOwnInstances() throws Exception {
    String id = workflows.start(ALICE, "df.wait_for_signal('go')");
    durable("signal", ALICE, id, "go");
    assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");

    assertThat(logCount(ALICE, id)).isGreaterThanOrEqualTo(3);
    assertThat(logCount(BOB, id)).isZero();
  }

  private static long logCount(String role, String id) throws Exception {
    try (Connection connection = postgres.connectAs(role);
        PreparedStatement statement =
            connection.prepareStatement(
                "SELECT count(*) FROM df_engine.instance_log WHERE instance_id = ?")) {
      statement.setString(1, id);
      try (ResultSet row = statement.executeQuery()) {
        row.next();
        return row.getLong(1);
      }
    }
  }

  @Test
  void aBadIdIsOneLineWithoutConnecting() {
    int exit =
        DurableCli.run(new PrintWriter(out, true), new PrintWriter(err, true), "show", "not-an-id");

    assertThat(exit).isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo(
            "durable: 'not-an-id' is not an instance id: an id is the 8 hexadecimal digits that"
                + " df.start returns, such as 3f9a0c17\n");
  }

  @Test
  void awaitExitsWithZeroAndPrintsTheOutputWhenCompleted() throws Exception {
    String id = workflows.start(ALICE, "'SELECT pg_sleep(0.5) AS slept, 42 AS answer'");

    int exit = durable("await", ALICE, id, "--progress", "lines");

    assertThat(exit).isEqualTo(AwaitCommand.COMPLETED);
    assertThat(out.toString()).startsWith(id + " completed: ").contains("\"answer\": 42");
  }

  @Test
  void awaitPrintsALineWhenTheProgressChanges() throws Exception {
    String id =
        workflows.start(
            ALICE,
            "df.seq(" + literal("SELECT pg_sleep(1) AS first") + ", 'SELECT pg_sleep(1) AS two')");

    int exit = durable("await", ALICE, id, "--progress", "lines");

    assertThat(exit).isZero();
    assertThat(err.toString())
        .contains(id + " running, 0/2 nodes done: SQL: SELECT pg_sleep(1) AS first")
        .contains(id + " running, 1/2 nodes done: SQL: SELECT pg_sleep(1) AS two")
        .doesNotContain("\r");
    assertThat(err.toString().lines().distinct().count()).isEqualTo(err.toString().lines().count());
  }

  @Test
  void awaitOnATerminalRewritesOneLine() throws Exception {
    String id = workflows.start(ALICE, "'SELECT pg_sleep(1) AS nap'");

    int exit = durable("await", ALICE, id, "--progress", "tty");

    assertThat(exit).isZero();
    assertThat(err.toString())
        .startsWith("\r" + id + " ")
        .containsPattern(
            "running, 0/1 nodes done: SQL: SELECT pg_sleep\\(1\\) AS nap \\[\\ds\\]\u001b\\[K")
        .endsWith("\r\u001b[K")
        .doesNotContain("\n");
  }

  @Test
  void awaitExitsWithOneWhenTheInstanceFailed() throws Exception {
    String id = workflows.start(ALICE, "'SELECT 1/0'");

    int exit = durable("await", ALICE, id, "--json");

    assertThat(exit).isEqualTo(AwaitCommand.FAILED);
    JsonNode result = outJson();
    assertThat(result.get("status").asText()).isEqualTo("failed");
    assertThat(result.get("output").asText()).contains("division by zero");
    assertThat(result.get("timed_out").asBoolean()).isFalse();
  }

  @Test
  void awaitExitsWithThreeWhenTheTimeoutRunsOut() throws Exception {
    String id = workflows.start(ALICE, "df.wait_for_signal('never')");

    int exit = durable("await", ALICE, id, "--timeout", "1s", "--progress", "none");

    assertThat(exit).isEqualTo(AwaitCommand.TIMED_OUT);
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString())
        .contains("durable: instance " + id + " is still running after 1s")
        .contains("stopped waiting");
    durable("cancel", ALICE, id);
  }

  @Test
  void aBadTimeoutIsRefused() throws Exception {
    String id = completed(ALICE, "'SELECT 1'");

    int exit = durable("await", ALICE, id, "--timeout", "soon");

    assertThat(exit).isEqualTo(1);
    assertThat(err.toString()).startsWith("durable: --timeout soon is not a duration");
  }

  @Test
  void cancelStopsTheInstanceAndAwaitExitsWithTwo() throws Exception {
    String id = workflows.start(ALICE, "df.wait_for_signal('never')");

    int exit = durable("cancel", ALICE, id, "--reason", "not needed any more");

    assertThat(exit).isZero();
    assertThat(out.toString()).isEqualTo("instance " + id + " cancelled: not needed any more\n");
    out.getBuffer().setLength(0);

    exit = durable("await", ALICE, id);

    assertThat(exit).isEqualTo(AwaitCommand.CANCELLED);
    assertThat(out.toString()).isEqualTo(id + " cancelled: not needed any more\n");
    out.getBuffer().setLength(0);

    exit = durable("cancel", ALICE, id, "--json");

    assertThat(exit).isZero();
    assertThat(outJson().get("cancelled").asBoolean()).isFalse();
    assertThat(outJson().get("status").asText()).isEqualTo("cancelled");
  }

  @Test
  void signalDeliversItsJsonPayloadToTheWaitingInstance() throws Exception {
    String id = workflows.start(ALICE, "df.wait_for_signal('approve')");

    int exit = durable("signal", ALICE, id, "approve", "{\"by\": \"carol\"}");

    assertThat(exit).isZero();
    assertThat(out.toString()).isEqualTo("signal 'approve' sent to instance " + id + "\n");
    assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    assertThat(workflows.result(id)).contains("\"data\": {\"by\": \"carol\"}");
  }

  @Test
  void signalRefusesAPayloadThatIsNotJson() throws Exception {
    String id = workflows.start(ALICE, "df.wait_for_signal('approve')");

    int exit = durable("signal", ALICE, id, "approve", "{by: carol}");

    assertThat(exit).isEqualTo(1);
    assertThat(err.toString()).startsWith("durable: the payload is not valid JSON");
    assertThat(err.toString().lines()).hasSize(1);
    durable("cancel", ALICE, id);
  }

  @Test
  void signalToAFinishedInstanceSaysItWasDropped() throws Exception {
    String id = completed(ALICE, "'SELECT 1'");

    int exit = durable("signal", ALICE, id, "late", "--json");

    assertThat(exit).isZero();
    assertThat(outJson().get("accepted").asBoolean()).isFalse();
    assertThat(outJson().get("instance_status").asText()).isEqualTo("completed");
  }

  @Test
  void logsListTheStartEachNodeSignalsAndTheEndInTimeOrder() throws Exception {
    String id = workflows.start(ALICE, "df.seq(df.wait_for_signal('go'), 'SELECT 1/0'), 'logged'");
    durable("signal", ALICE, id, "go", "7");
    assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    out.getBuffer().setLength(0);

    int exit = durable("logs", ALICE, id);

    assertThat(exit).isZero();
    String log = out.toString();
    assertThat(log)
        .contains("instance started by alice with label 'logged'")
        .contains("signal 'go' sent: 7")
        .contains("signal 'go' received")
        .containsPattern("node [0-9a-f]{8} completed  SIGNAL 'go' -> ")
        .containsPattern("node [0-9a-f]{8} failed  SQL: SELECT 1/0: .*division by zero")
        .contains("instance failed (engine monitoring-engine)");
    assertThat(log.indexOf("instance started")).isLessThan(log.indexOf("signal 'go' sent"));
    assertThat(log.indexOf("signal 'go' sent")).isLessThan(log.indexOf("SQL: SELECT 1/0"));
    assertThat(log.indexOf("SQL: SELECT 1/0")).isLessThan(log.indexOf("instance failed"));
  }

  @Test
  void logsAsJsonIsOneDocument() throws Exception {
    String id = completed(ALICE, "'SELECT 5 AS five'");

    int exit = durable("logs", ALICE, id, "--json");

    assertThat(exit).isZero();
    JsonNode log = outJson();
    assertThat(log.get("status").asText()).isEqualTo("completed");
    assertThat(log.get("entries").findValuesAsText("kind"))
        .containsExactly("instance_started", "node_completed", "instance_completed");
    assertThat(log.get("entries").get(1).at("/result/rows/0/five").asInt()).isEqualTo(5);
  }

  @Test
  void logsFollowPrintsJsonLinesUntilTheInstanceEnds() throws Exception {
    String id =
        workflows.start(
            ALICE, "df.seq(" + literal("SELECT pg_sleep(0.5) AS one") + ", 'SELECT 2 AS two')");

    int exit = durable("logs", ALICE, id, "--follow", "--json");

    assertThat(exit).isZero();
    List<JsonNode> lines = new ArrayList<>();
    for (String line : out.toString().lines().toList()) {
      lines.add(JSON.readTree(line));
    }
    assertThat(lines).extracting(line -> line.get("instance_id").asText()).containsOnly(id);
    assertThat(lines.getFirst().get("kind").asText()).isEqualTo("instance_started");
    assertThat(lines.getLast().get("kind").asText()).isEqualTo("instance_completed");
    assertThat(lines).extracting(line -> line.get("kind").asText()).contains("node_completed");
  }
}
