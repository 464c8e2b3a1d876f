package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** df.start with an idempotency_key (R-EXT-6): one instance per role and key. */
class StartKeyTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final String START_WITH_KEY =
      "SELECT df.start('SELECT 1', NULL, NULL, 'caller', ?)";

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
  void sameKeyTwiceInOneTransactionReturnsTheFirstInstance() throws SQLException {
    alice.setAutoCommit(false);

    String first = Queries.text(alice, START_WITH_KEY, "one-transaction");
    String second = Queries.text(alice, START_WITH_KEY, "one-transaction");
    alice.commit();

    assertThat(second).isEqualTo(first);
    assertThat(instancesWithKey("alice", "one-transaction")).isEqualTo(1);
  }

  @Test
  void sameKeyInALaterTransactionReturnsTheCommittedInstance() throws SQLException {
    String first = Queries.text(alice, START_WITH_KEY, "later");

    String second =
        Queries.text(alice, "SELECT df.start('SELECT 2', idempotency_key => ?)", "later");

    assertThat(second).isEqualTo(first);
    assertThat(
            Queries.number(
                postgres.dataSource(), "SELECT count(*) FROM df.instances WHERE id = ?", first))
        .isEqualTo(1);
  }

  @Test
  void keysArePerRole() throws SQLException {
    String alices = Queries.text(alice, START_WITH_KEY, "shared");

    String bobs;
    try (Connection bob = postgres.connectAs(PostgresExtension.BOB)) {
      bobs = Queries.text(bob, START_WITH_KEY, "shared");
    }

    assertThat(bobs).isNotEqualTo(alices);
    assertThat(
            Queries.text(
                postgres.dataSource(),
                "SELECT submitted_by::text FROM df.instances WHERE id = ?",
                bobs))
        .isEqualTo("bob");
  }

  @Test
  void keyAppliesOnlyToTheStartThatGaveIt() throws SQLException {
    alice.setAutoCommit(false);

    String keyed = Queries.text(alice, START_WITH_KEY, "only-this-one");
    String unkeyed = Queries.text(alice, "SELECT df.start('SELECT 1')");
    String otherKey = Queries.text(alice, START_WITH_KEY, "another");
    String settingAfterwards =
        Queries.text(alice, "SELECT current_setting('df.start_idempotency_key', true)");
    alice.commit();

    assertThat(unkeyed).isNotEqualTo(keyed);
    assertThat(otherKey).isNotIn(keyed, unkeyed);
    assertThat(settingAfterwards).isEmpty();
    assertThat(
            Queries.column(
                postgres.dataSource(),
                "SELECT idempotency_key FROM df_engine.start_keys WHERE instance_id IN (?, ?, ?)"
                    + " ORDER BY 1",
                keyed,
                unkeyed,
                otherKey))
        .containsExactly("another", "only-this-one");
  }

  @Test
  void rolledBackStartFreesItsKey() throws SQLException {
    alice.setAutoCommit(false);
    String rolledBack = Queries.text(alice, START_WITH_KEY, "retry-me");
    alice.rollback();
    alice.setAutoCommit(true);

    String started = Queries.text(alice, START_WITH_KEY, "retry-me");

    assertThat(started).isNotEqualTo(rolledBack);
    assertThat(instancesWithKey("alice", "retry-me")).isEqualTo(1);
  }

  @Test
  void concurrentFirstStartsWithOneKeyMakeOneInstance() throws Exception {
    String startLabelled = "SELECT df.start('SELECT 1', ?, NULL, 'caller', 'race')";
    try (Connection other = postgres.connectAs(PostgresExtension.ALICE);
        ExecutorService executor = Executors.newSingleThreadExecutor()) {
      alice.setAutoCommit(false);
      String first = Queries.text(alice, startLabelled, "race-first");
      long otherPid = Queries.number(other, "SELECT pg_backend_pid()");
      Future<String> second =
          executor.submit(() -> Queries.text(other, startLabelled, "race-second"));
      awaitLockWait(otherPid);

      alice.commit();

      assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(first);
      assertThat(
              Queries.column(
                  postgres.dataSource(),
                  "SELECT label FROM df.instances WHERE label LIKE 'race-%'"))
          .containsExactly("race-first");
    }
  }

  @Test
  void waitingStartGoesOnWhenTheFirstRollsBack() throws Exception {
    try (Connection other = postgres.connectAs(PostgresExtension.ALICE);
        ExecutorService executor = Executors.newSingleThreadExecutor()) {
      alice.setAutoCommit(false);
      String first = Queries.text(alice, START_WITH_KEY, "abandoned");
      long otherPid = Queries.number(other, "SELECT pg_backend_pid()");
      Future<String> second =
          executor.submit(() -> Queries.text(other, START_WITH_KEY, "abandoned"));
      awaitLockWait(otherPid);

      alice.rollback();

      String started = second.get(10, TimeUnit.SECONDS);
      assertThat(started).isNotEqualTo(first);
      assertThat(
              Queries.text(
                  postgres.dataSource(),
                  "SELECT instance_id FROM df_engine.start_keys"
                      + " WHERE submitted_by = 'alice'::regrole AND idempotency_key = 'abandoned'"))
          .isEqualTo(started);
    }
  }

  @Test
  void superuserKeysAreItsOwn() throws SQLException {
    String alices = Queries.text(alice, START_WITH_KEY, "superuser-too");
    Queries.execute(
        postgres.dataSource(),
        "INSERT INTO df.settings VALUES ('enable_superuser_instances', 'on')");
    try {

      String superusers = Queries.text(postgres.dataSource(), START_WITH_KEY, "superuser-too");

      assertThat(superusers).isNotEqualTo(alices);
    } finally {
      Queries.execute(
          postgres.dataSource(),
          "DELETE FROM df.settings WHERE name = 'enable_superuser_instances'");
    }
  }

  @Test
  void emptyKeyIsRejected() {
    assertThatThrownBy(() -> Queries.text(alice, START_WITH_KEY, ""))
        .hasMessageContaining("idempotency_key must not be empty");
  }

  @Test
  void usersSeeOnlyTheirOwnKeys() throws SQLException {
    Queries.text(alice, START_WITH_KEY, "private");

    try (Connection bob = postgres.connectAs(PostgresExtension.BOB)) {
      assertThat(
              Queries.number(
                  bob,
                  "SELECT count(*) FROM df_engine.start_keys WHERE idempotency_key = 'private'"))
          .isZero();
    }
    assertThat(
            Queries.number(
                alice,
                "SELECT count(*) FROM df_engine.start_keys WHERE idempotency_key = 'private'"))
        .isEqualTo(1);
  }

  private static long instancesWithKey(String role, String key) throws SQLException {
    return Queries.number(
        postgres.dataSource(),
        "SELECT count(*) FROM df_engine.start_keys k JOIN df.instances i ON i.id = k.instance_id"
            + " WHERE k.submitted_by = ?::regrole AND k.idempotency_key = ?",
        role,
        key);
  }

  private static void awaitLockWait(long pid) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() ->
            "Lock"
                .equals(
                    Queries.text(
                        postgres.dataSource(),
                        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = ?",
                        (int) pid)));
  }
}
