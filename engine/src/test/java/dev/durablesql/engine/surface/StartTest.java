package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** df.start in caller mode: validation, the rows it writes and their transaction (SPEC.md §5). */
class StartTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static String groupRole;
  private static String loginRole;

  private Connection alice;

  @BeforeAll
  static void createGroupRole() throws SQLException {
    groupRole = postgres.databaseName() + "_group";
    Queries.execute(postgres.dataSource(), "CREATE ROLE " + groupRole + " NOLOGIN");
    Queries.execute(postgres.dataSource(), "SELECT df.grant_usage(?)", groupRole);
    Queries.execute(postgres.dataSource(), "GRANT " + groupRole + " TO " + PostgresExtension.ALICE);
    loginRole = postgres.databaseName() + "_carol";
    Queries.execute(postgres.dataSource(), "CREATE ROLE " + loginRole + " LOGIN");
    Queries.execute(postgres.dataSource(), "SELECT df.grant_usage(?)", loginRole);
    Queries.execute(postgres.dataSource(), "GRANT " + loginRole + " TO " + PostgresExtension.ALICE);
  }

  @AfterAll
  static void dropGroupRole() throws SQLException {
    for (String role : List.of(groupRole, loginRole)) {
      Queries.execute(postgres.dataSource(), "DROP OWNED BY " + role);
      Queries.execute(postgres.dataSource(), "DROP ROLE " + role);
    }
  }

  @BeforeEach
  void connect() throws SQLException {
    alice = postgres.connectAs(PostgresExtension.ALICE);
  }

  @AfterEach
  void disconnect() throws SQLException {
    alice.close();
  }

  @Test
  void returnsAnEightHexDigitId() throws SQLException {
    String id = Queries.text(alice, "SELECT df.start('SELECT 1')");

    assertThat(id).matches("^[0-9a-f]{8}$");
  }

  @Test
  void writesAPendingInstanceOwnedByTheCurrentRole() throws SQLException {
    String id = Queries.text(alice, "SELECT df.start('SELECT 1', 'nightly')");

    List<String> instance =
        Queries.rows(
                postgres.dataSource(),
                "SELECT label, submitted_by::text, status, database, completed_at"
                    + " FROM df.instances WHERE id = ?",
                id)
            .get(0);
    assertThat(instance).containsExactly("nightly", "alice", "pending", null, null);
  }

  @Test
  void labelMayBeNullAndIsNotUnique() throws SQLException {
    String first = Queries.text(alice, "SELECT df.start('SELECT 1', 'same')");
    String second = Queries.text(alice, "SELECT df.start('SELECT 1', 'same')");
    String unlabelled = Queries.text(alice, "SELECT df.start('SELECT 1')");

    assertThat(first).isNotEqualTo(second);
    assertThat(
            Queries.column(
                postgres.dataSource(),
                "SELECT coalesce(label, '<null>') FROM df.instances WHERE id IN (?, ?, ?)"
                    + " ORDER BY label NULLS LAST",
                first,
                second,
                unlabelled))
        .containsExactly("same", "same", "<null>");
  }

  @Test
  void givenDatabaseIsCopiedToTheInstanceAndEveryNode() throws SQLException {
    String database = postgres.databaseName();

    String id =
        Queries.text(
            alice, "SELECT df.start('SELECT 1' OPERATOR(df.~>) 'SELECT 2', NULL, ?)", database);

    assertThat(
            Queries.text(
                postgres.dataSource(), "SELECT database FROM df.instances WHERE id = ?", id))
        .isEqualTo(database);
    assertThat(
            Queries.column(
                postgres.dataSource(), "SELECT database FROM df.nodes WHERE instance_id = ?", id))
        .hasSize(3)
        .containsOnly(database);
  }

  @Test
  void nodesAreOwnedByTheSubmitterAndPending() throws SQLException {
    String id = Queries.text(alice, "SELECT df.start('SELECT 1' OPERATOR(df.~>) 'SELECT 2')");

    assertThat(
            Queries.rows(
                postgres.dataSource(),
                "SELECT submitted_by::text, status, result, error, status_details"
                    + " FROM df.nodes WHERE instance_id = ?",
                id))
        .hasSize(3)
        .containsOnly(Arrays.asList("alice", "pending", null, null, null));
  }

  @Test
  void leftAndRightPointAtTheChildrenOfEachNode() throws SQLException {
    String id =
        Queries.text(
            alice,
            "SELECT df.start(df.sql('SELECT 1')"
                + " OPERATOR(df.~>) ('SELECT 2' OPERATOR(df.~>) 'SELECT 3'))");

    List<String> tree =
        Queries.column(
            postgres.dataSource(),
            """
            WITH RECURSIVE tree(path, id) AS (
                SELECT 'root', root_node FROM df.instances WHERE id = ?
              UNION ALL
                SELECT t.path || s.side, s.child
                  FROM tree t
                  JOIN df.nodes n ON n.instance_id = ? AND n.id = t.id,
                       LATERAL (VALUES ('.left', n.left_node), ('.right', n.right_node))
                         AS s(side, child)
                 WHERE s.child IS NOT NULL)
            SELECT t.path || ' ' || n.node_type || coalesce(' ' || n.query, '')
              FROM tree t JOIN df.nodes n ON n.instance_id = ? AND n.id = t.id
             ORDER BY t.path\
            """,
            id,
            id,
            id);

    assertThat(tree)
        .containsExactly(
            "root THEN",
            "root.left SQL SELECT 1",
            "root.right THEN",
            "root.right.left SQL SELECT 2",
            "root.right.right SQL SELECT 3");
    assertThat(
            Queries.number(
                postgres.dataSource(), "SELECT count(*) FROM df.nodes WHERE instance_id = ?", id))
        .isEqualTo(5);
  }

  @Test
  void nodesAreWrittenInPreOrderWithTheRootFirst() throws SQLException {
    String condition = "{\"node_type\":\"SQL\",\"query\":\"c\"}";
    String fut =
        "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"IF\","
            + "\"left_node\":{\"node_type\":\"SQL\",\"query\":\"then\"},"
            + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"else\"},"
            + "\"condition_node\":"
            + condition
            + "},\"right_node\":{\"node_type\":\"SQL\",\"query\":\"after\"}}";

    String id = Queries.text(alice, "SELECT df.start(?)", fut);

    List<String> written =
        Queries.column(
            postgres.dataSource(),
            "SELECT node_type || ':' || CASE WHEN node_type = 'SQL' THEN query ELSE '' END"
                + " FROM df.nodes WHERE instance_id = ? ORDER BY ctid",
            id);
    assertThat(written)
        .containsExactly("THEN:", "IF:", "SQL:then", "SQL:else", "SQL:c", "SQL:after");
    assertThat(
            Queries.text(
                postgres.dataSource(),
                "SELECT id FROM df.nodes WHERE instance_id = ? ORDER BY ctid LIMIT 1",
                id))
        .isEqualTo(rootOf(id));
  }

  @Test
  void conditionNodeIdIsAddedToTheIfConfig() throws SQLException {
    String fut =
        "{\"node_type\":\"IF\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"t\"},"
            + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"e\"},"
            + "\"condition_node\":{\"node_type\":\"SQL\",\"query\":\"c\"},"
            + "\"query\":\"{\\\"mode\\\":1}\"}";

    String id = Queries.text(alice, "SELECT df.start(?)", fut);

    String conditionId =
        Queries.text(
            postgres.dataSource(),
            "SELECT id FROM df.nodes WHERE instance_id = ? AND query = 'c'",
            id);
    assertThat(
            Queries.text(
                postgres.dataSource(),
                "SELECT query FROM df.nodes WHERE instance_id = ? AND node_type = 'IF'",
                id))
        .isEqualTo("{\"mode\":1,\"condition_node\":\"" + conditionId + "\"}");
  }

  @Test
  void joinWithTwoPlusNineHundredNinetyNineExtrasMaterialisesOneThousandAndTwoNodes()
      throws SQLException {
    StringBuilder fut =
        new StringBuilder(
            "{\"node_type\":\"JOIN\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"l\"},"
                + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"r\"},\"extra_nodes\":[");
    for (int extra = 0; extra < 999; extra++) {
      fut.append(extra == 0 ? "" : ",")
          .append("{\"node_type\":\"SQL\",\"query\":\"e")
          .append(extra)
          .append("\"}");
    }
    fut.append("]}");

    String id = Queries.text(alice, "SELECT df.start(?)", fut.toString());

    assertThat(
            Queries.number(
                postgres.dataSource(), "SELECT count(*) FROM df.nodes WHERE instance_id = ?", id))
        .isEqualTo(1002);
    String joinQuery =
        Queries.text(
            postgres.dataSource(),
            "SELECT query FROM df.nodes WHERE instance_id = ? AND node_type = 'JOIN'",
            id);
    List<String> extraIds =
        Queries.column(
            postgres.dataSource(),
            "SELECT jsonb_array_elements_text(?::jsonb -> 'extra_nodes')",
            joinQuery);
    assertThat(extraIds).hasSize(999).doesNotHaveDuplicates();
    assertThat(
            Queries.text(
                postgres.dataSource(),
                "SELECT query FROM df.nodes WHERE instance_id = ? AND id = ?",
                id,
                extraIds.get(998)))
        .isEqualTo("e998");
  }

  @Test
  void twoHundredSequentialStepsMaterialiseThreeHundredNinetyNineNodes() throws SQLException {
    String id =
        Queries.text(
            alice,
            """
            WITH RECURSIVE chain(step, fut) AS (
                SELECT 1, df.sql('SELECT 1')
              UNION ALL
                SELECT step + 1, fut OPERATOR(df.~>) ('SELECT ' || (step + 1))
                  FROM chain WHERE step < 200)
            SELECT df.start(fut) FROM chain WHERE step = 200\
            """);

    assertThat(
            Queries.number(
                postgres.dataSource(), "SELECT count(*) FROM df.nodes WHERE instance_id = ?", id))
        .isEqualTo(399);
    assertThat(
            Queries.number(
                postgres.dataSource(),
                "SELECT count(*) FROM df.nodes WHERE instance_id = ? AND node_type = 'SQL'",
                id))
        .isEqualTo(200);
    assertThat(
            Queries.number(
                postgres.dataSource(),
                "SELECT count(DISTINCT id) FROM df.nodes WHERE instance_id = ?",
                id))
        .isEqualTo(399);
  }

  @Test
  void nodesAtDepthTwoHundredFiftySixAreAccepted() throws SQLException {
    String id = Queries.text(alice, "SELECT df.start(?)", rightNestedChain(256));

    assertThat(
            Queries.number(
                postgres.dataSource(), "SELECT count(*) FROM df.nodes WHERE instance_id = ?", id))
        .isEqualTo(2 * 256 + 1);
  }

  @Test
  void nodeAtDepthTwoHundredFiftySevenIsRejected() {
    String fut = rightNestedChain(257);

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.start(?)", fut))
        .hasMessageContaining("Invalid durable function graph: root.right.right.")
        .hasMessageContaining("maximum nesting depth of 256");
  }

  @Test
  void modeIsComparedCaseInsensitively() throws SQLException {
    String id = Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'CALLER')");

    assertThat(id).matches("^[0-9a-f]{8}$");
  }

  @Test
  void unknownModeIsRejected() {
    assertThatThrownBy(
            () -> Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'later')"))
        .hasMessageContaining("invalid transaction_mode");
  }

  @Test
  void unknownTopLevelNodeTypeIsRejected() {
    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.start(?)", "{\"node_type\":\"X\"}"))
        .hasMessageContaining("Unknown node_type 'X'")
        .hasMessageContaining("SQL, THEN, IF");
  }

  @Test
  void unknownNestedNodeTypeNamesItsPath() {
    String fut =
        "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"X\",\"query\":\"a\"},"
            + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"b\"}}";

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.start(?)", fut))
        .hasMessageContaining("Invalid durable function graph: root.left: Unknown node_type 'X'");
  }

  @Test
  void knownTopLevelTypeWithMalformedChildrenIsRejected() {
    String fut = "{\"node_type\":\"THEN\",\"left_node\":\"SELECT 1\",\"right_node\":{}}";

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.start(?)", fut))
        .hasMessageContaining("Malformed Durofut JSON with node_type 'THEN'");
  }

  @Test
  void conditionOnASqlNodeIsRejectedWithItsPath() {
    String fut =
        "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"a\","
            + "\"condition_node\":{\"node_type\":\"SQL\",\"query\":\"c\"}},"
            + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"b\"}}";

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.start(?)", fut))
        .hasMessageContaining("Invalid durable function graph: root.left: ")
        .hasMessageContaining("condition_node is not valid for SQL nodes");
  }

  @Test
  void conditionInsideTheIfConfigIsRejected() {
    String fut =
        "{\"node_type\":\"IF\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"t\"},"
            + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"e\"},"
            + "\"query\":\"{\\\"condition_node\\\":{}}\"}";

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.start(?)", fut))
        .hasMessageContaining("condition_node in IF must be a first-class Durofut field");
  }

  @Test
  void ifConfigThatIsNotJsonIsRejected() {
    String fut =
        "{\"node_type\":\"IF\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"t\"},"
            + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"e\"},"
            + "\"condition_node\":{\"node_type\":\"SQL\",\"query\":\"c\"},\"query\":\"not json\"}";

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.start(?)", fut))
        .hasMessageContaining("query in IF must be valid JSON config");
  }

  @Test
  void extraNodesThatAreNotObjectsAreRejected() {
    String fut =
        "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"JOIN\","
            + "\"left_node\":{\"node_type\":\"SQL\",\"query\":\"a\"},"
            + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"b\"},\"extra_nodes\":[\"c\"]},"
            + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"d\"}}";

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.start(?)", fut))
        .hasMessageContaining("root.left: extra_nodes entries must be Durofut JSON objects");
  }

  @Test
  void escapedKeyNamesAreCountedAsNodes() throws SQLException {
    String escapedNode = "{\"node\\u005ftype\":\"SQL\",\"query\":\"a\"}";
    String fut =
        "{\"node\\u005ftype\":\"THEN\",\"left_node\":".repeat(12)
            + escapedNode
            + (",\"right_node\":" + escapedNode + "}").repeat(12);

    String id = Queries.text(alice, "SELECT df.start(?)", fut);

    assertThat(
            Queries.number(
                postgres.dataSource(), "SELECT count(*) FROM df.nodes WHERE instance_id = ?", id))
        .isEqualTo(25);
  }

  @Test
  void missingDatabaseIsRejectedByName() {
    assertThatThrownBy(
            () -> Queries.text(alice, "SELECT df.start('SELECT 1', NULL, 'no_such_database')"))
        .hasMessageContaining("database \"no_such_database\" does not exist");
  }

  @Test
  void roleWithoutLoginReachedThroughSetRoleIsRejected() throws SQLException {
    Queries.execute(alice, "SET ROLE " + groupRole);

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.start('SELECT 1')"))
        .hasMessageContaining("LOGIN")
        .hasMessageContaining(groupRole);
  }

  @Test
  void superuserIsRejectedWhileSuperuserInstancesAreOff() {
    assertThatThrownBy(() -> Queries.text(postgres.dataSource(), "SELECT df.start('SELECT 1')"))
        .hasMessageContaining("enable_superuser_instances");
  }

  @Test
  void superuserMayStartOnceSettingsEnableSuperuserInstances() throws SQLException {
    DataSource superuser = postgres.dataSource();
    Queries.execute(
        superuser, "INSERT INTO df.settings VALUES ('enable_superuser_instances', 'on')");
    try {

      String id = Queries.text(superuser, "SELECT df.start('SELECT 1')");

      assertThat(
              Queries.text(
                  superuser, "SELECT submitted_by::text FROM df.instances WHERE id = ?", id))
          .isEqualTo(postgres.superuser());
    } finally {
      Queries.execute(
          superuser, "DELETE FROM df.settings WHERE name = 'enable_superuser_instances'");
    }
  }

  @Test
  void rolledBackStartLeavesNoRows() throws SQLException {
    alice.setAutoCommit(false);
    String id = Queries.text(alice, "SELECT df.start('SELECT 1' OPERATOR(df.~>) 'SELECT 2')");
    long nodesBeforeRollback =
        Queries.number(alice, "SELECT count(*) FROM df.nodes WHERE instance_id = ?", id);

    alice.rollback();

    assertThat(nodesBeforeRollback).isEqualTo(3);
    DataSource superuser = postgres.dataSource();
    assertThat(Queries.number(superuser, "SELECT count(*) FROM df.instances WHERE id = ?", id))
        .isZero();
    assertThat(Queries.number(superuser, "SELECT count(*) FROM df.nodes WHERE instance_id = ?", id))
        .isZero();
    assertThat(
            Queries.number(
                superuser, "SELECT count(*) FROM df_engine.runs WHERE instance_id = ?", id))
        .isZero();
  }

  @Test
  void committedStartIsQueuedForTheEngines() throws SQLException {
    String id = Queries.text(alice, "SELECT df.start('SELECT 1')");

    assertThat(
            Queries.number(
                postgres.dataSource(),
                "SELECT count(*) FROM df_engine.runs WHERE instance_id = ?",
                id))
        .isEqualTo(1);
  }

  @Test
  void submittersVariablesAreSnapshottedWithoutNullValues() throws SQLException {
    Queries.execute(alice, "DELETE FROM df.vars");
    Queries.execute(
        alice, "INSERT INTO df.vars (name, value) VALUES ('x', '1'), ('y', NULL), ('z', 'three')");
    try (Connection bob = postgres.connectAs(PostgresExtension.BOB)) {
      Queries.execute(bob, "INSERT INTO df.vars (name, value) VALUES ('w', 'bob''s')");
    }

    String id = Queries.text(alice, "SELECT df.start('SELECT 1')");
    Queries.execute(alice, "UPDATE df.vars SET value = 'changed' WHERE name = 'x'");

    assertThat(
            Queries.text(
                postgres.dataSource(),
                "SELECT vars::text FROM df_engine.runs WHERE instance_id = ?",
                id))
        .isEqualTo("{\"x\": \"1\", \"z\": \"three\"}");
  }

  @Test
  void submitterIsTheRoleSetWithSetRole() throws SQLException {
    Queries.execute(alice, "SET ROLE " + loginRole);

    String id = Queries.text(alice, "SELECT df.start('SELECT 1')");

    assertThat(
            Queries.text(
                postgres.dataSource(),
                "SELECT submitted_by::text FROM df.instances WHERE id = ?",
                id))
        .isEqualTo(loginRole);
    assertThat(
            Queries.column(
                postgres.dataSource(),
                "SELECT DISTINCT submitted_by::text FROM df.nodes WHERE instance_id = ?",
                id))
        .containsExactly(loginRole);
  }

  @Test
  void securityDefinerWrapperCapturesItsOwner() throws SQLException {
    Queries.execute(
        alice,
        "CREATE FUNCTION public.start_as_alice() RETURNS text LANGUAGE sql SECURITY DEFINER"
            + " AS $$ SELECT df.start('SELECT 1') $$");
    Queries.execute(alice, "GRANT EXECUTE ON FUNCTION public.start_as_alice() TO bob");

    String id;
    try (Connection bob = postgres.connectAs(PostgresExtension.BOB)) {
      id = Queries.text(bob, "SELECT public.start_as_alice()");
    }

    assertThat(
            Queries.text(
                postgres.dataSource(),
                "SELECT submitted_by::text FROM df.instances WHERE id = ?",
                id))
        .isEqualTo("alice");
  }

  @Test
  void nullChildrenAtTheTopLevelCountAsAbsent() throws SQLException {
    String fut =
        "{\"node_type\":\"LOOP\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"body\"},"
            + "\"right_node\":null,\"condition_node\":null,\"extra_nodes\":null}";

    String id = Queries.text(alice, "SELECT df.start(?)", fut);

    assertThat(
            Queries.rows(
                postgres.dataSource(),
                "SELECT node_type, coalesce(query, '<null>'), right_node IS NULL"
                    + " FROM df.nodes WHERE instance_id = ? ORDER BY ctid",
                id))
        .containsExactly(List.of("LOOP", "<null>", "t"), List.of("SQL", "body", "t"));
  }

  @Test
  void nullChildrenOfANestedNodeCountAsAbsent() throws SQLException {
    String fut =
        "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"a\","
            + "\"left_node\":null,\"condition_node\":null,\"extra_nodes\":null},"
            + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"b\"}}";

    String id = Queries.text(alice, "SELECT df.start(?)", fut);

    assertThat(
            Queries.number(
                postgres.dataSource(), "SELECT count(*) FROM df.nodes WHERE instance_id = ?", id))
        .isEqualTo(3);
  }

  @Test
  void mapNodeIsWrittenWithItsBodyAsLeftChild() throws SQLException {
    String config = "{\"rows_query\":\"SELECT id FROM t\",\"max_parallel\":8}";
    String fut =
        "{\"node_type\":\"MAP\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"body\"},"
            + "\"query\":"
            + Queries.text(alice, "SELECT to_json(?::text)::text", config)
            + "}";

    String id = Queries.text(alice, "SELECT df.start(?)", fut);

    List<List<String>> nodes =
        Queries.rows(
            postgres.dataSource(),
            "SELECT n.node_type, n.query, b.query FROM df.nodes n"
                + " JOIN df.nodes b ON b.instance_id = n.instance_id AND b.id = n.left_node"
                + " WHERE n.instance_id = ? AND n.right_node IS NULL",
            id);
    assertThat(nodes).containsExactly(List.of("MAP", config, "body"));
  }

  @Test
  void activityNodeIsWrittenWithItsConfig() throws SQLException {
    String config = "{\"activity_type\":\"embed\",\"config\":{\"input\":\"$doc\"}}";
    String fut =
        "{\"node_type\":\"ACTIVITY\",\"query\":"
            + Queries.text(alice, "SELECT to_json(?::text)::text", config)
            + ",\"result_name\":\"e\"}";

    String id = Queries.text(alice, "SELECT df.start(?)", fut);

    assertThat(
            Queries.rows(
                postgres.dataSource(),
                "SELECT node_type, query, result_name FROM df.nodes WHERE instance_id = ?",
                id))
        .containsExactly(List.of("ACTIVITY", config, "e"));
  }

  @Test
  void malformedMapAndActivityNodesAreRejectedWithTheirPath() {
    String body = "{\"node_type\":\"SQL\",\"query\":\"b\"}";
    String mapQuery = "\"query\":\"{\\\"rows_query\\\":\\\"SELECT 1\\\"}\"";
    String activityQuery = "\"query\":\"{\\\"activity_type\\\":\\\"echo\\\"}\"";
    List<List<String>> cases =
        List.of(
            List.of(
                "{\"node_type\":\"MAP\"," + mapQuery + "}",
                "a MAP node needs its body as a Durofut object in left_node"),
            List.of(
                "{\"node_type\":\"MAP\",\"left_node\":"
                    + body
                    + ",\"right_node\":"
                    + body
                    + ","
                    + mapQuery
                    + "}",
                "right_node is not valid for MAP nodes"),
            List.of(
                "{\"node_type\":\"MAP\",\"left_node\":" + body + "}",
                "a MAP node needs its configuration as JSON text in query"),
            List.of(
                "{\"node_type\":\"MAP\",\"left_node\":" + body + ",\"query\":\"{}\"}",
                "query in MAP must give the rows to map over"),
            List.of(
                "{\"node_type\":\"MAP\",\"left_node\":"
                    + body
                    + ",\"query\":\"{\\\"rows_query\\\":\\\"q\\\",\\\"max_parallel\\\":0}\"}",
                "max_parallel in MAP must be a whole number of at least 1"),
            List.of(
                "{\"node_type\":\"ACTIVITY\",\"left_node\":" + body + "," + activityQuery + "}",
                "ACTIVITY nodes take no child nodes"),
            List.of(
                "{\"node_type\":\"ACTIVITY\",\"query\":\"not json\"}",
                "query in ACTIVITY must be a JSON config object"),
            List.of(
                "{\"node_type\":\"ACTIVITY\",\"query\":\"{\\\"config\\\":{}}\"}",
                "query in ACTIVITY must name the activity"),
            List.of(
                "{\"node_type\":\"ACTIVITY\",\"query\":"
                    + "\"{\\\"activity_type\\\":\\\"echo\\\",\\\"config\\\":[]}\"}",
                "config in ACTIVITY must be a JSON object"));

    for (List<String> malformed : cases) {
      String fut =
          "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"a\"},"
              + "\"right_node\":"
              + malformed.get(0)
              + "}";

      assertThatThrownBy(() -> Queries.text(alice, "SELECT df.start(?)", fut))
          .as(malformed.get(0))
          .hasMessageContaining("Invalid durable function graph: root.right: " + malformed.get(1));
    }
  }

  private static String rightNestedChain(int depth) {
    String wrapper =
        "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"a\"},"
            + "\"right_node\":";
    return wrapper.repeat(depth) + "{\"node_type\":\"SQL\",\"query\":\"z\"}" + "}".repeat(depth);
  }

  private static String rootOf(String instanceId) throws SQLException {
    return Queries.text(
        postgres.dataSource(), "SELECT root_node FROM df.instances WHERE id = ?", instanceId);
  }
}
