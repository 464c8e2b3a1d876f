package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * df.start(…, transaction_mode => 'new') through a loopback dblink session (R-START-3, R-SEC-8),
 * with dblink installed in a schema of its own, off every search_path.
 */
class StartModeTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final int SLOT_LOCK_CLASS = 1346982470;

  private static final String SLOTS_HELD_BY =
      "SELECT objid::int FROM pg_locks WHERE locktype = 'advisory' AND classid = "
          + SLOT_LOCK_CLASS
          + " AND objsubid = 2 AND granted AND pid = ? ORDER BY objid";

  private static String loginRole;
  private static String groupRole;

  private Connection alice;

  @BeforeAll
  static void installDblinkAndRoles() throws SQLException {
    DataSource superuser = postgres.dataSource();
    Queries.execute(superuser, "CREATE SCHEMA extensions");
    Queries.execute(superuser, "CREATE EXTENSION dblink SCHEMA extensions");
    loginRole = postgres.databaseName() + "_carol";
    groupRole = postgres.databaseName() + "_group";
    Queries.execute(superuser, "CREATE ROLE " + loginRole + " LOGIN");
    Queries.execute(superuser, "CREATE ROLE " + groupRole + " NOLOGIN");
    for (String role : List.of(loginRole, groupRole)) {
      Queries.execute(superuser, "SELECT df.grant_usage(?)", role);
      Queries.execute(superuser, "GRANT " + role + " TO " + PostgresExtension.ALICE);
    }
  }

  @AfterAll
  static void dropRoles() throws SQLException {
    for (String role : List.of(loginRole, groupRole)) {
      Queries.execute(postgres.dataSource(), "DROP OWNED BY " + role);
      Queries.execute(postgres.dataSource(), "DROP ROLE " + role);
    }
  }

  @BeforeEach
  void connect() throws SQLException {
    alice = postgres.connectAs(PostgresExtension.ALICE);
  }

  @AfterEach
  void disconnectAndResetSettings() throws SQLException {
    alice.close();
    Queries.execute(postgres.dataSource(), "DELETE FROM df.settings");
  }

  @Test
  void newModeWritesAnInstanceOwnedByTheCaller() throws SQLException {
    String id = Queries.text(alice, "SELECT df.start('SELECT 1', 'launched', NULL, 'new')");

    List<String> instance =
        Queries.rows(
                postgres.dataSource(),
                "SELECT label, submitted_by::text, status FROM df.instances WHERE id = ?",
                id)
            .get(0);
    assertThat(instance).containsExactly("launched", "alice", "pending");
    assertThat(
            Queries.number(
                postgres.dataSource(),
                "SELECT count(*) FROM df_engine.runs WHERE instance_id = ?",
                id))
        .isEqualTo(1);
  }

  @Test
  void newModeIsComparedCaseInsensitively() throws SQLException {
    String id = Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'NeW')");

    assertThat(Queries.number(alice, "SELECT count(*) FROM df.instances WHERE id = ?", id))
        .isEqualTo(1);
  }

  @Test
  void newModeInstanceIsVisibleToTheCallerAtOnce() throws SQLException {
    alice.setAutoCommit(false);

    String id = Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'new')");

    assertThat(Queries.text(alice, "SELECT status FROM df.instances WHERE id = ?", id))
        .isEqualTo("pending");
  }

  @Test
  void newModeLaunchSurvivesTheCallersRollback() throws SQLException {
    alice.setAutoCommit(false);
    String id =
        Queries.text(
            alice, "SELECT df.start('SELECT 1' OPERATOR(df.~>) 'SELECT 2', NULL, NULL, 'new')");

    alice.rollback();

    DataSource superuser = postgres.dataSource();
    assertThat(Queries.number(superuser, "SELECT count(*) FROM df.instances WHERE id = ?", id))
        .isEqualTo(1);
    assertThat(Queries.number(superuser, "SELECT count(*) FROM df.nodes WHERE instance_id = ?", id))
        .isEqualTo(3);
    assertThat(
            Queries.number(
                superuser, "SELECT count(*) FROM df_engine.runs WHERE instance_id = ?", id))
        .isEqualTo(1);
  }

  @Test
  void newModeCapturesOnlyCommittedVariables() throws SQLException {
    Queries.execute(alice, "DELETE FROM df.vars");
    Queries.execute(alice, "INSERT INTO df.vars (name, value) VALUES ('kept', 'committed')");
    alice.setAutoCommit(false);
    Queries.execute(alice, "UPDATE df.vars SET value = 'uncommitted' WHERE name = 'kept'");
    Queries.execute(alice, "INSERT INTO df.vars (name, value) VALUES ('fresh', 'uncommitted')");

    String id = Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'new')");
    alice.rollback();

    assertThat(
            Queries.text(
                postgres.dataSource(),
                "SELECT vars::text FROM df_engine.runs WHERE instance_id = ?",
                id))
        .isEqualTo("{\"kept\": \"committed\"}");
  }

  @Test
  void newModePassesLabelDatabaseAndWorkflowTextUnchanged() throws SQLException {
    String query = "SELECT 'it''s' AS \"q\\\"uoted\", E'back\\\\slash'";
    String label = "o'brien \\ label";
    String database = postgres.databaseName();

    String id = Queries.text(alice, "SELECT df.start(?, ?, ?, 'new')", query, label, database);

    assertThat(
            Queries.rows(
                    postgres.dataSource(),
                    "SELECT i.label, i.database, n.query FROM df.instances i"
                        + " JOIN df.nodes n ON n.instance_id = i.id AND n.id = i.root_node"
                        + " WHERE i.id = ?",
                    id)
                .get(0))
        .containsExactly(label, database, query);
  }

  @Test
  void newSessionLogsInAsTheCurrentRoleAfterSetRole() throws SQLException {
    Queries.execute(alice, "SET ROLE " + loginRole);

    String id = Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'new')");

    assertThat(
            Queries.text(
                postgres.dataSource(),
                "SELECT submitted_by::text FROM df.instances WHERE id = ?",
                id))
        .isEqualTo(loginRole);
  }

  @Test
  void newModeRefusesARoleWithoutLogin() throws SQLException {
    Queries.execute(alice, "SET ROLE " + groupRole);

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'new')"))
        .hasMessageContaining("LOGIN")
        .hasMessageContaining(groupRole);
  }

  @Test
  void newModeIsRefusedInsideAWorkflow() throws SQLException {
    Queries.execute(alice, "SET df.in_workflow = 'true'");
    long instancesBefore = countInstances();

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'new')"))
        .hasMessageContaining("cannot be called inside a workflow");
    assertThat(countInstances()).isEqualTo(instancesBefore);
  }

  @Test
  void callerModeIsAllowedInsideAWorkflow() throws SQLException {
    Queries.execute(alice, "SET df.in_workflow = 'true'");

    String id = Queries.text(alice, "SELECT df.start('SELECT 1')");

    assertThat(Queries.number(alice, "SELECT count(*) FROM df.instances WHERE id = ?", id))
        .isEqualTo(1);
  }

  @Test
  void unknownModeIsRejectedRatherThanDefaulted() throws SQLException {
    long instancesBefore = countInstances();

    assertThatThrownBy(
            () -> Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'newer')"))
        .hasMessageContaining("invalid transaction_mode");
    assertThat(countInstances()).isEqualTo(instancesBefore);
  }

  @Test
  void errorsInTheNewSessionArePrefixedAndReleaseTheSlot() throws SQLException {
    long pid = Queries.number(alice, "SELECT pg_backend_pid()");

    assertThatThrownBy(() ->
            Queries.text(alice, "SELECT df.start(?, NULL, NULL, 'new')", "{\"node_type\":\"X\"}"))
        .hasMessageContaining("df.start() on new transaction failed:")
        .hasMessageContaining("Unknown node_type 'X'");
    assertThat(Queries.column(postgres.dataSource(), SLOTS_HELD_BY, (int) pid)).isEmpty();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() ->
            Queries.number(
                    postgres.dataSource(),
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?",
                    "df.start new transaction")
                == 0);
  }

  @Test
  void successfulStartReleasesItsSlot() throws SQLException {
    long pid = Queries.number(alice, "SELECT pg_backend_pid()");

    Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'new')");

    assertThat(Queries.column(postgres.dataSource(), SLOTS_HELD_BY, (int) pid)).isEmpty();
  }

  @Test
  void launchHoldsTheNextFreeSlotWhileTheNewSessionRuns() throws Exception {
    try (Connection slotHolder = postgres.dataSource().getConnection();
        Connection firstStart = postgres.connectAs(PostgresExtension.ALICE);
        ExecutorService executor = Executors.newSingleThreadExecutor()) {
      Queries.execute(slotHolder, "SELECT pg_advisory_lock(?, 0)", SLOT_LOCK_CLASS);
      // An uncommitted start with the same key makes the new session wait on the key's index.
      firstStart.setAutoCommit(false);
      String first =
          Queries.text(firstStart, "SELECT df.start('SELECT 1', NULL, NULL, 'caller', 'slot-key')");
      long pid = Queries.number(alice, "SELECT pg_backend_pid()");
      Future<String> launched =
          executor.submit(() ->
              Queries.text(alice, "SELECT df.start('SELECT 2', NULL, NULL, 'new', 'slot-key')"));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() ->
              "Lock"
                  .equals(
                      Queries.text(
                          postgres.dataSource(),
                          "SELECT wait_event_type FROM pg_stat_activity"
                              + " WHERE application_name = 'df.start new transaction'")));
      List<String> heldWhileRunning =
          Queries.column(postgres.dataSource(), SLOTS_HELD_BY, (int) pid);
      List<List<String>> newSessions =
          Queries.rows(
              postgres.dataSource(),
              "SELECT usename::text, datname::text FROM pg_stat_activity"
                  + " WHERE application_name = 'df.start new transaction'");

      firstStart.commit();

      assertThat(heldWhileRunning).containsExactly("1");
      assertThat(newSessions).containsExactly(List.of("alice", postgres.databaseName()));
      assertThat(launched.get(20, TimeUnit.SECONDS)).isEqualTo(first);
      assertThat(Queries.column(postgres.dataSource(), SLOTS_HELD_BY, (int) pid)).isEmpty();
    }
  }

  @Test
  void launchTimesOutWhenEveryLaunchSlotIsTaken() throws SQLException {
    Queries.execute(
        postgres.dataSource(),
        "INSERT INTO df.settings VALUES ('new_transaction_start_timeout', '1')");
    long instancesBefore = countInstances();
    try (Connection slotHolder = postgres.dataSource().getConnection()) {
      Queries.execute(
          slotHolder,
          "SELECT pg_advisory_lock(?, 0), pg_advisory_lock(?, 1)",
          SLOT_LOCK_CLASS,
          SLOT_LOCK_CLASS);

      assertThatThrownBy(
              () -> Queries.text(alice, "SELECT df.start('SELECT 1', 'no slot', NULL, 'new')"))
          .hasMessageContaining("max_new_transaction_starts=2")
          .hasMessageContaining("Timed out after 1s waiting for a launch slot");
    }
    assertThat(countInstances()).isEqualTo(instancesBefore);
  }

  @Test
  void slotCountComesFromTheSettings() throws SQLException {
    DataSource superuser = postgres.dataSource();
    Queries.execute(
        superuser,
        "INSERT INTO df.settings VALUES ('max_new_transaction_starts', '1'),"
            + " ('new_transaction_start_timeout', '0.3')");
    try (Connection slotHolder = superuser.getConnection()) {
      Queries.execute(slotHolder, "SELECT pg_advisory_lock(?, 0)", SLOT_LOCK_CLASS);

      assertThatThrownBy(
              () -> Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'new')"))
          .hasMessageContaining("max_new_transaction_starts=1")
          .hasMessageContaining("Timed out after 0.3s waiting for a launch slot");
    }
  }

  @Test
  void keyUsedEarlierInTheCallersTransactionReturnsThatInstance() throws SQLException {
    alice.setAutoCommit(false);
    String first =
        Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'caller', 'own-key')");

    String again = Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'new', 'own-key')");

    assertThat(again).isEqualTo(first);
  }

  @Test
  void keyOfACommittedStartReturnsThatInstance() throws SQLException {
    String first =
        Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'new', 'committed-key')");

    String again =
        Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'caller', 'committed-key')");
    String newAgain =
        Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'new', 'committed-key')");

    assertThat(again).isEqualTo(first);
    assertThat(newAgain).isEqualTo(first);
  }

  private static long countInstances() throws SQLException {
    return Queries.number(postgres.dataSource(), "SELECT count(*) FROM df.instances");
  }
}
