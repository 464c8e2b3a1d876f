package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** df.signal: sending a signal into an instance's inbox (SPEC.md R-SIG-2, R-DIFF-3, R-SEC-10). */
class ControlSignalTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final String INBOX =
      "SELECT name, payload::text, jsonb_typeof(payload), sent_by::text, consumed_at::text"
          + " FROM df_engine.signals WHERE instance_id = ? ORDER BY id";

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
  void signalIsKeptInTheInboxOfTheInstance() throws SQLException {
    String id = start();

    String answer = Queries.text(alice, "SELECT df.signal(?, 'approved', '{\"by\": \"ann\"}')", id);

    assertThat(answer).isEqualTo("OK");
    assertThat(Queries.rows(postgres.dataSource(), INBOX, id))
        .containsExactly(Arrays.asList("approved", "{\"by\": \"ann\"}", "object", "alice", null));
  }

  @Test
  void dataThatIsJsonIsDeliveredAsThatJsonValue() throws SQLException {
    String id = start();

    Queries.text(
        alice,
        "SELECT df.signal(?, 'n', '42'), df.signal(?, 'b', 'true'), df.signal(?, 'a', ' [1, 2] '),"
            + " df.signal(?, 's', '\"quoted\"'), df.signal(?, 'z', 'null')",
        id,
        id,
        id,
        id,
        id);

    assertThat(Queries.rows(postgres.dataSource(), INBOX, id))
        .extracting(row -> row.get(0) + "=" + row.get(1) + ":" + row.get(2))
        .containsExactly(
            "n=42:number",
            "b=true:boolean",
            "a=[1, 2]:array",
            "s=\"quoted\":string",
            "z=null:null");
  }

  @Test
  void dataThatIsNotJsonIsDeliveredAsAJsonString() throws SQLException {
    String id = start();

    Queries.text(
        alice, "SELECT df.signal(?, 'word', 'approve'), df.signal(?, 'broken', '{\"a\":')", id, id);

    assertThat(Queries.rows(postgres.dataSource(), INBOX, id))
        .extracting(row -> row.get(1) + ":" + row.get(2))
        .containsExactly("\"approve\":string", "\"{\\\"a\\\":\":string");
  }

  @Test
  void dataDefaultsToAnEmptyObject() throws SQLException {
    String id = start();

    Queries.text(alice, "SELECT df.signal(?, 'go')", id);

    assertThat(Queries.rows(postgres.dataSource(), INBOX, id))
        .extracting(row -> row.get(1))
        .containsExactly("{}");
  }

  @Test
  void everySignalIsKeptInOrder() throws SQLException {
    String id = start();

    Queries.text(alice, "SELECT df.signal(?, 'step', '1')", id);
    Queries.text(alice, "SELECT df.signal(?, 'step', '2')", id);

    assertThat(Queries.rows(postgres.dataSource(), INBOX, id))
        .extracting(row -> row.get(1))
        .containsExactly("1", "2");
  }

  @Test
  void aSignalToAFinishedInstanceIsAcceptedAndDropped() throws SQLException {
    List<String> answers = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (String status : List.of("completed", "failed", "cancelled")) {
      String id = start();
      Queries.execute(
          postgres.dataSource(), "UPDATE df.instances SET status = ? WHERE id = ?", status, id);
      ids.add(id);

      answers.add(Queries.text(alice, "SELECT df.signal(?, 'late', 'x')", id));
    }

    assertThat(answers).containsExactly("OK", "OK", "OK");
    assertThat(
            Queries.number(
                postgres.dataSource(),
                "SELECT count(*) FROM df_engine.signals WHERE instance_id = ANY (?::text[])",
                "{" + String.join(",", ids) + "}"))
        .isZero();
  }

  @Test
  void aSignalToARunningInstanceIsKept() throws SQLException {
    String id = start();
    Queries.execute(
        postgres.dataSource(), "UPDATE df.instances SET status = 'running' WHERE id = ?", id);

    Queries.text(alice, "SELECT df.signal(?, 'go')", id);

    assertThat(Queries.rows(postgres.dataSource(), INBOX, id)).hasSize(1);
  }

  @Test
  void anUnknownInstanceIsNotFoundOrAccessDenied() {
    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.signal('0badc0de', 'go')"))
        .hasMessageContaining("not found or access denied")
        .hasMessageContaining("0badc0de");
  }

  @Test
  void anotherRolesInstanceIsNotFoundOrAccessDeniedAndGetsNoSignal() throws SQLException {
    String id = start();

    assertThatThrownBy(() -> Queries.text(bob, "SELECT df.signal(?, 'go', 'forged')", id))
        .hasMessageContaining("not found or access denied");
    assertThat(Queries.rows(postgres.dataSource(), INBOX, id)).isEmpty();
  }

  @Test
  void anotherRoleCannotWriteIntoTheInboxDirectly() throws SQLException {
    String id = start();

    assertThatThrownBy(() ->
            Queries.execute(
                bob,
                "INSERT INTO df_engine.signals (instance_id, name, payload) VALUES (?, 'go', '1')",
                id))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"))
        .hasMessageContaining("row-level security");
    assertThat(Queries.rows(postgres.dataSource(), INBOX, id)).isEmpty();
  }

  @Test
  void usersCannotReadTheInbox() throws SQLException {
    String id = start();
    Queries.text(alice, "SELECT df.signal(?, 'go')", id);

    assertThatThrownBy(() -> Queries.text(alice, "SELECT count(*) FROM df_engine.signals"))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
  }

  @Test
  void emptyInstanceIdOrSignalNameIsAnError() throws SQLException {
    String id = start();

    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.signal('', 'go')"))
        .hasMessageContaining("instance_id cannot be empty");
    assertThatThrownBy(() -> Queries.text(alice, "SELECT df.signal(?, '')", id))
        .hasMessageContaining("signal_name cannot be empty");
    assertThat(Queries.rows(postgres.dataSource(), INBOX, id)).isEmpty();
  }

  @Test
  void anyNullArgumentReturnsNullAndSendsNothing() throws SQLException {
    String id = start();

    List<String> answers =
        Queries.rows(
                alice,
                "SELECT df.signal(NULL, 'go'), df.signal(?, NULL), df.signal(?, 'go', NULL)",
                id,
                id)
            .get(0);

    assertThat(answers).containsExactly(null, null, null);
    assertThat(Queries.rows(postgres.dataSource(), INBOX, id)).isEmpty();
  }

  @Test
  void aSuperuserCanSignalAnyInstance() throws SQLException {
    String id = start();

    String answer = Queries.text(postgres.dataSource(), "SELECT df.signal(?, 'ops', 'x')", id);

    assertThat(answer).isEqualTo("OK");
    assertThat(Queries.rows(postgres.dataSource(), INBOX, id))
        .extracting(row -> row.get(3))
        .containsExactly(postgres.superuser());
  }

  @Test
  void aCommittedSignalWakesTheEngines() throws SQLException {
    String id = start();
    try (Connection listener = postgres.dataSource().getConnection()) {
      Queries.execute(listener, "LISTEN df_wakeup");

      Queries.text(alice, "SELECT df.signal(?, 'go')", id);

      PGNotification[] notifications = listener.unwrap(PGConnection.class).getNotifications(10_000);
      assertThat(notifications).extracting(PGNotification::getParameter).contains("signal:" + id);
    }
  }

  @Test
  void aSignalRolledBackWithTheCallersTransactionLeavesNothing() throws SQLException {
    String id = start();
    alice.setAutoCommit(false);

    Queries.text(alice, "SELECT df.signal(?, 'go')", id);
    alice.rollback();

    alice.setAutoCommit(true);
    assertThat(Queries.rows(postgres.dataSource(), INBOX, id)).isEmpty();
  }

  private String start() throws SQLException {
    return Queries.text(alice, "SELECT df.start('SELECT 1')");
  }
}
