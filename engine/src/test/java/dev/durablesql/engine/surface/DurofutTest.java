package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Durofut text that df.sql, df.seq and ~> build (SPEC.md §2, §3.1, §4). */
class DurofutTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final String SELECT_1 = "{\"node_type\":\"SQL\",\"query\":\"SELECT 1\"}";
  private static final String SELECT_2 = "{\"node_type\":\"SQL\",\"query\":\"SELECT 2\"}";
  private static final String THEN_1_2 =
      "{\"node_type\":\"THEN\",\"left_node\":" + SELECT_1 + ",\"right_node\":" + SELECT_2 + "}";

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
  void sqlWrapsItsQueryInACompactSqlNode() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.sql('SELECT 1')");

    assertThat(durofut).isEqualTo(SELECT_1);
  }

  @Test
  void sqlKeepsDurofutTextAsItsQueryWithoutUnwrappingIt() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.sql(?)", SELECT_1);

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"SQL\",\"query\":\"{\\\"node_type\\\":\\\"SQL\\\","
                + "\\\"query\\\":\\\"SELECT 1\\\"}\"}");
  }

  @Test
  void sequenceOperatorBuildsTheReferenceText() throws SQLException {
    String durofut = Queries.text(alice, "SELECT 'SELECT 1' OPERATOR(df.~>) 'SELECT 2'");

    assertThat(durofut).isEqualTo(THEN_1_2);
  }

  @Test
  void sequenceOperatorResolvesWithDfOnTheSearchPath() throws SQLException {
    Queries.execute(alice, "SET search_path = df, public");

    String durofut = Queries.text(alice, "SELECT 'SELECT 1' ~> 'SELECT 2'");

    assertThat(durofut).isEqualTo(THEN_1_2);
  }

  @Test
  void seqBuildsTheSameTextAsTheOperator() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.seq('SELECT 1', 'SELECT 2')");

    assertThat(durofut).isEqualTo(THEN_1_2);
  }

  @Test
  void sequenceOperatorIsLeftAssociative() throws SQLException {
    String durofut =
        Queries.text(
            alice, "SELECT 'SELECT 1' OPERATOR(df.~>) 'SELECT 2' OPERATOR(df.~>) 'SELECT 3'");

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"THEN\",\"left_node\":"
                + THEN_1_2
                + ",\"right_node\":{\"node_type\":\"SQL\",\"query\":\"SELECT 3\"}}");
  }

  @Test
  void durofutOperandsAreEmbeddedWholeNotWrappedAgain() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.seq(df.sql('SELECT 1'), df.sql('SELECT 2'))");

    assertThat(durofut).isEqualTo(THEN_1_2);
  }

  @Test
  void queriesAreEscapedAsJsonStrings() throws SQLException {
    String query = "SELECT 'it''s \"quoted\"' AS a\\b,\n\t'été ☃ 😀' || chr(1)";

    String durofut = Queries.text(alice, "SELECT df.sql(?)", query);

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"SQL\",\"query\":\"SELECT 'it''s \\\"quoted\\\"' AS a\\\\b,\\n\\t"
                + "'été ☃ 😀' || chr(1)\"}");
  }

  @Test
  void controlCharactersAreEscapedAsUnicode() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.sql('a' || chr(1) || chr(31) || 'b')");

    assertThat(durofut).isEqualTo("{\"node_type\":\"SQL\",\"query\":\"a\\u0001\\u001fb\"}");
  }

  @Test
  void nullPropagatesThroughEveryStrictConstructor() throws SQLException {
    List<String> results =
        Queries.rows(
                alice,
                """
                SELECT df.sql(NULL),
                       df.seq(NULL, 'SELECT 2'),
                       df.seq('SELECT 1', NULL),
                       NULL::text OPERATOR(df.~>) 'SELECT 2',
                       ('SELECT 1' OPERATOR(df.~>) NULL::text) OPERATOR(df.~>) 'SELECT 3',
                       df.sql('SELECT 1')\
                """)
            .get(0);

    assertThat(results).containsExactly(null, null, null, null, null, SELECT_1);
  }

  @Test
  void plainTextOperandsAreWrappedAsSqlNodes() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.seq('  SELECT 1', 'not even SQL')");

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"THEN\","
                + "\"left_node\":{\"node_type\":\"SQL\",\"query\":\"  SELECT 1\"},"
                + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"not even SQL\"}}");
  }

  @Test
  void jsonWithoutANodeTypeIsWrappedVerbatimAsSql() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.seq(?, ?)", "{\"a\": 1}", "[1, 2]");

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"THEN\","
                + "\"left_node\":{\"node_type\":\"SQL\",\"query\":\"{\\\"a\\\": 1}\"},"
                + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"[1, 2]\"}}");
  }

  @Test
  void jsonWithAnUnknownOrNonStringNodeTypeIsWrappedAsSql() throws SQLException {
    String unknown = "{\"node_type\":\"X\",\"query\":\"q\"}";
    String number = "{\"node_type\":5}";

    String durofut = Queries.text(alice, "SELECT df.seq(?, ?)", unknown, number);

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"SQL\",\"query\":"
                + "\"{\\\"node_type\\\":\\\"X\\\",\\\"query\\\":\\\"q\\\"}\"},"
                + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"{\\\"node_type\\\":5}\"}}");
  }

  @Test
  void textThatOnlyLooksLikeJsonIsWrappedAsSql() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.seq('{not json', 'SELECT 2')");

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"{not json\"},"
                + "\"right_node\":"
                + SELECT_2
                + "}");
  }

  @Test
  void malformedChildOfAKnownNodeTypeIsAnError() {
    String malformed = "{\"node_type\":\"THEN\",\"left_node\":5,\"right_node\":" + SELECT_2 + "}";

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.seq(?, 'SELECT 3')", malformed))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("Invalid Durofut JSON");
  }

  @Test
  void extraNodesThatAreNotAnArrayOfObjectsAreAnError() {
    String notArray = "{\"node_type\":\"JOIN\",\"extra_nodes\":{}}";
    String notObjects = "{\"node_type\":\"JOIN\",\"extra_nodes\":[\"SELECT 1\"]}";

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.seq(?, 'x')", notArray))
        .hasMessageContaining("Invalid Durofut JSON");
    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.seq('x', ?)", notObjects))
        .hasMessageContaining("Invalid Durofut JSON")
        .hasMessageContaining("extra_nodes");
  }

  @Test
  void malformedNestedNodeIsAnError() {
    String nestedUnknown =
        "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"X\",\"query\":\"a\"},"
            + "\"right_node\":"
            + SELECT_2
            + "}";
    String nestedWithoutType =
        "{\"node_type\":\"THEN\",\"left_node\":{\"query\":\"a\"},\"right_node\":" + SELECT_2 + "}";

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.seq(?, 'x')", nestedUnknown))
        .hasMessageContaining("Invalid Durofut JSON");
    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.seq(?, 'x')", nestedWithoutType))
        .hasMessageContaining("Invalid Durofut JSON");
  }

  @Test
  void handWrittenDurofutIsReEmittedInCompactFieldOrder() throws SQLException {
    String handWritten =
        " { \"result_name\": \"r\", \"query\": \"SELECT \\u00e9\\/1\", \"node_type\": \"SQL\","
            + " \"comment\": {\"ignored\": true} } ";

    String durofut = Queries.text(alice, "SELECT df.seq(?, 'SELECT 2')", handWritten);

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"THEN\","
                + "\"left_node\":{\"node_type\":\"SQL\",\"query\":\"SELECT é/1\","
                + "\"result_name\":\"r\"},\"right_node\":"
                + SELECT_2
                + "}");
  }

  @Test
  void durofutReadBackFromJsonbIsReEmittedInTheReferenceText() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.seq((?::jsonb)::text, 'SELECT 3')", THEN_1_2);

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"THEN\",\"left_node\":"
                + THEN_1_2
                + ",\"right_node\":{\"node_type\":\"SQL\",\"query\":\"SELECT 3\"}}");
  }

  @Test
  void nullAndEmptyFieldsAreOmittedAndChildrenKeepTheirFieldOrder() throws SQLException {
    String handWritten =
        "{\"query\":null,\"extra_nodes\":[],\"right_node\":{\"query\":\"b\",\"node_type\":\"SQL\"},"
            + "\"condition_node\":null,\"node_type\":\"THEN\",\"left_node\":"
            + "{\"node_type\":\"SQL\",\"query\":\"a\",\"result_name\":null}}";

    String durofut = Queries.text(alice, "SELECT df.seq(?, 'c')", handWritten);

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"THEN\","
                + "\"left_node\":{\"node_type\":\"SQL\",\"query\":\"a\"},"
                + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"b\"}},"
                + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"c\"}}");
  }

  @Test
  void conditionAndExtraNodesFollowTheChildrenInFieldOrder() throws SQLException {
    String handWritten =
        "{\"extra_nodes\":[{\"node_type\":\"SQL\",\"query\":\"e1\"},"
            + "{\"node_type\":\"SQL\",\"query\":\"e2\"}],"
            + "\"condition_node\":{\"node_type\":\"SQL\",\"query\":\"c\"},"
            + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"r\"},"
            + "\"left_node\":{\"node_type\":\"SQL\",\"query\":\"l\"},"
            + "\"query\":\"{}\",\"node_type\":\"IF\"}";

    String durofut = Queries.text(alice, "SELECT df.seq(?, 'z')", handWritten);

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"IF\","
                + "\"left_node\":{\"node_type\":\"SQL\",\"query\":\"l\"},"
                + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"r\"},"
                + "\"condition_node\":{\"node_type\":\"SQL\",\"query\":\"c\"},"
                + "\"extra_nodes\":[{\"node_type\":\"SQL\",\"query\":\"e1\"},"
                + "{\"node_type\":\"SQL\",\"query\":\"e2\"}],\"query\":\"{}\"},"
                + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"z\"}}");
  }

  @Test
  void sameExpressionYieldsByteIdenticalText() throws SQLException {
    String expression =
        "df.seq('SELECT 1', df.seq(' {\"node_type\": \"SQL\", \"query\": \"q\"}', 'x'))";

    List<String> twice = Queries.rows(alice, "SELECT " + expression + ", " + expression).get(0);

    assertThat(twice.get(0))
        .isEqualTo(twice.get(1))
        .isEqualTo(
            "{\"node_type\":\"THEN\",\"left_node\":"
                + SELECT_1
                + ",\"right_node\":{\"node_type\":\"THEN\","
                + "\"left_node\":{\"node_type\":\"SQL\",\"query\":\"q\"},"
                + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"x\"}}}");
  }

  @Test
  void threeHundredDeepSequenceChainBuilds() throws SQLException {
    StringBuilder expected = new StringBuilder();
    expected.append("{\"node_type\":\"THEN\",\"left_node\":".repeat(299)).append(SELECT_1);
    for (int step = 2; step <= 300; step++) {
      expected
          .append(",\"right_node\":{\"node_type\":\"SQL\",\"query\":\"SELECT ")
          .append(step)
          .append("\"}}");
    }

    String durofut =
        Queries.text(
            alice,
            """
            WITH RECURSIVE chain(step, fut) AS (
                SELECT 1, df.sql('SELECT 1')
              UNION ALL
                SELECT step + 1, fut OPERATOR(df.~>) ('SELECT ' || (step + 1))
                  FROM chain WHERE step < 300)
            SELECT fut FROM chain WHERE step = 300\
            """);

    assertThat(durofut).isEqualTo(expected.toString());
  }
}
