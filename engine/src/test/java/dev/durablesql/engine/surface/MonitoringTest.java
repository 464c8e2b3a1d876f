package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** df.status, df.result, df.await_instance and the compatibility functions (SPEC.md §12, §16). */
class MonitoringTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

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
  void statusAndResultAreNullForAnUnknownId() throws SQLException {
    List<String> answers =
        Queries.rows(alice, "SELECT df.status('0badc0de'), df.result('0badc0de')").get(0);

    assertThat(answers).containsExactly(null, null);
  }

  @Test
  void statusAndResultAreNullForNull() throws SQLException {
    List<String> answers = Queries.rows(alice, "SELECT df.status(NULL), df.result(NULL)").get(0);

    assertThat(answers).containsExactly(null, null);
  }

  @Test
  void statusIsTheStoredStatus() throws SQLException {
    String id = start();
    setInstanceStatus(id, "running");

    String status = Queries.text(alice, "SELECT df.status(?)", id);

    assertThat(status).isEqualTo("running");
  }

  @Test
  void statusOfALabelIsNull() throws SQLException {
    Queries.text(alice, "SELECT df.start('SELECT 1', 'my-label')");

    String status = Queries.text(alice, "SELECT df.status('my-label')");

    assertThat(status).isNull();
  }

  @Test
  void resultIsTheRootResultInJsonbRenderingOnceTheRootCompleted() throws SQLException {
    String id = start();
    setRoot(id, "completed", "{\"row_count\":1,\"rows\":[{\"doubled\":42}]}");

    String result = Queries.text(alice, "SELECT df.result(?)", id);

    assertThat(result).isEqualTo("{\"rows\": [{\"doubled\": 42}], \"row_count\": 1}");
  }

  @Test
  void resultIsNullWhileTheRootHasNotCompleted() throws SQLException {
    String pending = start();
    String running = start();
    setRoot(running, "running", null);
    String failed = start();
    setRoot(failed, "failed", "\"division by zero\"");
    setInstanceStatus(failed, "failed");

    List<String> results =
        Queries.rows(
                alice, "SELECT df.result(?), df.result(?), df.result(?)", pending, running, failed)
            .get(0);

    assertThat(results).containsExactly(null, null, null);
  }

  @Test
  void resultOfAnotherRolesInstanceIsNull() throws SQLException {
    String id = start();
    setRoot(id, "completed", "\"done\"");

    try (Connection bob = postgres.connectAs(PostgresExtension.BOB)) {
      String seenByBob = Queries.text(bob, "SELECT df.result(?)", id);
      String seenByAlice = Queries.text(alice, "SELECT df.result(?)", id);

      assertThat(seenByBob).isNull();
      assertThat(seenByAlice).isEqualTo("\"done\"");
    }
  }

  @Test
  void awaitReturnsCompletedWhenAnotherSessionCompletesTheInstance() throws Exception {
    assertThat(awaitWhileAnotherSessionSets("completed")).isEqualTo("completed");
  }

  @Test
  void awaitReturnsFailedWhenAnotherSessionFailsTheInstance() throws Exception {
    assertThat(awaitWhileAnotherSessionSets("failed")).isEqualTo("failed");
  }

  @Test
  void awaitReturnsCancelledWhenAnotherSessionCancelsTheInstance() throws Exception {
    assertThat(awaitWhileAnotherSessionSets("cancelled")).isEqualTo("cancelled");
  }

  @Test
  void awaitReturnsAtOnceForAFinishedInstance() throws SQLException {
    String id = start();
    setInstanceStatus(id, "completed");

    String status = Queries.text(alice, "SELECT df.await_instance(?, 1)", id);

    assertThat(status).isEqualTo("completed");
  }

  @Test
  void awaitOfAnUnknownIdNamesIt() {
    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.await_instance('0badc0de')"))
        .hasMessageContaining("Instance not found: 0badc0de");
  }

  @Test
  void awaitOfAnotherRolesInstanceBehavesAsUnknown() throws SQLException {
    String id = start();

    try (Connection bob = postgres.connectAs(PostgresExtension.BOB)) {

      assertThatThrownBy(() -> Queries.text(bob, "SELECT df.await_instance(?, 1)", id))
          .hasMessageContaining("Instance not found: " + id);
    }
  }

  @Test
  void awaitTimesOutNamingTheTimeoutTheIdAndTheLastStatus() throws SQLException {
    String id = start();

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.await_instance(?, 1)", id))
        .hasMessageContaining("1 second")
        .hasMessageContaining(id)
        .hasMessageContaining("pending");
  }

  @Test
  void awaitRejectsATimeoutThatIsNotPositive() throws SQLException {
    String id = start();

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.await_instance(?, 0)", id))
        .hasMessageContaining("timeout");
  }

  @Test
  void awaitRefusesToRunInsideAWorkflow() throws SQLException {
    String id = start();
    setInstanceStatus(id, "completed");
    Queries.execute(alice, "SET df.in_workflow = 'true'");

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.await_instance(?, 1)", id))
        .hasMessageContaining("cannot be called inside a workflow");
  }

  @Test
  void waitForCompletionWarnsThatItIsDeprecatedAndAwaits() throws SQLException {
    String id = start();
    setInstanceStatus(id, "failed");

    List<String> warnings = new ArrayList<>();
    String status;
    try (PreparedStatement statement =
            alice.prepareStatement("SELECT df.wait_for_completion(?, 1)");
        ResultSet result = executeQuery(statement, id)) {
      result.next();
      status = result.getString(1);
      for (SQLWarning warning = statement.getWarnings();
          warning != null;
          warning = warning.getNextWarning()) {
        warnings.add(warning.getMessage());
      }
    }

    assertThat(status).isEqualTo("failed");
    assertThat(warnings).anyMatch(warning -> warning.contains("deprecated"));
  }

  @Test
  void versionIsSemverWithABuildTimestamp() throws SQLException {
    String version = Queries.text(alice, "SELECT df.version()");

    assertThat(version).matches("^\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)? \\(built \\S.*\\)$");
  }

  @Test
  void targetDatabaseIsTheDatabaseHoldingTheSchema() throws SQLException {
    String target = Queries.text(alice, "SELECT df.target_database()");

    assertThat(target).isEqualTo(postgres.databaseName());
  }

  @Test
  void duroxideSchemaHoldsTheReadinessTable() throws SQLException {
    String schema = Queries.text(alice, "SELECT df.duroxide_schema()");

    List<List<String>> columns =
        Queries.rows(
            alice,
            "SELECT column_name, data_type FROM information_schema.columns"
                + " WHERE table_schema = ? AND table_name = '_worker_ready'"
                + " ORDER BY ordinal_position",
            schema);
    assertThat(columns)
        .containsExactly(
            List.of("sentinel", "boolean"),
            List.of("schema_version", "integer"),
            List.of("initialized_at", "timestamp with time zone"));
    assertThat(
            Queries.text(
                postgres.dataSource(),
                "SELECT a.attname FROM pg_index i"
                    + " JOIN pg_attribute a"
                    + " ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)"
                    + " WHERE i.indrelid = (quote_ident(?) || '._worker_ready')::regclass"
                    + " AND i.indisprimary",
                schema))
        .isEqualTo("sentinel");
  }

  private String awaitWhileAnotherSessionSets(String status) throws Exception {
    String id = start();
    try (Connection waiting = postgres.connectAs(PostgresExtension.ALICE);
        ExecutorService executor = Executors.newSingleThreadExecutor()) {
      long pid = Queries.number(waiting, "SELECT pg_backend_pid()");
      Future<String> awaited =
          executor.submit(() -> Queries.text(waiting, "SELECT df.await_instance(?, 30)", id));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() ->
              "PgSleep"
                  .equals(
                      Queries.text(
                          postgres.dataSource(),
                          "SELECT wait_event FROM pg_stat_activity WHERE pid = ?",
                          (int) pid)));

      setInstanceStatus(id, status);

      return awaited.get(10, TimeUnit.SECONDS);
    }
  }

  private String start() throws SQLException {
    return Queries.text(alice, "SELECT df.start('SELECT 1')");
  }

  private static void setInstanceStatus(String id, String status) throws SQLException {
    Queries.execute(
        postgres.dataSource(), "UPDATE df.instances SET status = ? WHERE id = ?", status, id);
  }

  private static void setRoot(String id, String status, String result) throws SQLException {
    Queries.execute(
        postgres.dataSource(),
        "UPDATE df.nodes n SET status = ?, result = ?::jsonb FROM df.instances i"
            + " WHERE i.id = ? AND n.instance_id = i.id AND n.id = i.root_node",
        status,
        result,
        id);
  }

  private static ResultSet executeQuery(PreparedStatement statement, String id)
      throws SQLException {
    statement.setString(1, id);
    return statement.executeQuery();
  }
}
