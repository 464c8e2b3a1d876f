package dev.durablesql.engine.step;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.engine.claim.ClaimedInstance;
import dev.durablesql.engine.claim.InstanceClaimer;
import dev.durablesql.engine.store.LeaseLostException;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The fence of R-DIFF-1: a step commits only together with its checkpoint, under a live lease. */
class SqlStepTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static Workflows workflows;
  private static RoleConnections connections;

  @BeforeAll
  static void setUp() throws Exception {
    workflows = new Workflows(postgres);
    workflows.executeAsSuperuser(
        "CREATE TABLE public.effects (tag text NOT NULL); GRANT ALL ON public.effects TO alice;");
    connections = new RoleConnections(postgres.jdbcUrl(), 4, 2, Duration.ofSeconds(5));
  }

  @AfterAll
  static void tearDown() {
    connections.close();
  }

  @Test
  void aStaleEnginesStepIsRolledBackWhenAnotherEngineTookTheInstanceOver() throws Exception {
    String id = workflows.start(ALICE, literal("INSERT INTO public.effects VALUES ('stale')"));
    ClaimedInstance stale = claimOnly(id, "engine-a");
    expireLease(id);
    ClaimedInstance current = claimOnly(id, "engine-b");

    assertThatThrownBy(() -> new SqlStep(connections).run(target(stale, id), insert("stale")))
        .isInstanceOf(LeaseLostException.class);

    assertThat(current.epoch()).isEqualTo(stale.epoch() + 1);
    assertThat(count("stale")).isZero();
    assertThat(rootStatus(id)).isEqualTo("pending");
  }

  @Test
  void theCurrentHolderCommitsTheStepAndItsCheckpointTogether() throws Exception {
    String id = workflows.start(ALICE, literal("INSERT INTO public.effects VALUES ('fresh')"));
    ClaimedInstance claim = claimOnly(id, "engine-a");

    StepOutcome outcome = new SqlStep(connections).run(target(claim, id), insert("fresh"));

    assertThat(outcome).isEqualTo(new StepOutcome.Completed("{\"rows\":[],\"row_count\":0}"));
    assertThat(count("fresh")).isEqualTo(1);
    assertThat(rootStatus(id)).isEqualTo("completed");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT status_details ->> 'execution_id' FROM df.nodes n JOIN df.instances i"
                    + " ON i.id = n.instance_id AND n.id = i.root_node WHERE i.id = ?",
                id))
        .isEqualTo(id + "::1");
  }

  @Test
  void aUserCannotForgeACheckpointWithoutTheLeaseToken() throws Exception {
    String id = workflows.start(ALICE, literal("SELECT 1"));
    claimOnly(id, "engine-a");

    try (var alice = postgres.connectAs(ALICE);
        var statement = alice.createStatement()) {
      assertThatThrownBy(() ->
              statement.execute(
                  "SELECT df_engine.checkpoint_step("
                      + literal(id)
                      + ", (SELECT root_node FROM df.instances WHERE id = "
                      + literal(id)
                      + "), gen_random_uuid(), '{\"rows\":[]}', 'forged', 'x', NULL)"))
          .hasMessageContaining("taken over by another engine");
    }
    assertThat(rootStatus(id)).isEqualTo("pending");
  }

  @Test
  void noSessionStateOfAStepReachesTheNextWhetherItsTransactionOrThePoolResetTheSession()
      throws Exception {
    // One connection, so every step and the check below share one session. The first two steps
    // are reset in their own transaction; the third prepared a statement by hand, which the
    // pool's reset deallocates.
    List<String> steps =
        List.of(
            "SELECT set_config('work_mem', '77MB', false), pg_advisory_lock(4243)",
            "CREATE TEMP TABLE scratch (x int)",
            "PREPARE by_hand AS SELECT 1");
    try (RoleConnections single =
        new RoleConnections(postgres.jdbcUrl(), 1, 1, Duration.ofSeconds(5))) {
      for (String sql : steps) {
        String id = workflows.start(ALICE, literal(sql));
        ClaimedInstance claim = claimOnly(id, "engine-a");

        assertThat(new SqlStep(single).run(target(claim, id), sql))
            .isInstanceOf(StepOutcome.Completed.class);

        try (RoleConnections.StepConnection next = single.open(ALICE, Optional.empty());
            var statement = next.connection().createStatement();
            var row =
                statement.executeQuery(
                    "SELECT current_setting('work_mem'), to_regclass('pg_temp.scratch'),"
                        + " (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                        + "   AND pid = pg_backend_pid()),"
                        + " (SELECT count(*) FROM pg_prepared_statements WHERE from_sql)")) {
          row.next();
          assertThat(row.getString(1)).as("after %s", sql).isNotEqualTo("77MB");
          assertThat(row.getString(2)).as("after %s", sql).isNull();
          assertThat(row.getInt(3)).as("after %s", sql).isZero();
          assertThat(row.getInt(4)).as("after %s", sql).isZero();
        }
        assertThat(rootStatus(id)).isEqualTo("completed");
      }
    }
  }

  private static ClaimedInstance claimOnly(String id, String engine) {
    // Other test methods' instances may be due too; claim them all and keep ours.
    List<ClaimedInstance> claimed =
        new InstanceClaimer(postgres.dataSource(), engine, Duration.ofMinutes(5)).claim(100);
    return claimed.stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow();
  }

  private static void expireLease(String id) throws Exception {
    workflows.queryAsSuperuser(
        "UPDATE df_engine.runs SET lease_until = now() - interval '1 second',"
            + " wake_at = now() - interval '1 second' WHERE instance_id = ?"
            + " RETURNING 1",
        id);
  }

  private static SqlStep.Target target(ClaimedInstance claim, String id) throws Exception {
    String root = workflows.queryAsSuperuser("SELECT root_node FROM df.instances WHERE id = ?", id);
    return new SqlStep.Target(
        claim,
        root,
        ALICE,
        Optional.empty(),
        id + "::1",
        StatementWatcher.NONE,
        Optional.empty(),
        id,
        Optional.empty());
  }

  private static String insert(String tag) {
    return "INSERT INTO public.effects VALUES ('" + tag + "')";
  }

  private static int count(String tag) throws Exception {
    return Integer.parseInt(
        workflows.queryAsSuperuser("SELECT count(*)::text FROM public.effects WHERE tag = ?", tag));
  }

  private static String rootStatus(String id) throws Exception {
    return workflows.queryAsSuperuser(
        "SELECT n.status FROM df.nodes n JOIN df.instances i ON i.id = n.instance_id"
            + " AND n.id = i.root_node WHERE i.id = ?",
        id);
  }
}
