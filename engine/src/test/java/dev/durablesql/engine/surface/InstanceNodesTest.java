package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** df.instance_nodes and its inferred status, and the legacy overload (R-MON-9, R-MON-10). */
class InstanceNodesTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final String NODES =
      "SELECT node_id, inferred_status, inferred_status_from_ancestor_id"
          + " FROM df.instance_nodes(?)";

  private final InstanceNodesStamps stamps = new InstanceNodesStamps(postgres.dataSource());
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
  void argumentNamesAreThoseOfTheReference() throws SQLException {
    List<String> arguments =
        Queries.column(
            alice,
            "SELECT pg_get_function_arguments(p.oid) FROM pg_proc p"
                + " WHERE p.oid IN ('df.instance_nodes(text)'::regprocedure,"
                + " 'df.instance_nodes(text, integer)'::regprocedure) ORDER BY p.pronargs");

    assertThat(arguments)
        .containsExactly(
            "instance_id_param text", "instance_id_param text, _last_n_executions integer");
  }

  @Test
  void returnsTheTwelveColumnsOfEveryNode() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "df.as(df.sql('SELECT 7 AS n'), 'seven')");
    String root = stamps.root(id);
    stamps.stamp(id, root, "completed", "{\"rows\":[{\"n\":7}],\"row_count\":1}", id + "::1");

    List<String> names =
        InstanceNodesStamps.columnNames(alice, "SELECT * FROM df.instance_nodes(?)", id);
    List<List<String>> rows = Queries.rows(alice, "SELECT * FROM df.instance_nodes(?)", id);

    assertThat(names)
        .containsExactly(
            "node_id",
            "node_type",
            "query",
            "result_name",
            "left_node",
            "right_node",
            "status",
            "result",
            "status_details",
            "inferred_status",
            "inferred_status_from_ancestor_id",
            "updated_at");
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).subList(0, 11))
        .containsExactly(
            root,
            "SQL",
            "SELECT 7 AS n",
            "seven",
            null,
            null,
            "completed",
            "{\"rows\": [{\"n\": 7}], \"row_count\": 1}",
            "{\"execution_id\": \"" + id + "::1\"}",
            "completed",
            null);
    assertThat(rows.get(0).get(11)).isNotNull();
  }

  @Test
  void cleanRunInfersTheStoredStatusEverywhere() throws SQLException {
    String id =
        InstanceNodesStamps.start(
            alice, "df.seq('SELECT 1', df.join('SELECT 2', df.seq('SELECT 3', 'SELECT 4')))");
    String root = stamps.root(id);
    String join = stamps.nodeOfType(id, "JOIN");
    String branch = stamps.right(id, join);
    stamps.stamp(id, root, "completed", "[1, 2]", id + "::1");
    stamps.stamp(id, stamps.node(id, "SELECT 1"), "completed", "1", id + "::1");
    stamps.stamp(id, join, "completed", "[1, 2]", id + "::1");
    String firstBranch = id + "::1::" + stamps.node(id, "SELECT 2") + "::1";
    stamps.stamp(id, stamps.node(id, "SELECT 2"), "completed", "1", firstBranch);
    String secondBranch = id + "::1::" + branch + "::1";
    stamps.stamp(id, branch, "completed", "2", secondBranch);
    stamps.stamp(id, stamps.node(id, "SELECT 3"), "completed", "3", secondBranch);
    stamps.stamp(id, stamps.node(id, "SELECT 4"), "completed", "4", secondBranch);

    List<List<String>> rows =
        Queries.rows(
            alice,
            "SELECT status, inferred_status, inferred_status_from_ancestor_id"
                + " FROM df.instance_nodes(?)",
            id);

    assertThat(rows)
        .hasSize(7)
        .allSatisfy(row -> assertThat(row).containsExactly("completed", "completed", null));
  }

  @Test
  void rightSideOfAFailedThenIsSkippedFromTheThen() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "df.seq('SELECT 1/0', 'SELECT 2')");
    String root = stamps.root(id);
    String failing = stamps.node(id, "SELECT 1/0");
    String never = stamps.node(id, "SELECT 2");
    stamps.stamp(id, failing, "failed", "\"SQL execution failed: division by zero\"", id + "::1");
    stamps.stamp(id, root, "failed", "\"SQL execution failed: division by zero\"", id + "::1");
    stamps.finish(id, "failed");

    Map<String, List<String>> nodes = inferred(id);

    assertThat(nodes)
        .containsEntry(root, pair("failed", null))
        .containsEntry(failing, pair("failed", null))
        .containsEntry(never, pair("skipped", root));
  }

  @Test
  void untakenIfArmIsSkippedFromTheIf() throws SQLException {
    String id =
        InstanceNodesStamps.start(
            alice, "df.if('SELECT true', 'SELECT ''then''', 'SELECT ''else''')");
    String root = stamps.root(id);
    String condition = stamps.condition(id, root);
    String taken = stamps.left(id, root);
    String untaken = stamps.right(id, root);
    stamps.stamp(
        id, condition, "completed", "{\"rows\":[{\"bool\":true}],\"row_count\":1}", id + "::1");
    stamps.stamp(id, taken, "completed", "1", id + "::1");
    stamps.stamp(id, root, "completed", "1", id + "::1");

    Map<String, List<String>> nodes = inferred(id);

    assertThat(nodes)
        .containsEntry(root, pair("completed", null))
        .containsEntry(condition, pair("completed", null))
        .containsEntry(taken, pair("completed", null))
        .containsEntry(untaken, pair("skipped", root));
  }

  @Test
  void raceLoserThatHadNotFinishedIsSkippedFromTheRace() throws SQLException {
    String id =
        InstanceNodesStamps.start(
            alice,
            "df.race(df.seq('SELECT ''a1''', 'SELECT ''a2'''),"
                + " df.seq('SELECT ''b1''', 'SELECT ''b2'''))");
    String race = stamps.root(id);
    String winner = stamps.left(id, race);
    String loser = stamps.right(id, race);
    String winnerScope = id + "::1::" + winner + "::1";
    String loserScope = id + "::1::" + loser + "::1";
    stamps.stamp(id, stamps.node(id, "SELECT 'a1'"), "completed", "1", winnerScope);
    stamps.stamp(id, stamps.node(id, "SELECT 'a2'"), "completed", "2", winnerScope);
    stamps.stamp(id, winner, "completed", "2", winnerScope);
    stamps.stamp(id, loser, "running", null, loserScope);
    stamps.stamp(id, stamps.node(id, "SELECT 'b1'"), "completed", "1", loserScope);
    stamps.stamp(id, stamps.node(id, "SELECT 'b2'"), "running", null, loserScope);
    stamps.stamp(id, race, "completed", "2", id + "::1");
    stamps.finish(id, "completed");

    Map<String, List<String>> nodes = inferred(id);

    assertThat(nodes)
        .containsEntry(race, pair("completed", null))
        .containsEntry(winner, pair("completed", null))
        .containsEntry(loser, pair("skipped", race))
        .containsEntry(stamps.node(id, "SELECT 'b1'"), pair("completed", null))
        .containsEntry(stamps.node(id, "SELECT 'b2'"), pair("skipped", race));
  }

  @Test
  void raceLoserNodesStampedCancelledAreStillSkipped() throws SQLException {
    String id =
        InstanceNodesStamps.start(
            alice, "df.race('SELECT ''fast''', df.seq('SELECT 1', 'SELECT 2'))");
    String race = stamps.root(id);
    String winner = stamps.left(id, race);
    String loser = stamps.right(id, race);
    String loserScope = id + "::1::" + loser + "::1";
    stamps.stamp(id, winner, "completed", "1", id + "::1::" + winner + "::1");
    stamps.stamp(id, loser, "failed", "\"cancelled: the branch lost the race\"", loserScope);
    stamps.stamp(
        id,
        stamps.node(id, "SELECT 1"),
        "failed",
        "\"cancelled: the branch lost the race\"",
        loserScope);
    stamps.stamp(id, race, "completed", "1", id + "::1");

    Map<String, List<String>> nodes = inferred(id);

    assertThat(nodes)
        .containsEntry(winner, pair("completed", null))
        .containsEntry(loser, pair("skipped", race))
        .containsEntry(stamps.node(id, "SELECT 1"), pair("skipped", race))
        .containsEntry(stamps.node(id, "SELECT 2"), pair("skipped", race));
  }

  @Test
  void losingLoopCancelledByItsParentIsSkippedOnceItsBodyMovedOn() throws SQLException {
    String id =
        InstanceNodesStamps.start(alice, "df.race('SELECT ''fast''', df.loop('SELECT ''tick'''))");
    String race = stamps.root(id);
    String winner = stamps.left(id, race);
    String loop = stamps.right(id, race);
    String loopScope = id + "::1::" + loop;
    stamps.stamp(id, winner, "completed", "1", id + "::1::" + winner + "::1");
    stamps.stamp(id, stamps.node(id, "SELECT 'tick'"), "completed", "1", loopScope + "::3");
    stamps.stamp(
        id, loop, "failed", "\"Loop branch cancelled after losing RACE\"", loopScope + "::1");
    stamps.stamp(id, race, "completed", "1", id + "::1");

    Map<String, List<String>> nodes = inferred(id);

    assertThat(nodes)
        .containsEntry(loop, pair("skipped", race))
        .containsEntry(stamps.node(id, "SELECT 'tick'"), pair("completed", null));
  }

  @Test
  void cancelledInstanceShowsItsInterruptedNodesAsFailed() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "df.seq('SELECT 1', 'SELECT 2')");
    String root = stamps.root(id);
    String first = stamps.node(id, "SELECT 1");
    stamps.stamp(id, root, "failed", "\"cancelled: Cancelled by user\"", id + "::1");
    stamps.stamp(id, first, "failed", "\"cancelled: Cancelled by user\"", id + "::1");
    InstanceNodesStamps.cancel(alice, id, "Cancelled by user");

    Map<String, List<String>> nodes = inferred(id);

    assertThat(nodes)
        .containsEntry(root, pair("failed", null))
        .containsEntry(first, pair("failed", null))
        .containsEntry(stamps.node(id, "SELECT 2"), pair("pending", null));
  }

  @Test
  void runningRootLoopShowsEarlierIterationsAsPendingFromTheLoop() throws SQLException {
    String id =
        InstanceNodesStamps.start(alice, "df.loop(df.if('SELECT c', 'SELECT t', 'SELECT e'))");
    String loop = stamps.root(id);
    String branch = stamps.left(id, loop);
    String condition = stamps.condition(id, branch);
    stamps.stamp(id, loop, "running", null, id + "::3");
    stamps.stamp(id, branch, "completed", "1", id + "::2");
    stamps.stamp(id, stamps.node(id, "SELECT t"), "completed", "1", id + "::2");
    stamps.stamp(id, stamps.node(id, "SELECT e"), "completed", "1", id + "::1");
    stamps.stamp(id, condition, "running", null, id + "::3");
    stamps.finish(id, "running");

    Map<String, List<String>> nodes = inferred(id);

    assertThat(nodes)
        .containsEntry(loop, pair("running", null))
        .containsEntry(branch, pair("pending", loop))
        .containsEntry(condition, pair("running", null))
        .containsEntry(stamps.node(id, "SELECT t"), pair("pending", loop))
        .containsEntry(stamps.node(id, "SELECT e"), pair("pending", loop));
  }

  @Test
  void supersededNodeIsPendingFromTheDeeperAncestorOnEqualGenerations() throws SQLException {
    String id =
        InstanceNodesStamps.start(alice, "df.loop(df.if('SELECT c', 'SELECT t', 'SELECT e'))");
    String loop = stamps.root(id);
    String branch = stamps.left(id, loop);
    stamps.stamp(id, loop, "running", null, id + "::2");
    stamps.stamp(id, branch, "running", null, id + "::2");
    stamps.stamp(id, stamps.condition(id, branch), "completed", "1", id + "::2");
    stamps.stamp(id, stamps.node(id, "SELECT t"), "completed", "1", id + "::1");

    Map<String, List<String>> nodes = inferred(id);

    assertThat(nodes)
        .containsEntry(branch, pair("running", null))
        .containsEntry(stamps.node(id, "SELECT t"), pair("pending", branch))
        .containsEntry(stamps.node(id, "SELECT e"), pair("pending", null));
  }

  @Test
  void completedLoopLeavesNothingRunningOrPendingButSkippedNodes() throws SQLException {
    String id =
        InstanceNodesStamps.start(
            alice, "df.loop(df.if('SELECT done', df.break('finished'), 'SELECT work'))");
    String loop = stamps.root(id);
    String branch = stamps.left(id, loop);
    String condition = stamps.condition(id, branch);
    String breaking = stamps.left(id, branch);
    String work = stamps.right(id, branch);
    stamps.stamp(id, work, "completed", "1", id + "::2");
    stamps.stamp(id, condition, "completed", "true", id + "::3");
    stamps.stamp(id, breaking, "completed", "\"finished\"", id + "::3");
    stamps.stamp(id, branch, "completed", "\"finished\"", id + "::3");
    stamps.stamp(id, loop, "completed", "\"finished\"", id + "::3");
    stamps.finish(id, "completed");

    Map<String, List<String>> nodes = inferred(id);

    assertThat(nodes)
        .containsEntry(loop, pair("completed", null))
        .containsEntry(branch, pair("completed", null))
        .containsEntry(condition, pair("completed", null))
        .containsEntry(breaking, pair("completed", null))
        .containsEntry(work, pair("skipped", branch));
  }

  @Test
  void nestedLoopScopeSupersedesItsOwnEarlierGenerations() throws SQLException {
    String id =
        InstanceNodesStamps.start(
            alice, "df.seq('SELECT first', df.loop(df.seq('SELECT body', 'SELECT check')))");
    String root = stamps.root(id);
    String loop = stamps.nodeOfType(id, "LOOP");
    String body = stamps.left(id, loop);
    String loopScope = id + "::1::" + loop;
    stamps.stamp(id, root, "running", null, id + "::1");
    stamps.stamp(id, stamps.node(id, "SELECT first"), "completed", "1", id + "::1");
    stamps.stamp(id, loop, "running", null, loopScope + "::2");
    stamps.stamp(id, body, "completed", "1", loopScope + "::1");
    stamps.stamp(id, stamps.node(id, "SELECT body"), "running", null, loopScope + "::2");
    stamps.stamp(id, stamps.node(id, "SELECT check"), "completed", "1", loopScope + "::1");

    Map<String, List<String>> nodes = inferred(id);

    assertThat(nodes)
        .containsEntry(root, pair("running", null))
        .containsEntry(stamps.node(id, "SELECT first"), pair("completed", null))
        .containsEntry(loop, pair("running", null))
        .containsEntry(body, pair("pending", loop))
        .containsEntry(stamps.node(id, "SELECT body"), pair("running", null))
        .containsEntry(stamps.node(id, "SELECT check"), pair("pending", loop));
  }

  @Test
  void childScopeOfAnEarlierRootGenerationIsSuperseded() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "df.loop(df.join('SELECT a', 'SELECT b'))");
    String loop = stamps.root(id);
    String join = stamps.left(id, loop);
    String a = stamps.node(id, "SELECT a");
    String b = stamps.node(id, "SELECT b");
    stamps.stamp(id, loop, "running", null, id + "::2");
    stamps.stamp(id, join, "running", null, id + "::2");
    stamps.stamp(id, a, "completed", "1", id + "::1::" + a + "::1");
    stamps.stamp(id, b, "completed", "1", id + "::2::" + b + "::1");

    Map<String, List<String>> nodes = inferred(id);

    assertThat(nodes)
        .containsEntry(join, pair("running", null))
        .containsEntry(a, pair("pending", join))
        .containsEntry(b, pair("completed", null));
  }

  @Test
  void extraJoinBranchesAndLoopConditionsAreWalked() throws SQLException {
    String joined =
        InstanceNodesStamps.start(alice, "df.join3('SELECT 1', 'SELECT 2', 'SELECT 3')");
    String join = stamps.root(joined);
    stamps.stamp(joined, join, "failed", "\"JOIN branch 1 failed: boom\"", joined + "::1");
    String looped = InstanceNodesStamps.start(alice, "df.loop('SELECT body', 'SELECT cond')");
    String loop = stamps.root(looped);
    stamps.stamp(looped, loop, "failed", "\"boom\"", looped + "::1");

    Map<String, List<String>> joinNodes = inferred(joined);
    Map<String, List<String>> loopNodes = inferred(looped);

    assertThat(joinNodes.get(stamps.node(joined, "SELECT 3"))).isEqualTo(pair("skipped", join));
    assertThat(loopNodes.get(stamps.node(looped, "SELECT cond"))).isEqualTo(pair("skipped", loop));
  }

  @Test
  void nodesOutsideTheGraphKeepTheirStoredStatus() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "df.seq('SELECT 1', 'SELECT 2')");
    String root = stamps.root(id);
    Queries.execute(
        postgres.dataSource(),
        "INSERT INTO df.nodes (id, instance_id, node_type, query, status, result, submitted_by)"
            + " VALUES ('0000dead', ?, 'SQL', 'SELECT 3', 'completed', '1', 'alice'),"
            + " ('0000beef', ?, 'SQL', 'SELECT 4', 'pending', NULL, 'alice')",
        id,
        id);
    stamps.stamp(id, root, "failed", "\"boom\"", id + "::1");

    Map<String, List<String>> nodes = inferred(id);
    List<String> order = Queries.column(alice, "SELECT node_id FROM df.instance_nodes(?)", id);

    assertThat(nodes)
        .containsEntry("0000dead", pair("completed", null))
        .containsEntry("0000beef", pair("pending", null))
        .containsEntry(stamps.node(id, "SELECT 2"), pair("skipped", root));
    assertThat(order).startsWith(root).endsWith("0000beef", "0000dead");
  }

  @Test
  void aCycleInHandWrittenNodesDoesNotLoop() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "df.seq('SELECT 1', 'SELECT 2')");
    String root = stamps.root(id);
    Queries.execute(
        postgres.dataSource(),
        "UPDATE df.nodes SET right_node = ? WHERE instance_id = ? AND id = ?",
        root,
        id,
        root);

    Map<String, List<String>> nodes = inferred(id);

    assertThat(nodes).hasSize(3).containsEntry(stamps.node(id, "SELECT 2"), pair("pending", null));
  }

  @Test
  void walksAChainFiveThousandNodesDeepWithoutRecursion() throws SQLException {
    String id = deepChain(5000);
    String root = stamps.root(id);
    stamps.stamp(id, root, "failed", "\"boom\"", id + "::1");

    List<List<String>> rows =
        Queries.rows(
            alice,
            "SELECT inferred_status, inferred_status_from_ancestor_id, count(*)"
                + " FROM df.instance_nodes(?) GROUP BY 1, 2 ORDER BY 1",
            id);

    assertThat(rows)
        .containsExactly(Arrays.asList("failed", null, "1"), List.of("skipped", root, "10000"));
  }

  @Test
  void unknownAndOtherUsersInstancesHaveNoNodes() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "'SELECT 1'");
    List<List<String>> bobsRows;
    List<List<String>> bobsLegacyRows;

    try (Connection bob = postgres.connectAs(PostgresExtension.BOB)) {
      bobsRows = Queries.rows(bob, "SELECT * FROM df.instance_nodes(?)", id);
      bobsLegacyRows = Queries.rows(bob, "SELECT * FROM df.instance_nodes(?, 1)", id);
    }
    List<List<String>> unknown = Queries.rows(alice, "SELECT * FROM df.instance_nodes('0badc0de')");
    List<List<String>> ofNull = Queries.rows(alice, "SELECT * FROM df.instance_nodes(NULL)");
    List<List<String>> superusers =
        Queries.rows(postgres.dataSource(), "SELECT * FROM df.instance_nodes(?)", id);

    assertThat(bobsRows).isEmpty();
    assertThat(bobsLegacyRows).isEmpty();
    assertThat(unknown).isEmpty();
    assertThat(ofNull).isEmpty();
    assertThat(superusers).hasSize(1);
  }

  @Test
  void legacyOverloadHasTenColumnsExecutionOneAndNoInference() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "df.seq('SELECT 1/0', 'SELECT 2')");
    String root = stamps.root(id);
    stamps.stamp(id, root, "failed", "\"boom\"", id + "::1");

    List<String> names =
        InstanceNodesStamps.columnNames(alice, "SELECT * FROM df.instance_nodes(?, 42)", id);
    List<List<String>> rows =
        Queries.rows(
            alice,
            "SELECT execution_id, node_id, status, result FROM df.instance_nodes(?, 42)",
            id);

    assertThat(names)
        .containsExactly(
            "execution_id",
            "node_id",
            "node_type",
            "query",
            "result_name",
            "left_node",
            "right_node",
            "status",
            "result",
            "updated_at");
    assertThat(rows)
        .extracting(row -> row.get(0), row -> row.get(1), row -> row.get(2), row -> row.get(3))
        .containsExactlyInAnyOrder(
            tuple("1", root, "failed", "\"boom\""),
            tuple("1", stamps.node(id, "SELECT 1/0"), "pending", null),
            tuple("1", stamps.node(id, "SELECT 2"), "pending", null));
  }

  /** A right-deep chain of THEN nodes with the given number of steps, written as the superuser. */
  private String deepChain(int steps) throws SQLException {
    String id = "0000c0de";
    try (Connection connection = postgres.dataSource().getConnection()) {
      connection.setAutoCommit(false);
      Queries.execute(
          connection,
          "INSERT INTO df.instances (id, root_node, submitted_by) VALUES (?, 'a0000001', 'alice')",
          id);
      Queries.execute(
          connection,
          "INSERT INTO df.nodes (id, instance_id, node_type, left_node, right_node, submitted_by)"
              + " SELECT 'a' || lpad(g::text, 7, '0'), ?, 'THEN', 'b' || lpad(g::text, 7, '0'),"
              + " CASE WHEN g < ? THEN 'a' || lpad((g + 1)::text, 7, '0')"
              + " ELSE 'b' || lpad((g + 1)::text, 7, '0') END, 'alice'"
              + " FROM generate_series(1, ?) g",
          id,
          steps,
          steps);
      Queries.execute(
          connection,
          "INSERT INTO df.nodes (id, instance_id, node_type, query, submitted_by)"
              + " SELECT 'b' || lpad(g::text, 7, '0'), ?, 'SQL', 'SELECT ' || g, 'alice'"
              + " FROM generate_series(1, ? + 1) g",
          id,
          steps);
      connection.commit();
    }
    return id;
  }

  /** Node id → [inferred_status, inferred_status_from_ancestor_id], as alice sees them. */
  private Map<String, List<String>> inferred(String instanceId) throws SQLException {
    return Queries.rows(alice, NODES, instanceId).stream()
        .collect(Collectors.toMap(row -> row.get(0), row -> pair(row.get(1), row.get(2))));
  }

  private static List<String> pair(String status, String ancestor) {
    return Arrays.asList(status, ancestor);
  }
}
