package dev.durablesql.engine.run;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.PostgresExtension.BOB;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.claim.ClaimedInstance;
import dev.durablesql.engine.claim.InstanceClaimer;
import dev.durablesql.engine.step.RoleConnections;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * R-EXT-7: engines share their capacity among submitting roles, least-served role first, and keep
 * each role within the quota df.settings gives it, counted across engines. Ordering and counts are
 * asserted, never wall time.
 */
class FairnessTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static Workflows workflows;

  @BeforeAll
  static void setUp() {
    workflows = new Workflows(postgres);
  }

  @AfterEach
  void removeInstancesAndQuotas() throws SQLException {
    workflows.executeAsSuperuser(
        "BEGIN; SET CONSTRAINTS ALL DEFERRED; DELETE FROM df.nodes; DELETE FROM df.instances;"
            + " DELETE FROM df.settings WHERE name LIKE 'max_running_instances%'; COMMIT;");
  }

  @Test
  void aClaimInterleavesRolesAndServesTheLeastServedRoleFirst() throws Exception {
    startMany(ALICE, "SELECT 1", 2000);
    String bobs = workflows.start(BOB, literal("SELECT 2"));
    InstanceClaimer claimer =
        new InstanceClaimer(postgres.dataSource(), "claims-test", Duration.ofSeconds(30));

    List<ClaimedInstance> firstTwo = claimer.claim(2);
    List<String> nextFive = rolesOf(claimer.claim(5));
    String later = workflows.start(BOB, literal("SELECT 3"));
    List<ClaimedInstance> one = claimer.claim(1);

    assertThat(rolesOf(firstTwo)).containsExactlyInAnyOrder(ALICE, BOB);
    assertThat(firstTwo).extracting(ClaimedInstance::id).contains(bobs);
    assertThat(nextFive).containsOnly(ALICE).hasSize(5);
    // Every one of alice's 1 994 queued rows is older, but she runs 6 and bob none.
    assertThat(one).extracting(ClaimedInstance::id).containsExactly(later);
  }

  @Test
  void aQuotaCapsTheClaimsOfEveryEngineTogether() throws Exception {
    setQuota(ALICE, "3");
    startMany(ALICE, "SELECT 1", 20);
    InstanceClaimer first =
        new InstanceClaimer(postgres.dataSource(), "engine-a", Duration.ofSeconds(30));
    InstanceClaimer second =
        new InstanceClaimer(postgres.dataSource(), "engine-b", Duration.ofSeconds(30));

    List<String> byFirst = rolesOf(first.claim(2));
    String bobs = workflows.start(BOB, literal("SELECT 2"));
    List<ClaimedInstance> bySecond = second.claim(10);
    List<ClaimedInstance> atQuota = first.claim(10);
    setQuota(ALICE, "0");
    List<ClaimedInstance> paused = second.claim(10);
    workflows.executeAsSuperuser(
        "DELETE FROM df.settings WHERE name = 'max_running_instances:alice'");
    List<ClaimedInstance> unlimited = second.claim(10);

    assertThat(byFirst).containsOnly(ALICE).hasSize(2);
    assertThat(rolesOf(bySecond)).containsExactlyInAnyOrder(ALICE, BOB);
    assertThat(bySecond).extracting(ClaimedInstance::id).contains(bobs);
    assertThat(atQuota).isEmpty();
    assertThat(paused).isEmpty();
    assertThat(unlimited).hasSize(10);
  }

  @Test
  void aQuotaMustBeAWholeNumber() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> setQuota(ALICE, "two"))
        .hasMessageContaining("settings_max_running_instances_check");
  }

  @Test
  void anotherRolesSingleInstanceOvertakesABacklogOfTwoThousand() throws Exception {
    startMany(ALICE, "SELECT 1", 2000);

    String bobs;
    try (Engine engine = Engine.start(postgres.engineConfig("fair-engine").withCapacity(8, 8))) {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> count("SELECT count(*) FROM df.instances WHERE status = 'completed'") >= 20);
      bobs = workflows.start(BOB, literal("SELECT 'bob'"));
      assertThat(workflows.awaitTerminal(bobs)).isEqualTo("completed");
    }

    long aheadOfBob =
        count(
            "SELECT count(*) FROM df.instances a, df.instances b WHERE b.id = '"
                + bobs
                + "' AND a.submitted_by = 'alice'::regrole AND a.completed_at > b.created_at"
                + " AND a.completed_at <= b.completed_at");
    long aliceLeft =
        count(
            "SELECT count(*) FROM df.instances a, df.instances b WHERE b.id = '"
                + bobs
                + "' AND a.submitted_by = 'alice'::regrole"
                + " AND (a.completed_at IS NULL OR a.completed_at > b.completed_at)");
    // FIFO would have put bob behind everything alice had queued. With 8 slots, bob's instance is
    // claimed at the first free one; alice's that end meanwhile are the ones already running.
    assertThat(aheadOfBob).isLessThan(100);
    assertThat(aliceLeft).isGreaterThan(1000);
  }

  @Test
  void aRoleAtItsQuotaWaitsWhileOthersRunAndRemovingTheQuotaLetsTheRestProceed() throws Exception {
    setQuota(ALICE, "2");
    startMany(ALICE, "SELECT pg_sleep(1)", 10);
    List<String> bobs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      bobs.add(workflows.start(BOB, literal("SELECT pg_sleep(0.1)")));
    }
    AtomicInteger mostRunning = new AtomicInteger();
    AtomicInteger mostMarkedRunning = new AtomicInteger();
    AtomicInteger mostRunningWithoutQuota = new AtomicInteger();
    AtomicInteger quotaRemoved = new AtomicInteger();
    Thread sampler =
        Thread.ofVirtual()
            .start(() -> {
              while (!Thread.currentThread().isInterrupted()) {
                try {
                  int running = aliceRunning();
                  int marked =
                      (int)
                          count(
                              "SELECT count(*) FROM df.instances WHERE status = 'running'"
                                  + " AND submitted_by = 'alice'::regrole");
                  if (quotaRemoved.get() == 0) {
                    mostRunning.accumulateAndGet(running, Math::max);
                    mostMarkedRunning.accumulateAndGet(marked, Math::max);
                  } else {
                    mostRunningWithoutQuota.accumulateAndGet(running, Math::max);
                  }
                  Thread.sleep(20);
                } catch (InterruptedException e) {
                  return;
                } catch (SQLException e) {
                  throw new IllegalStateException(e);
                }
              }
            });

    long aliceDoneWhenBobWas;
    try (Engine one = Engine.start(postgres.engineConfig("quota-engine-1"));
        Engine two = Engine.start(postgres.engineConfig("quota-engine-2"))) {
      for (String bob : bobs) {
        assertThat(workflows.awaitTerminal(bob)).isEqualTo("completed");
      }
      aliceDoneWhenBobWas = aliceCompleted();
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> aliceCompleted() >= 2);

      quotaRemoved.set(1);
      workflows.executeAsSuperuser(
          "DELETE FROM df.settings WHERE name = 'max_running_instances:alice'");
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> aliceCompleted() == 10);
    } finally {
      sampler.interrupt();
      sampler.join();
    }

    assertThat(aliceDoneWhenBobWas).as("alice's instances done when bob's were").isLessThan(6);
    assertThat(mostRunning.get()).as("alice's claimed instances under the quota").isEqualTo(2);
    assertThat(mostMarkedRunning.get())
        .as("alice's instances marked running")
        .isLessThanOrEqualTo(2);
    assertThat(mostRunningWithoutQuota.get())
        .as("alice's claimed instances after")
        .isGreaterThan(2);
  }

  @Test
  void aRoleWhoseStepsWaitForItsOwnSlotsLeavesTheGlobalOnesToOthers() throws Exception {
    try (RoleConnections connections =
        new RoleConnections(postgres.jdbcUrl(), 2, 1, Duration.ofSeconds(10))) {
      RoleConnections.StepConnection alicesFirst = connections.open(ALICE, Optional.empty());
      AtomicReference<RoleConnections.StepConnection> alicesSecond = new AtomicReference<>();
      Thread waiting =
          Thread.ofVirtual()
              .start(() -> {
                try {
                  alicesSecond.set(connections.open(ALICE, Optional.empty()));
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() ->
              waiting.getState() == Thread.State.WAITING
                  || waiting.getState() == Thread.State.TIMED_WAITING);

      // Two global slots: alice's waiting step must not hold the second one.
      try (RoleConnections.StepConnection bobs = connections.open(BOB, Optional.empty());
          Statement statement = bobs.connection().createStatement();
          ResultSet row = statement.executeQuery("SELECT current_user")) {
        row.next();
        assertThat(row.getString(1)).isEqualTo(BOB);
      }
      alicesFirst.close();
      waiting.join();
      alicesSecond.get().close();
    }
  }

  private static void startMany(String role, String sql, int count) throws SQLException {
    try (Connection connection = postgres.connectAs(role);
        Statement statement = connection.createStatement()) {
      statement.execute(
          "SELECT count(df.start(" + literal(sql) + ")) FROM generate_series(1, " + count + ")");
    }
  }

  private static void setQuota(String role, String value) throws SQLException {
    workflows.executeAsSuperuser(
        "INSERT INTO df.settings VALUES ('max_running_instances:"
            + role
            + "', '"
            + value
            + "') ON CONFLICT (name) DO UPDATE SET value = excluded.value");
  }

  private static int aliceRunning() throws SQLException {
    return (int)
        count(
            "SELECT count(*) FROM df_engine.runs WHERE submitted_by = 'alice'::regrole"
                + " AND lease_owner IS NOT NULL AND lease_until >= now()");
  }

  private static long aliceCompleted() throws SQLException {
    return count(
        "SELECT count(*) FROM df.instances WHERE status = 'completed'"
            + " AND submitted_by = 'alice'::regrole");
  }

  private static List<String> rolesOf(List<ClaimedInstance> claimed) throws SQLException {
    List<String> roles = new ArrayList<>();
    for (ClaimedInstance instance : claimed) {
      roles.add(
          workflows.queryAsSuperuser(
              "SELECT submitted_by::text FROM df.instances WHERE id = ?", instance.id()));
    }
    return roles;
  }

  private static long count(String sql) throws SQLException {
    try (Connection connection = postgres.dataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(sql)) {
      row.next();
      return row.getLong(1);
    }
  }
}
