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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** df.cancel and the df.run stub (SPEC.md R-SIG-5, §3.2, R-DSL-6, R-SEC-10). */
class ControlCancelTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final String CANCEL_EVENTS =
      "SELECT detail->>'reason' FROM df_engine.events"
          + " WHERE instance_id = ? AND kind = 'cancel_requested' ORDER BY id";

  private Connection alice;
  private Connection bob;

  @BeforeEach
  void connect() throws SQLException {
    alice = postgres.connectAs(PostgresExtension.ALICE);
    bob = postgres.connectAs(PostgresExtension.BOB);
  }

  @AfterEach
  void disconnect() throws SQLException {
    alice.close();
    bob.close();
  }

  @Test
  void cancelSetsTheStatusAtOnceAndSaysSo() throws SQLException {
    String id = start();

    String answer = Queries.text(alice, "SELECT df.cancel(?)", id);

    assertThat(answer).isEqualTo("Instance " + id + " cancelled: Cancelled by user");
    assertThat(Queries.text(alice, "SELECT df.status(?)", id)).isEqualTo("cancelled");
  }

  @Test
  void cancelRecordsTheReasonForTheEngines() throws SQLException {
    String id = start();

    String answer = Queries.text(alice, "SELECT df.cancel(?, 'customer withdrew')", id);

    assertThat(answer).isEqualTo("Instance " + id + " cancelled: customer withdrew");
    assertThat(Queries.column(postgres.dataSource(), CANCEL_EVENTS, id))
        .containsExactly("customer withdrew");
  }

  @Test
  void cancelBumpsUpdatedAt() throws SQLException {
    String id = start();
    Queries.execute(
        postgres.dataSource(),
        "UPDATE df.instances SET updated_at = now() - interval '1 hour' WHERE id = ?",
        id);

    Queries.text(alice, "SELECT df.cancel(?)", id);

    assertThat(
            Queries.text(
                alice,
                "SELECT updated_at > now() - interval '1 minute' FROM df.instances WHERE id = ?",
                id))
        .isEqualTo("t");
  }

  @Test
  void cancelOfARunningInstanceCancelsIt() throws SQLException {
    String id = start();
    setStatus(id, "running");

    Queries.text(alice, "SELECT df.cancel(?)", id);

    assertThat(Queries.text(alice, "SELECT df.status(?)", id)).isEqualTo("cancelled");
  }

  @Test
  void cancellingAFinishedInstanceKeepsItsStatusAndAnswersTheSame() throws SQLException {
    for (String status : List.of("completed", "failed", "cancelled")) {
      String id = start();
      setStatus(id, status);
      List<String> eventsBefore = Queries.column(postgres.dataSource(), CANCEL_EVENTS, id);

      String answer = Queries.text(alice, "SELECT df.cancel(?, 'too late')", id);

      assertThat(answer).isEqualTo("Instance " + id + " cancelled: too late");
      assertThat(Queries.text(alice, "SELECT df.status(?)", id)).isEqualTo(status);
      assertThat(Queries.column(postgres.dataSource(), CANCEL_EVENTS, id))
          .containsExactlyElementsOf(eventsBefore);
    }
  }

  @Test
  void cancellingTwiceRecordsOneCancellation() throws SQLException {
    String id = start();

    Queries.text(alice, "SELECT df.cancel(?, 'first')", id);
    Queries.text(alice, "SELECT df.cancel(?, 'second')", id);

    assertThat(Queries.column(postgres.dataSource(), CANCEL_EVENTS, id)).containsExactly("first");
  }

  @Test
  void theReasonDoesNotOutliveTheCancel() throws SQLException {
    String id = start();
    String other = start();
    alice.setAutoCommit(false);

    Queries.text(alice, "SELECT df.cancel(?, 'only for the first')", id);
    Queries.execute(alice, "UPDATE df.instances SET status = 'cancelled' WHERE id = ?", other);
    alice.commit();

    alice.setAutoCommit(true);
    assertThat(Queries.column(postgres.dataSource(), CANCEL_EVENTS, other))
        .containsExactly((String) null);
  }

  @Test
  void anUnknownInstanceIsNotFoundOrAccessDenied() {
    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.cancel('0badc0de')"))
        .hasMessageContaining("not found or access denied")
        .hasMessageContaining("0badc0de");
  }

  @Test
  void anotherRoleCannotCancelAnInstance() throws SQLException {
    String id = start();

    assertThatThrownBy(() -> Queries.text(bob, "SELECT df.cancel(?, 'sabotage')", id))
        .hasMessageContaining("not found or access denied");
    assertThat(Queries.text(alice, "SELECT df.status(?)", id)).isEqualTo("pending");
    assertThat(Queries.column(postgres.dataSource(), CANCEL_EVENTS, id)).isEmpty();
  }

  @Test
  void anotherRoleSeesNothingOfAnInstance() throws SQLException {
    String id = start();

    List<String> seenByBob =
        Queries.rows(
                bob,
                "SELECT df.status(?), df.result(?),"
                    + " (SELECT count(*) FROM df.instances WHERE id = ?)::text,"
                    + " (SELECT count(*) FROM df.nodes WHERE instance_id = ?)::text",
                id,
                id,
                id,
                id)
            .get(0);

    assertThat(seenByBob).containsExactly(null, null, "0", "0");
    assertThat(Queries.text(alice, "SELECT df.status(?)", id)).isEqualTo("pending");
  }

  @Test
  void anyNullArgumentReturnsNullAndCancelsNothing() throws SQLException {
    String id = start();

    List<String> answers =
        Queries.rows(alice, "SELECT df.cancel(NULL), df.cancel(?, NULL)", id).get(0);

    assertThat(answers).containsExactly(null, null);
    assertThat(Queries.text(alice, "SELECT df.status(?)", id)).isEqualTo("pending");
  }

  @Test
  void aSuperuserCanCancelAnyInstance() throws SQLException {
    String id = start();

    Queries.text(postgres.dataSource(), "SELECT df.cancel(?, 'ops')", id);

    assertThat(Queries.text(alice, "SELECT df.status(?)", id)).isEqualTo("cancelled");
  }

  @Test
  void aCommittedCancelWakesTheEngines() throws SQLException {
    String id = start();
    try (Connection listener = postgres.dataSource().getConnection()) {
      Queries.execute(listener, "LISTEN df_wakeup");

      Queries.text(alice, "SELECT df.cancel(?)", id);

      PGNotification[] notifications = listener.unwrap(PGConnection.class).getNotifications(10_000);
      assertThat(notifications).extracting(PGNotification::getParameter).contains("cancel:" + id);
    }
  }

  @Test
  void aCancelRolledBackWithTheCallersTransactionChangesNothing() throws SQLException {
    String id = start();
    alice.setAutoCommit(false);

    Queries.text(alice, "SELECT df.cancel(?)", id);
    alice.rollback();

    alice.setAutoCommit(true);
    assertThat(Queries.text(alice, "SELECT df.status(?)", id)).isEqualTo("pending");
    assertThat(Queries.column(postgres.dataSource(), CANCEL_EVENTS, id)).isEmpty();
  }

  @Test
  void awaitReturnsCancelledWhenAnotherSessionCancels() throws Exception {
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

      Queries.text(alice, "SELECT df.cancel(?)", id);

      assertThat(awaited.get(10, TimeUnit.SECONDS)).isEqualTo("cancelled");
    }
  }

  @Test
  void awaitMarksItsResultAsNoWorkflowStepForTheStatement() throws SQLException {
    String id = start();
    Queries.text(alice, "SELECT df.cancel(?)", id);

    List<String> marked =
        Queries.rows(
                alice,
                "SELECT df.await_instance(?, 1), current_setting('df.non_future_helper'),"
                    + " statement_timestamp()::text",
                id)
            .get(0);

    assertThat(marked.get(0)).isEqualTo("cancelled");
    assertThat(marked.get(1)).isEqualTo("df.await_instance()\n" + marked.get(2));
  }

  @Test
  void awaitsResultCannotBecomeAWorkflowStep() throws SQLException {
    String id = start();
    Queries.text(alice, "SELECT df.cancel(?)", id);
    long instancesBefore = Queries.number(alice, "SELECT count(*) FROM df.instances");

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.start(df.await_instance(?, 1))", id))
        .hasMessageContaining("df.await_instance() cannot be used as a workflow step");
    assertThat(Queries.number(alice, "SELECT count(*) FROM df.instances"))
        .isEqualTo(instancesBefore);
  }

  @Test
  void runIsANoOpThatSaysWhatItWouldTrigger() throws SQLException {
    String id = start();

    List<String> answers = Queries.rows(alice, "SELECT df.run(), df.run(?)", id).get(0);

    assertThat(answers.get(0)).startsWith("Triggered run for ");
    assertThat(answers.get(1)).isEqualTo("Triggered run for instance " + id);
    assertThat(Queries.text(alice, "SELECT df.status(?)", id)).isEqualTo("pending");
  }

  private String start() throws SQLException {
    return Queries.text(alice, "SELECT df.start('SELECT 1')");
  }

  private static void setStatus(String id, String status) throws SQLException {
    Queries.execute(
        postgres.dataSource(), "UPDATE df.instances SET status = ? WHERE id = ?", status, id);
  }
}
