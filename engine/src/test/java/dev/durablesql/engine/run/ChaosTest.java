package dev.durablesql.engine.run;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.durablesql.engine.testing.ChildEngine;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Engines killed with SIGKILL at random moments while many workflows run (issue: crash safety):
 * every workflow completes and every step's row exists exactly once. Two engines run at once, so
 * they also race for the same instances. CI runs a reduced count; for the full run: {@code mvn -pl
 * engine test -Dtest=ChaosTest -Dchaos.workflows=200 -Dchaos.seconds=60}.
 */
class ChaosTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static final int STEPS = 5;

  @Test
  void everyStepAppliesExactlyOnceWhileEnginesAreKilledAndRestarted() throws Exception {
    int workflowCount = Integer.getInteger("chaos.workflows", 40);
    int chaosSeconds = Integer.getInteger("chaos.seconds", 15);
    long seed = Long.getLong("chaos.seed", System.nanoTime());
    Random random = new Random(seed);
    Workflows workflows = new Workflows(postgres);
    workflows.executeAsSuperuser(
        "CREATE TABLE public.chaos (instance_id text NOT NULL, step int NOT NULL);"
            + " GRANT ALL ON public.chaos TO alice;");
    for (int i = 0; i < workflowCount; i++) {
      workflows.start(ALICE, workflow());
    }

    List<ChildEngine> engines = new ArrayList<>();
    int started = 0;
    int kills = 0;
    try {
      engines.add(engine(started++));
      engines.add(engine(started++));
      long end = System.nanoTime() + Duration.ofSeconds(chaosSeconds).toNanos();
      while (System.nanoTime() < end && !allFinished(workflows)) {
        await().pollDelay(Duration.ofMillis(300 + random.nextInt(1500))).until(() -> true);
        int victim = random.nextInt(engines.size());
        engines.get(victim).kill();
        kills++;
        engines.set(victim, engine(started++));
      }
      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> allFinished(workflows));
    } finally {
      engines.forEach(ChildEngine::close);
    }

    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM df.instances WHERE status <> 'completed' AND ?::text IS"
                    + " NOT NULL",
                "x"))
        .as("instances not completed (seed %d, %d kills)", seed, kills)
        .isEqualTo("0");
    assertThat(duplicatesOrGaps())
        .as("steps applied other than exactly once (seed %d, %d kills)", seed, kills)
        .isEmpty();
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM public.chaos WHERE ?::text IS NOT NULL", "x"))
        .isEqualTo(Integer.toString(workflowCount * STEPS));
    assertThat(kills).as("the run killed engines").isPositive();
  }

  private static String workflow() {
    StringBuilder durofut = new StringBuilder(step(1));
    for (int step = 2; step <= STEPS; step++) {
      durofut = new StringBuilder("df.seq(" + durofut + ", " + step(step) + ")");
    }
    return durofut.toString();
  }

  private static String step(int step) {
    // A short sleep widens the window in which a kill lands mid-step.
    return literal(
        "INSERT INTO public.chaos SELECT '{sys_instance_id}', "
            + step
            + " FROM pg_sleep(random() * 0.05)");
  }

  private static ChildEngine engine(int number) throws Exception {
    return ChildEngine.start(
        postgres,
        "chaos-" + number,
        "lease-duration=2s",
        "heartbeat-interval=500ms",
        "poll-interval=200ms",
        "log-level=warn");
  }

  private static boolean allFinished(Workflows workflows) throws Exception {
    return workflows
        .queryAsSuperuser(
            "SELECT count(*)::text FROM df.instances WHERE status NOT IN ('completed', 'failed')"
                + " AND ?::text IS NOT NULL",
            "x")
        .equals("0");
  }

  private static List<String> duplicatesOrGaps() throws Exception {
    List<String> problems = new ArrayList<>();
    try (Connection connection = postgres.dataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery(
                "SELECT i.id, s.step, count(c.step) FROM df.instances i"
                    + " CROSS JOIN generate_series(1, "
                    + STEPS
                    + ") s(step) LEFT JOIN public.chaos c ON c.instance_id = i.id"
                    + " AND c.step = s.step GROUP BY i.id, s.step HAVING count(c.step) <> 1")) {
      while (rows.next()) {
        problems.add(rows.getString(1) + " step " + rows.getInt(2) + " x" + rows.getInt(3));
      }
    }
    return problems;
  }
}
