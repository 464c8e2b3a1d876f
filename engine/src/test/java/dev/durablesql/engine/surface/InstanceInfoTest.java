package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** df.instance_info and df.instance_executions (R-MON-6, R-MON-7). */
class InstanceInfoTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final String FUNCTION_NAME = "pg_durable::orchestration::execute-function-graph";
  private static final OffsetDateTime NOON = OffsetDateTime.parse("2025-03-04T12:00:00Z");

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
  void argumentNamesAndDefaultsAreThoseOfTheReference() throws SQLException {
    List<String> arguments =
        Queries.column(
            alice,
            "SELECT pg_get_function_arguments(p.oid) FROM pg_proc p"
                + " WHERE p.oid IN ('df.instance_info(text)'::regprocedure,"
                + " 'df.instance_executions(text, integer)'::regprocedure) ORDER BY p.pronargs");

    assertThat(arguments)
        .containsExactly("instance_id text", "instance_id text, limit_count integer DEFAULT 5");
  }

  @Test
  void infoHasTheSevenColumnsAndAgreesWithStatusAndTheListing() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "df.loop('SELECT 1'), 'info'");
    stamps.stamp(id, stamps.root(id), "completed", "{\"done\":true}", id + "::3");
    stamps.finish(id, "completed");

    List<String> names =
        InstanceNodesStamps.columnNames(alice, "SELECT * FROM df.instance_info(?)", id);
    List<List<String>> info = Queries.rows(alice, "SELECT * FROM df.instance_info(?)", id);
    List<String> listed =
        Queries.rows(
                alice,
                "SELECT instance_id, label, function_name, execution_count, status, output"
                    + " FROM df.list_instances(NULL, 10, 'info')")
            .get(0);
    String status = Queries.text(alice, "SELECT df.status(?)", id);

    assertThat(names)
        .containsExactly(
            "instance_id",
            "label",
            "function_name",
            "function_version",
            "current_execution_id",
            "status",
            "output");
    assertThat(info)
        .containsExactly(
            List.of(id, "info", FUNCTION_NAME, "1.0.0", "3", "completed", "{\"done\": true}"));
    assertThat(listed)
        .containsExactly(id, "info", FUNCTION_NAME, "3", "completed", "{\"done\": true}");
    assertThat(status).isEqualTo("completed");
  }

  @Test
  void infoOfAPendingInstanceIsItsFirstExecutionWithoutOutput() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "'SELECT 1'");

    List<List<String>> info = Queries.rows(alice, "SELECT * FROM df.instance_info(?)", id);

    assertThat(info)
        .containsExactly(Arrays.asList(id, null, FUNCTION_NAME, "1.0.0", "1", "pending", null));
  }

  @Test
  void infoAndExecutionsOfInvisibleOrUnknownIdsAreEmpty() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "'SELECT 1'");
    List<List<String>> bobsInfo;
    List<List<String>> bobsExecutions;

    try (Connection bob = postgres.connectAs(PostgresExtension.BOB)) {
      bobsInfo = Queries.rows(bob, "SELECT * FROM df.instance_info(?)", id);
      bobsExecutions = Queries.rows(bob, "SELECT * FROM df.instance_executions(?)", id);
    }
    List<List<String>> unknownInfo =
        Queries.rows(alice, "SELECT * FROM df.instance_info('0badc0de')");
    List<List<String>> unknownExecutions =
        Queries.rows(alice, "SELECT * FROM df.instance_executions('0badc0de')");
    List<List<String>> superusersInfo =
        Queries.rows(postgres.dataSource(), "SELECT * FROM df.instance_info(?)", id);

    assertThat(bobsInfo).isEmpty();
    assertThat(bobsExecutions).isEmpty();
    assertThat(unknownInfo).isEmpty();
    assertThat(unknownExecutions).isEmpty();
    assertThat(superusersInfo).hasSize(1);
  }

  @Test
  void executionsAreOnePerRootGenerationNewestFirst() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "df.loop(df.seq('SELECT a', 'SELECT b'))");
    String loop = stamps.root(id);
    String body = stamps.left(id, loop);
    stamps.stampAt(id, stamps.node(id, "SELECT a"), "completed", "1", id + "::1", NOON);
    stamps.stampAt(
        id,
        stamps.node(id, "SELECT b"),
        "completed",
        "1",
        id + "::1",
        NOON.plusNanos(1_500_000_000));
    stamps.stampAt(id, body, "completed", "1", id + "::2", NOON.plusSeconds(3));
    stamps.stampAt(id, loop, "completed", "\"end\"", id + "::3", NOON.plusSeconds(7));
    stamps.finish(id, "completed");

    List<String> names =
        InstanceNodesStamps.columnNames(alice, "SELECT * FROM df.instance_executions(?)", id);
    List<List<String>> executions =
        Queries.rows(alice, "SELECT * FROM df.instance_executions(?)", id);

    assertThat(names)
        .containsExactly("execution_id", "status", "event_count", "duration_ms", "output");
    assertThat(executions)
        .containsExactly(
            List.of("3", "Completed", "1", "0", "\"end\""),
            Arrays.asList("2", "ContinuedAsNew", "1", "0", null),
            Arrays.asList("1", "ContinuedAsNew", "2", "1500", null));
  }

  @Test
  void currentExecutionOfARunningInstanceIsRunningWithoutDuration() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "df.seq('SELECT a', 'SELECT b')");
    stamps.stampAt(id, stamps.root(id), "running", null, id + "::1", NOON.plusSeconds(9));
    stamps.stampAt(id, stamps.node(id, "SELECT a"), "completed", "1", id + "::1", NOON);
    stamps.finish(id, "running");

    List<List<String>> executions =
        Queries.rows(alice, "SELECT * FROM df.instance_executions(?)", id);

    assertThat(executions).containsExactly(Arrays.asList("1", "Running", "2", "0", null));
  }

  @Test
  void failedAndCancelledInstancesEndInAFailedExecutionWithTheirError() throws SQLException {
    String failed = InstanceNodesStamps.start(alice, "'SELECT 1/0'");
    stamps.stampAt(
        failed, stamps.root(failed), "failed", "\"division by zero\"", failed + "::1", NOON);
    stamps.finish(failed, "failed");
    String cancelled = InstanceNodesStamps.start(alice, "'SELECT pg_sleep(60)'");
    InstanceNodesStamps.cancel(alice, cancelled, "no longer needed");

    List<List<String>> failedExecutions =
        Queries.rows(alice, "SELECT * FROM df.instance_executions(?)", failed);
    List<List<String>> cancelledExecutions =
        Queries.rows(alice, "SELECT * FROM df.instance_executions(?)", cancelled);

    assertThat(failedExecutions)
        .containsExactly(List.of("1", "Failed", "1", "0", "division by zero"));
    assertThat(cancelledExecutions)
        .containsExactly(List.of("1", "Failed", "0", "0", "no longer needed"));
  }

  @Test
  void executionsAreLimitedToTheNewestAndCappedAtTenThousand() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "df.loop('SELECT 1')");
    stamps.stamp(id, stamps.root(id), "running", null, id + "::10007");

    List<String> defaultLimit =
        Queries.column(alice, "SELECT execution_id FROM df.instance_executions(?)", id);
    List<String> two =
        Queries.column(alice, "SELECT execution_id FROM df.instance_executions(?, 2)", id);
    long capped =
        Queries.number(alice, "SELECT count(*) FROM df.instance_executions(?, 50000)", id);

    assertThat(defaultLimit).containsExactly("10007", "10006", "10005", "10004", "10003");
    assertThat(two).containsExactly("10007", "10006");
    assertThat(capped).isEqualTo(10_000);
  }

  @Test
  void executionLimitMustBePositive() {
    assertThatThrownBy(
            () -> Queries.rows(alice, "SELECT * FROM df.instance_executions('0badc0de', 0)"))
        .hasMessageContaining("limit_count must be at least 1");
    assertThatThrownBy(
            () -> Queries.rows(alice, "SELECT * FROM df.instance_executions('0badc0de', NULL)"))
        .hasMessageContaining("limit_count must be at least 1");
  }

  @Test
  void stampsOfChildScopesCountTowardsTheirRootGeneration() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "df.loop(df.join('SELECT a', 'SELECT b'))");
    String loop = stamps.root(id);
    String join = stamps.left(id, loop);
    String a = stamps.node(id, "SELECT a");
    String b = stamps.node(id, "SELECT b");
    stamps.stampAt(id, loop, "running", null, id + "::2", NOON.plusSeconds(5));
    stamps.stampAt(id, join, "completed", "[1,1]", id + "::1", NOON.plusSeconds(4));
    stamps.stampAt(id, a, "completed", "1", id + "::1::" + a + "::1", NOON);
    stamps.stampAt(id, b, "completed", "1", id + "::1::" + b + "::1", NOON.plusSeconds(2));
    stamps.finish(id, "running");

    List<List<String>> executions =
        Queries.rows(alice, "SELECT * FROM df.instance_executions(?)", id);

    assertThat(executions)
        .containsExactly(
            Arrays.asList("2", "Running", "1", "0", null),
            Arrays.asList("1", "ContinuedAsNew", "3", "4000", null));
  }
}
