package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** df.metrics(): system-wide counts, only for roles granted EXECUTE explicitly (R-MON-8). */
class MetricsTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final String METRICS = "SELECT * FROM df.metrics()";

  private final InstanceNodesStamps stamps = new InstanceNodesStamps(postgres.dataSource());

  @Test
  void isASecurityDefinerFunctionWithoutPublicExecute() throws SQLException {
    List<String> definition =
        Queries.rows(
                postgres.dataSource(),
                "SELECT p.prosecdef, has_function_privilege('alice', p.oid, 'EXECUTE'),"
                    + " EXISTS (SELECT 1 FROM aclexplode(p.proacl) a"
                    + " WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE'),"
                    + " pg_get_function_arguments(p.oid), array_to_string(p.proconfig, ',')"
                    + " FROM pg_proc p WHERE p.oid = 'df.metrics()'::regprocedure")
            .get(0);

    assertThat(definition).containsExactly("t", "f", "f", "", "search_path=pg_catalog, pg_temp");
  }

  @Test
  void usersWithoutAnExplicitGrantCannotReadIt() throws SQLException {
    try (Connection alice = postgres.connectAs(PostgresExtension.ALICE)) {
      assertThatThrownBy(() -> Queries.rows(alice, METRICS))
          .hasMessageContaining("permission denied for function metrics");
    }
  }

  @Test
  void aGrantedRoleSeesEveryUsersInstances() throws SQLException {
    List<Long> before = metrics(postgres.dataSource().getConnection());
    String running;
    String completed;
    String failed;
    String cancelled;
    try (Connection alice = postgres.connectAs(PostgresExtension.ALICE)) {
      InstanceNodesStamps.start(alice, "'SELECT 1'");
      running = InstanceNodesStamps.start(alice, "'SELECT 1'");
      failed = InstanceNodesStamps.start(alice, "'SELECT 1/0'");
      cancelled = InstanceNodesStamps.start(alice, "'SELECT 1'");
      InstanceNodesStamps.cancel(alice, cancelled, "stop");
    }
    try (Connection bob = postgres.connectAs(PostgresExtension.BOB)) {
      completed = InstanceNodesStamps.start(bob, "df.loop('SELECT 1')");
    }
    stamps.stamp(running, stamps.root(running), "running", null, running + "::1");
    stamps.finish(running, "running");
    stamps.stamp(completed, stamps.root(completed), "completed", "1", completed + "::3");
    stamps.stamp(completed, stamps.node(completed, "SELECT 1"), "completed", "1", "0badc0de::9");
    stamps.finish(completed, "completed");
    stamps.stamp(failed, stamps.root(failed), "failed", "\"boom\"", failed + "::1");
    stamps.finish(failed, "failed");
    Queries.execute(postgres.dataSource(), "GRANT EXECUTE ON FUNCTION df.metrics() TO bob");

    List<Long> after;
    try (Connection bob = postgres.connectAs(PostgresExtension.BOB)) {
      after = metrics(bob);
    }

    assertThat(difference(after, before)).containsExactly(5L, 2L, 1L, 2L, 7L, 1L);
  }

  @Test
  void totalEventsCountsTheWholeEventLog() throws SQLException {
    long events = Queries.number(postgres.dataSource(), "SELECT count(*) FROM df_engine.events");

    long reported = metrics(postgres.dataSource().getConnection()).get(5);

    assertThat(reported).isEqualTo(events);
  }

  @Test
  void columnsAreThoseOfTheReference() throws SQLException {
    List<String> names;
    try (Connection connection = postgres.dataSource().getConnection()) {
      names = InstanceNodesStamps.columnNames(connection, METRICS);
    }

    assertThat(names)
        .containsExactly(
            "total_instances",
            "running_instances",
            "completed_instances",
            "failed_instances",
            "total_executions",
            "total_events");
  }

  /** The six counts, read on (and then closing) the connection. */
  private static List<Long> metrics(Connection connection) throws SQLException {
    try (connection) {
      List<List<String>> rows = Queries.rows(connection, METRICS);
      assertThat(rows).hasSize(1);
      return rows.get(0).stream().map(Long::valueOf).toList();
    }
  }

  private static List<Long> difference(List<Long> after, List<Long> before) {
    List<Long> differences = new ArrayList<>();
    for (int index = 0; index < after.size(); index++) {
      differences.add(after.get(index) - before.get(index));
    }
    return differences;
  }
}
