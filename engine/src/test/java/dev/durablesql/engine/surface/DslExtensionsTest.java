package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * durable-sql's constructors beyond the reference (SPEC.md §1b): retry and timeout policies, which
 * ride in the Durofut after result_name, and the MAP and ACTIVITY nodes.
 */
class DslExtensionsTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final String A = "{\"node_type\":\"SQL\",\"query\":\"a\"}";
  private static final String B = "{\"node_type\":\"SQL\",\"query\":\"b\"}";
  private static final String DEFAULT_RETRY =
      "\"retry\":{\"max_attempts\":3,\"initial_delay_seconds\":1,\"backoff_multiplier\":2,"
          + "\"max_delay_seconds\":300}";

  private Connection alice;

  @BeforeEach
  void connect() throws SQLException {
    alice = postgres.connectAs(PostgresExtension.ALICE);
    DslStatements.useDfOperators(alice);
    DslStatements.createPretendHelper(alice);
  }

  @AfterEach
  void disconnect() throws SQLException {
    alice.close();
  }

  /** A leaf node whose query is the given JSON text, escaped as a JSON string. */
  private static String leaf(String type, String config) {
    return "{\"node_type\":\""
        + type
        + "\",\"query\":\""
        + config.replace("\\", "\\\\").replace("\"", "\\\"")
        + "\"}";
  }

  @Test
  void extensionsHaveTheDocumentedSignatures() throws SQLException {
    Queries.execute(alice, "RESET search_path");

    List<List<String>> catalog =
        Queries.rows(
            alice,
            """
            SELECT p.oid::regprocedure::text, pg_get_function_arguments(p.oid),
                   p.proisstrict::text, p.provolatile::text
              FROM pg_proc p
             WHERE p.pronamespace = 'df'::regnamespace
               AND p.proname IN ('retry', 'timeout', 'map', 'activity', 'embed')
             ORDER BY p.oid::regprocedure::text COLLATE "C"\
            """);

    assertThat(catalog)
        .containsExactly(
            List.of(
                "df.activity(text,jsonb)",
                "activity_type text, config jsonb DEFAULT '{}'::jsonb",
                "true",
                "v"),
            List.of(
                "df.embed(text,text,jsonb)",
                "input text, model text DEFAULT NULL::text, options jsonb DEFAULT '{}'::jsonb",
                "false",
                "v"),
            List.of(
                "df.map(text,text,integer)",
                "rows_query text, body text, max_parallel integer DEFAULT 8",
                "true",
                "v"),
            List.of(
                "df.retry(text,integer,numeric,numeric,numeric)",
                "node text, max_attempts integer, initial_delay_seconds numeric DEFAULT 1,"
                    + " backoff_multiplier numeric DEFAULT 2, max_delay_seconds numeric DEFAULT 300",
                "true",
                "v"),
            List.of("df.timeout(text,numeric)", "node text, seconds numeric", "true", "v"));
  }

  @Test
  void retryAddsThePolicyWithItsDefaultsAfterTheQuery() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.retry('SELECT 1', 3)");

    assertThat(durofut)
        .isEqualTo("{\"node_type\":\"SQL\",\"query\":\"SELECT 1\"," + DEFAULT_RETRY + "}");
  }

  @Test
  void retryKeepsTheNumbersAsGiven() throws SQLException {
    String durofut =
        Queries.text(
            alice,
            "SELECT df.retry(node => 'a', max_attempts => 1, initial_delay_seconds => 0.5,"
                + " backoff_multiplier => 1.50, max_delay_seconds => 10)");

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"SQL\",\"query\":\"a\",\"retry\":{\"max_attempts\":1,"
                + "\"initial_delay_seconds\":0.5,\"backoff_multiplier\":1.50,"
                + "\"max_delay_seconds\":10}}");
  }

  @Test
  void retryOnACompoundNodeSetsThePolicyOfThatNodeOnly() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.retry('a' ~> 'b', 3)");

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"THEN\",\"left_node\":"
                + A
                + ",\"right_node\":"
                + B
                + ","
                + DEFAULT_RETRY
                + "}");
  }

  @Test
  void retryReplacesAnEarlierPolicy() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.retry(df.retry('a', 9), 3)");

    assertThat(durofut).isEqualTo("{\"node_type\":\"SQL\",\"query\":\"a\"," + DEFAULT_RETRY + "}");
  }

  @Test
  void retryRejectsPoliciesThatCannotWork() throws SQLException {
    List<String> errors = new ArrayList<>();
    for (String call :
        List.of(
            "df.retry('a', 0)",
            "df.retry('a', 3, -1)",
            "df.retry('a', 3, 1, 0.5)",
            "df.retry('a', 3, 1, 2, -1)")) {
      errors.add(DslStatements.errorOf(alice, "SELECT " + call));
    }

    assertThat(errors)
        .containsExactly(
            "df.retry(): max_attempts must be at least 1 (it counts the first try), was 0",
            "df.retry(): initial_delay_seconds must be non-negative, was -1",
            "df.retry(): backoff_multiplier must be at least 1, was 0.5",
            "df.retry(): max_delay_seconds must be non-negative, was -1");
  }

  @Test
  void timeoutFollowsResultNameAndRetry() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.timeout(df.retry('a', 3) |=> 'r', 2.5) ~> 'b'");

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"a\","
                + "\"result_name\":\"r\","
                + DEFAULT_RETRY
                + ",\"timeout_seconds\":2.5},\"right_node\":"
                + B
                + "}");
  }

  @Test
  void namingAfterPoliciesKeepsTheCanonicalFieldOrder() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.as(df.timeout('a', 30), 'late')");

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"SQL\",\"query\":\"a\",\"result_name\":\"late\","
                + "\"timeout_seconds\":30}");
  }

  @Test
  void timeoutMustBePositive() throws SQLException {
    String zero = DslStatements.errorOf(alice, "SELECT df.timeout('a', 0)");
    String negative = DslStatements.errorOf(alice, "SELECT df.timeout('a', -0.5)");

    assertThat(zero).isEqualTo("df.timeout(): seconds must be positive, was 0");
    assertThat(negative).isEqualTo("df.timeout(): seconds must be positive, was -0.5");
  }

  @Test
  void policiesSurviveAJsonbRoundTripInCanonicalOrder() throws SQLException {
    String durofut =
        Queries.text(
            alice, "SELECT df.seq((df.timeout(df.retry('a', 3), 1) |=> 'r')::jsonb::text, 'b')");

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"a\","
                + "\"result_name\":\"r\","
                + DEFAULT_RETRY
                + ",\"timeout_seconds\":1},\"right_node\":"
                + B
                + "}");
  }

  @Test
  void handWrittenPoliciesMustBeWellFormed() throws SQLException {
    List<String> errors = new ArrayList<>();
    for (String node :
        List.of(
            "{\"node_type\":\"SQL\",\"query\":\"a\",\"retry\":5}",
            "{\"node_type\":\"SQL\",\"query\":\"a\",\"retry\":{\"initial_delay_seconds\":1}}",
            "{\"node_type\":\"SQL\",\"query\":\"a\",\"retry\":{\"max_attempts\":\"3\"}}",
            "{\"node_type\":\"SQL\",\"query\":\"a\",\"retry\":{\"max_attempts\":3,"
                + "\"backoff_multiplier\":\"x\"}}",
            "{\"node_type\":\"SQL\",\"query\":\"a\",\"timeout_seconds\":\"5\"}")) {
      errors.add(DslStatements.errorOf(alice, "SELECT df.seq(?, 'b')", node));
    }

    assertThat(errors)
        .containsExactly(
            "Invalid Durofut JSON in a: retry of a SQL node must be a JSON object",
            "Invalid Durofut JSON in a: retry of a SQL node must have a numeric max_attempts",
            "Invalid Durofut JSON in a: retry of a SQL node must have a numeric max_attempts",
            "Invalid Durofut JSON in a: retry.backoff_multiplier of a SQL node must be a number",
            "Invalid Durofut JSON in a: timeout_seconds of a SQL node must be a number");
  }

  @Test
  void handWrittenPartialPolicyKeepsOnlyItsFieldsInOrder() throws SQLException {
    String durofut =
        Queries.text(
            alice,
            "SELECT df.seq(?, 'b')",
            "{\"timeout_seconds\":null,\"retry\":{\"max_delay_seconds\":5,\"extra\":1,"
                + "\"max_attempts\":2},\"query\":\"a\",\"node_type\":\"SQL\"}");

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"a\","
                + "\"retry\":{\"max_attempts\":2,\"max_delay_seconds\":5}},\"right_node\":"
                + B
                + "}");
  }

  @Test
  void mapEmbedsItsBodyAndKeepsTheRowsQueryInItsConfig() throws SQLException {
    List<String> durofuts =
        Queries.rows(
                alice,
                "SELECT df.map('SELECT id FROM orders', 'SELECT $item.id'),"
                    + " df.map(rows_query => 'SELECT \"x\"', body => 'a' ~> 'b', max_parallel => 1)")
            .get(0);

    assertThat(durofuts)
        .containsExactly(
            "{\"node_type\":\"MAP\",\"left_node\":{\"node_type\":\"SQL\","
                + "\"query\":\"SELECT $item.id\"},\"query\":"
                + "\"{\\\"rows_query\\\":\\\"SELECT id FROM orders\\\",\\\"max_parallel\\\":8}\"}",
            "{\"node_type\":\"MAP\",\"left_node\":{\"node_type\":\"THEN\",\"left_node\":"
                + A
                + ",\"right_node\":"
                + B
                + "},\"query\":"
                + "\"{\\\"rows_query\\\":\\\"SELECT \\\\\\\"x\\\\\\\"\\\",\\\"max_parallel\\\":1}\"}");
  }

  @Test
  void mapRejectsAnEmptyRowsQueryAndNoParallelism() throws SQLException {
    String empty = DslStatements.errorOf(alice, "SELECT df.map(' ', 'a')");
    String serialless = DslStatements.errorOf(alice, "SELECT df.map('SELECT 1', 'a', 0)");

    assertThat(empty).isEqualTo("df.map(): rows_query cannot be empty");
    assertThat(serialless).isEqualTo("df.map(): max_parallel must be at least 1, was 0");
  }

  @Test
  void activityStoresItsTypeAndCompactConfig() throws SQLException {
    List<String> durofuts =
        Queries.rows(
                alice,
                "SELECT df.activity('echo'), df.activity('http.request', ?::jsonb)",
                "{\"url\": \"{base}/x y\", \"retries\": [1, 2], \"nested\": {\"a\": null}}")
            .get(0);

    assertThat(durofuts)
        .containsExactly(
            leaf("ACTIVITY", "{\"activity_type\":\"echo\",\"config\":{}}"),
            leaf(
                "ACTIVITY",
                "{\"activity_type\":\"http.request\",\"config\":{\"url\":\"{base}/x y\","
                    + "\"nested\":{\"a\":null},\"retries\":[1,2]}}"));
  }

  @Test
  void activityRejectsAnEmptyTypeAndConfigThatIsNotAnObject() throws SQLException {
    String empty = DslStatements.errorOf(alice, "SELECT df.activity('')");
    String array = DslStatements.errorOf(alice, "SELECT df.activity('echo', '[1]')");

    assertThat(empty).isEqualTo("df.activity(): activity_type cannot be empty");
    assertThat(array).isEqualTo("df.activity(): config must be a JSON object, got a JSON array");
  }

  @Test
  void embedIsTheBuiltInEmbedActivity() throws SQLException {
    List<String> durofuts =
        Queries.rows(
                alice,
                "SELECT df.embed('$doc.text'), df.embed('[\"a\",\"b\"]', 'text-embedding-3-small',"
                    + " '{\"dimensions\": 256}'), df.embed('x', options => NULL)")
            .get(0);

    assertThat(durofuts)
        .containsExactly(
            leaf(
                "ACTIVITY",
                "{\"activity_type\":\"embed\",\"config\":{\"input\":\"$doc.text\","
                    + "\"model\":null,\"options\":{}}}"),
            leaf(
                "ACTIVITY",
                "{\"activity_type\":\"embed\",\"config\":{\"input\":\"[\\\"a\\\",\\\"b\\\"]\","
                    + "\"model\":\"text-embedding-3-small\",\"options\":{\"dimensions\":256}}}"),
            leaf(
                "ACTIVITY",
                "{\"activity_type\":\"embed\",\"config\":{\"input\":\"x\","
                    + "\"model\":null,\"options\":{}}}"));
  }

  @Test
  void embedRejectsOptionsThatAreNotAnObject() throws SQLException {
    String error = DslStatements.errorOf(alice, "SELECT df.embed('x', NULL, '\"fast\"')");

    assertThat(error).isEqualTo("df.embed(): options must be a JSON object, got a JSON string");
  }

  @Test
  void roleWithoutTheHttpGrantCanBuildEmbedAndActivityNodes() throws SQLException {
    List<String> durofuts;
    try (Connection bob = postgres.connectAs(PostgresExtension.BOB)) {
      durofuts = Queries.rows(bob, "SELECT df.embed('x'), df.activity('echo')").get(0);
    }

    assertThat(durofuts)
        .containsExactly(
            leaf(
                "ACTIVITY",
                "{\"activity_type\":\"embed\",\"config\":{\"input\":\"x\","
                    + "\"model\":null,\"options\":{}}}"),
            leaf("ACTIVITY", "{\"activity_type\":\"echo\",\"config\":{}}"));
  }

  @Test
  void nullPropagates() throws SQLException {
    List<String> results =
        Queries.rows(
                alice,
                """
                SELECT df.retry(NULL, 3), df.retry('a', NULL), df.timeout(NULL, 1),
                       df.timeout('a', NULL), df.map(NULL, 'a'), df.map('q', NULL),
                       df.activity(NULL), df.activity('echo', NULL), df.embed(NULL)\
                """)
            .get(0);

    assertThat(results).hasSize(9).containsOnlyNulls();
  }

  @Test
  void helperReturnValuesAreNotStepsHereEither() throws SQLException {
    List<String> errors = new ArrayList<>();
    for (String call :
        List.of("df.retry(%s, 3)", "df.timeout(%s, 3)", "df.map('q', %s)", "df.map(%s, 'a')")) {
      errors.add(
          DslStatements.errorOf(
              alice, "SELECT " + call.formatted("public.pretend_helper('df.setvar', 'OK')")));
    }

    assertThat(errors).hasSize(4).containsOnly("df.setvar cannot be used as a workflow step");
  }
}
