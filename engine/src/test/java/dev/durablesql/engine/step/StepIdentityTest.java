package dev.durablesql.engine.step;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** R-EXEC-8 and R-SEC-6: where and as whom steps run, and the step-connection cap. */
class StepIdentityTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private final Workflows workflows = new Workflows(postgres);

  @Test
  void aStepRunsInTheDatabaseGivenToDfStart() throws Exception {
    String other = postgres.databaseName() + "_other";
    try (Connection admin = postgres.connectToDatabase("postgres");
        Statement statement = admin.createStatement()) {
      statement.execute("CREATE DATABASE " + other);
    }
    String id;
    try (Connection alice = postgres.connectAs(ALICE);
        Statement statement = alice.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT df.start('SELECT current_database() AS db, current_user AS me', NULL, "
                    + literal(other)
                    + ")")) {
      row.next();
      id = row.getString(1);
    }

    try (Engine engine = Engine.start(postgres.engineConfig("multi-database-engine"))) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    }

    assertThat(workflows.result(id))
        .contains("\"db\": \"" + other + "\"")
        .contains("\"me\": \"alice\"");
  }

  @Test
  void aRoleThatLostLoginFailsItsNextStepWithTheReason() throws Exception {
    workflows.executeAsSuperuser(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'frank') THEN"
            + " CREATE ROLE frank LOGIN; END IF; END $$; SELECT df.grant_usage('frank');");
    String id = workflows.start("frank", literal("SELECT 1"));
    workflows.executeAsSuperuser("ALTER ROLE frank NOLOGIN");

    try (Engine engine = Engine.start(postgres.engineConfig("nologin-engine"))) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    } finally {
      workflows.executeAsSuperuser("ALTER ROLE frank LOGIN");
    }

    assertThat(
            workflows.queryAsSuperuser(
                "SELECT result #>> '{}' FROM df.nodes WHERE instance_id = ?", id))
        .contains("LOGIN");
  }

  @Test
  void aPooledSessionOfARoleThatLostLoginCannotCommitAStep() throws Exception {
    workflows.executeAsSuperuser(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gina') THEN"
            + " CREATE ROLE gina LOGIN; END IF; END $$; SELECT df.grant_usage('gina');"
            + " CREATE TABLE public.gina_effects (n int); GRANT ALL ON public.gina_effects TO gina;");
    try (Engine engine = Engine.start(postgres.engineConfig("pooled-nologin-engine"))) {
      String first = workflows.start("gina", literal("INSERT INTO public.gina_effects VALUES (1)"));
      assertThat(workflows.awaitTerminal(first)).isEqualTo("completed");
      workflows.executeAsSuperuser("ALTER ROLE gina NOLOGIN");
      String second;
      try {
        second = startAsSuperuserFor("gina", "INSERT INTO public.gina_effects VALUES (2)");
        assertThat(workflows.awaitTerminal(second)).isEqualTo("failed");
      } finally {
        workflows.executeAsSuperuser("ALTER ROLE gina LOGIN");
      }

      assertThat(
              workflows.queryAsSuperuser(
                  "SELECT result #>> '{}' FROM df.nodes WHERE instance_id = ?", second))
          .contains("LOGIN");
    }
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT string_agg(n::text, ',') FROM public.gina_effects WHERE ?::text IS NOT NULL",
                "x"))
        .isEqualTo("1");
  }

  /** df.start on behalf of a role that cannot log in: SET ROLE from the superuser. */
  private String startAsSuperuserFor(String role, String sql) throws Exception {
    try (Connection admin = postgres.dataSource().getConnection();
        Statement statement = admin.createStatement()) {
      // df.start refuses NOLOGIN roles: lend LOGIN inside one transaction, so that the instance
      // commits together with NOLOGIN and no engine ever sees the role able to log in.
      admin.setAutoCommit(false);
      statement.execute("ALTER ROLE " + role + " LOGIN");
      statement.execute("SET ROLE " + role);
      String id;
      try (ResultSet row = statement.executeQuery("SELECT df.start(" + literal(sql) + ")")) {
        row.next();
        id = row.getString(1);
      }
      statement.execute("RESET ROLE");
      statement.execute("ALTER ROLE " + role + " NOLOGIN");
      admin.commit();
      return id;
    }
  }

  @Test
  void aStepThatWaitsTooLongForAConnectionSlotFailsWithTheLimit() throws Exception {
    EngineConfig config =
        new EngineConfig(
            postgres.jdbcUrl(),
            Optional.of(postgres.superuser()),
            Optional.empty(),
            "starved-engine",
            true,
            10,
            1,
            1,
            Duration.ofSeconds(1),
            4,
            Duration.ofSeconds(30),
            Duration.ofSeconds(5),
            Duration.ofSeconds(1),
            32,
            Duration.ofSeconds(5),
            new EngineConfig.Retries(1, Duration.ofSeconds(1), Duration.ofSeconds(1)),
            EngineConfig.Retention.defaults(),
            Optional.empty(),
            dev.durablesql.engine.activity.ActivitySettings.defaults());

    String starved;
    try (Engine engine = Engine.start(config)) {
      String slow = workflows.start(ALICE, literal("SELECT pg_sleep(4) AS holds_the_slot"));
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  workflows.queryAsSuperuser(
                      "SELECT count(*)::text FROM pg_stat_activity WHERE state = 'active'"
                          + " AND strpos(query, ?) > 0 AND pid <> pg_backend_pid()",
                      "holds_the_slot"),
              running -> !running.equals("0"));
      starved = workflows.start(ALICE, literal("SELECT 1"));
      workflows.awaitTerminal(starved);
      workflows.awaitTerminal(slow);
    }

    assertThat(workflows.status(starved)).isEqualTo("failed");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT result #>> '{}' FROM df.nodes WHERE instance_id = ?", starved))
        .contains("connection limit reached")
        .contains("max_user_connections=1");
  }
}
