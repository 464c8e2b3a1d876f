package dev.durablesql.engine.surface;

import static dev.durablesql.engine.surface.ExplainGraphs.http;
import static dev.durablesql.engine.surface.ExplainGraphs.ifThenElse;
import static dev.durablesql.engine.surface.ExplainGraphs.join;
import static dev.durablesql.engine.surface.ExplainGraphs.loopWhile;
import static dev.durablesql.engine.surface.ExplainGraphs.named;
import static dev.durablesql.engine.surface.ExplainGraphs.race;
import static dev.durablesql.engine.surface.ExplainGraphs.sleep;
import static dev.durablesql.engine.surface.ExplainGraphs.sql;
import static dev.durablesql.engine.surface.ExplainGraphs.then;
import static dev.durablesql.engine.surface.ExplainTexts.expected;
import static dev.durablesql.engine.surface.ExplainTexts.explain;
import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * df.explain in live mode (SPEC.md §12.1, R-EXPL-2): instances started by alice whose node states
 * the superuser sets as an engine would, drawn with the inferred status of every node (R-MON-9).
 */
class ExplainLiveTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final String SPEC_EXAMPLE =
      then(
          named(sql("SELECT 1"), "a"),
          ifThenElse(sql("SELECT $a > 0"), sql("SELECT 1"), sql("SELECT 2")));
  private static final String ROWS = "{\"rows\":[{\"n\":1}],\"row_count\":1}";

  private Connection alice;

  @BeforeEach
  void connect() throws SQLException {
    alice = postgres.connectAs(PostgresExtension.ALICE);
  }

  @AfterEach
  void disconnect() throws SQLException {
    alice.close();
  }

  @Test
  void aNewInstanceIsPendingWithEveryNodePending() throws SQLException {
    String id = start(SPEC_EXAMPLE, "nightly");

    String drawing = explain(alice, id);

    assertThat(drawing).isEqualTo(expected("live-pending", id));
  }

  @Test
  void aCleanRunShowsCompletedEverywhereAndTheRootResultAsOutput() throws SQLException {
    String graph =
        then(
            named(sql("SELECT 1 AS n"), "first"),
            then(
                join(sql("SELECT 2"), sleep(1), http("https://example.com/hook", "POST")),
                race(
                    loopWhile(sql("SELECT 3"), sql("SELECT false")),
                    then(sql("SELECT 4"), sql("SELECT 5")))));
    String id = start(graph, null);
    setNodes(id, "completed", ROWS, "1 = 1");
    setInstance(id, "completed");

    String drawing = explain(alice, id);

    assertThat(drawing).isEqualTo(expected("live-completed", id));
  }

  @Test
  void theUntakenArmOfACompletedIfIsSkipped() throws SQLException {
    String id = start(SPEC_EXAMPLE, "nightly");
    setNodes(id, "completed", ROWS, "query IS DISTINCT FROM 'SELECT 2'");
    setInstance(id, "completed");

    String drawing = explain(alice, id);

    assertThat(drawing).isEqualTo(expected("live-if-skipped", id));
  }

  @Test
  void aFailedStepFailsItsAncestorsSkipsWhatFollowsAndShowsTheErrorTruncated() throws SQLException {
    String graph = then(sql("SELECT 1"), then(sql("SELECT 1 / 0"), sql("SELECT 3")));
    String id = start(graph, "division");
    setNodes(id, "completed", ROWS, "query = 'SELECT 1'");
    setNodes(
        id,
        "failed",
        "\"SQL execution failed: ERROR: division by zero (SQLSTATE 22012) in step SELECT 1 / 0\"",
        "query = 'SELECT 1 / 0' OR node_type = 'THEN'");
    setInstance(id, "failed");

    String drawing = explain(alice, id);

    assertThat(drawing).isEqualTo(expected("live-failed", id));
  }

  @Test
  void aRunningInstanceShowsItsRunningAndPendingNodes() throws SQLException {
    String graph = then(then(sql("SELECT 1"), sql("SELECT pg_sleep(60)")), sql("SELECT 3"));
    String id = start(graph, null);
    setNodes(id, "completed", ROWS, "query = 'SELECT 1'");
    setNodes(id, "running", null, "query = 'SELECT pg_sleep(60)' OR node_type = 'THEN'");
    setInstance(id, "running");

    String drawing = explain(alice, id);

    assertThat(drawing).isEqualTo(expected("live-running", id));
  }

  @Test
  void aCancelledInstanceHasACrossInItsStatusLine() throws SQLException {
    String id = start(sql("SELECT pg_sleep(60)"), null);
    setInstance(id, "cancelled");

    String statusLine = explain(alice, id).lines().toList().get(1);

    assertThat(statusLine).isEqualTo("Status:   ✗ Cancelled");
  }

  @Test
  void outputsLongerThan60CharactersAreCutTo57AndAnEllipsis() throws SQLException {
    String sixty = "\"" + "x".repeat(58) + "\"";
    String sixtyOne = "\"" + "y".repeat(59) + "\"";
    String shortId = start(sql("SELECT 1"), null);
    String longId = start(sql("SELECT 1"), null);
    setNodes(shortId, "completed", sixty, "1 = 1");
    setNodes(longId, "completed", sixtyOne, "1 = 1");
    setInstance(shortId, "completed");
    setInstance(longId, "completed");

    String shortOutput = explain(alice, shortId).lines().toList().get(2);
    String longOutput = explain(alice, longId).lines().toList().get(2);

    assertThat(shortOutput).isEqualTo("Output:   " + sixty);
    assertThat(longOutput).isEqualTo("Output:   \"" + "y".repeat(56) + "...");
  }

  @Test
  void anotherRolesInstanceIsNotFoundButASuperuserSeesIt() throws SQLException {
    String id = start(sql("SELECT 1"), "mine");

    String forBob;
    try (Connection bob = postgres.connectAs(PostgresExtension.BOB)) {
      forBob = explain(bob, id);
    }
    String forSuperuser;
    try (Connection superuser = postgres.dataSource().getConnection()) {
      forSuperuser = explain(superuser, id);
    }

    assertThat(forBob).isEqualTo("Instance '" + id + "' not found");
    assertThat(forSuperuser).isEqualTo(expected("live-other-role", id));
  }

  @Test
  void anIdInUpperCaseIsNotFound() throws SQLException {
    String id = start(sql("SELECT 1"), null);

    String drawing = explain(alice, id.toUpperCase(Locale.ROOT));

    assertThat(drawing).isEqualTo("Instance '" + id.toUpperCase(Locale.ROOT) + "' not found");
  }

  private String start(String durofut, String label) throws SQLException {
    return Queries.text(alice, "SELECT df.start(?, ?)", durofut, label);
  }

  /** Stamps the matching nodes as the engine would, in the root scope's first generation. */
  private static void setNodes(String id, String status, String result, String condition)
      throws SQLException {
    Queries.execute(
        postgres.dataSource(),
        "UPDATE df.nodes SET status = ?, result = ?::jsonb,"
            + " status_details = jsonb_build_object('execution_id', instance_id || '::1')"
            + " WHERE instance_id = ? AND ("
            + condition
            + ")",
        status,
        result,
        id);
  }

  private static void setInstance(String id, String status) throws SQLException {
    Queries.execute(
        postgres.dataSource(), "UPDATE df.instances SET status = ? WHERE id = ?", status, id);
  }
}
