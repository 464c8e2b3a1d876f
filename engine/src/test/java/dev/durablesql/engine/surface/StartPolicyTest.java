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

/**
 * df.start writes the retry and timeout policies that nodes carry in their Durofut (R-EXT-1,
 * R-EXT-2) as rows of df_engine.node_policies. The Durofut is written by hand here, as df.retry and
 * df.timeout would build it.
 */
class StartPolicyTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final String RETRY =
      "{\"max_attempts\":5,\"initial_delay_seconds\":0.5,\"backoff_multiplier\":3,"
          + "\"max_delay_seconds\":60}";

  /** Each policy row as {@code <node query or type> <policy>}, ordered by the node's query. */
  private static final String POLICIES =
      "SELECT coalesce(n.query, n.node_type) || ' ' || p.policy::text"
          + " FROM df_engine.node_policies p"
          + " JOIN df.nodes n ON n.instance_id = p.instance_id AND n.id = p.node_id"
          + " WHERE p.instance_id = ? ORDER BY 1";

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
  void retryPolicyIsWrittenForItsNode() throws SQLException {
    String fut =
        "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"a\","
            + "\"retry\":"
            + RETRY
            + "},\"right_node\":{\"node_type\":\"SQL\",\"query\":\"b\"}}";

    String id = Queries.text(alice, "SELECT df.start(?)", fut);

    assertThat(Queries.column(postgres.dataSource(), POLICIES, id))
        .containsExactly(
            "a {\"retry\": {\"max_attempts\": 5, \"max_delay_seconds\": 60,"
                + " \"backoff_multiplier\": 3, \"initial_delay_seconds\": 0.5}}");
  }

  @Test
  void timeoutIsWrittenForItsNode() throws SQLException {
    String fut = "{\"node_type\":\"SQL\",\"query\":\"slow\",\"timeout_seconds\":2.5}";

    String id = Queries.text(alice, "SELECT df.start(?)", fut);

    assertThat(Queries.column(postgres.dataSource(), POLICIES, id))
        .containsExactly("slow {\"timeout_seconds\": 2.5}");
  }

  @Test
  void retryAndTimeoutOfOneNodeShareOneRow() throws SQLException {
    String fut =
        "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"a\"},"
            + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"b\"},"
            + "\"retry\":{\"max_attempts\":2},\"timeout_seconds\":30}";

    String id = Queries.text(alice, "SELECT df.start(?)", fut);

    assertThat(Queries.column(postgres.dataSource(), POLICIES, id))
        .containsExactly("THEN {\"retry\": {\"max_attempts\": 2}, \"timeout_seconds\": 30}");
  }

  @Test
  void policiesOfNestedNodesPointAtThoseNodes() throws SQLException {
    String fut =
        "{\"node_type\":\"JOIN\","
            + "\"left_node\":{\"node_type\":\"SQL\",\"query\":\"l\",\"timeout_seconds\":1},"
            + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"r\"},"
            + "\"extra_nodes\":[{\"node_type\":\"SQL\",\"query\":\"e\","
            + "\"retry\":{\"max_attempts\":4}}]}";

    String id = Queries.text(alice, "SELECT df.start(?)", fut);

    assertThat(Queries.column(postgres.dataSource(), POLICIES, id))
        .containsExactly("e {\"retry\": {\"max_attempts\": 4}}", "l {\"timeout_seconds\": 1}");
  }

  @Test
  void graphFromReferenceConstructorsHasNoPolicies() throws SQLException {
    String id = Queries.text(alice, "SELECT df.start('SELECT 1' OPERATOR(df.~>) 'SELECT 2')");

    assertThat(Queries.column(postgres.dataSource(), POLICIES, id)).isEmpty();
  }

  @Test
  void nullPoliciesCountAsAbsent() throws SQLException {
    String fut = "{\"node_type\":\"SQL\",\"query\":\"a\",\"retry\":null,\"timeout_seconds\":null}";

    String id = Queries.text(alice, "SELECT df.start(?)", fut);

    assertThat(Queries.column(postgres.dataSource(), POLICIES, id)).isEmpty();
  }

  @Test
  void rolledBackStartLeavesNoPolicies() throws SQLException {
    alice.setAutoCommit(false);
    String id =
        Queries.text(
            alice,
            "SELECT df.start(?)",
            "{\"node_type\":\"SQL\",\"query\":\"a\",\"timeout_seconds\":5}");

    alice.rollback();

    assertThat(Queries.column(postgres.dataSource(), POLICIES, id)).isEmpty();
  }

  @Test
  void malformedPoliciesAreRejectedWithTheirPath() {
    List<List<String>> cases =
        List.of(
            List.of("\"retry\":3", "root.right: retry must be a JSON object"),
            List.of("\"retry\":{}", "root.right: retry.max_attempts must be a whole number"),
            List.of(
                "\"retry\":{\"max_attempts\":0}",
                "root.right: retry.max_attempts must be a whole number of at least 1, not 0"),
            List.of(
                "\"retry\":{\"max_attempts\":2,\"max_delay_seconds\":-1}",
                "root.right: retry.max_delay_seconds must not be negative"),
            List.of(
                "\"retry\":{\"max_attempts\":2,\"backoff_multiplier\":\"2\"}",
                "root.right: retry.backoff_multiplier must be a number"),
            List.of("\"timeout_seconds\":\"5\"", "root.right: timeout_seconds must be a number"),
            List.of("\"timeout_seconds\":0", "root.right: timeout_seconds must be positive"));

    for (List<String> malformed : cases) {
      String fut =
          "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"a\"},"
              + "\"right_node\":{\"node_type\":\"SQL\",\"query\":\"b\","
              + malformed.get(0)
              + "}}";

      assertThatThrownBy(() -> Queries.text(alice, "SELECT df.start(?)", fut))
          .as(malformed.get(0))
          .hasMessageContaining("Invalid durable function graph: " + malformed.get(1));
    }
  }
}
