package dev.durablesql.engine.run;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stopping engine hands its instances back (issue: several engines): it stops claiming, gives a
 * running step the grace period, then interrupts it, and releases the instance at once, so another
 * engine resumes it without waiting for the lease to lapse.
 */
class GracefulShutdownTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  @Test
  void aStoppedEngineReleasesItsInstanceForAnotherEngineAtOnce() throws Exception {
    Workflows workflows = new Workflows(postgres);
    String id =
        workflows.start(
            ALICE,
            "df.seq(" + literal("SELECT pg_sleep(2) AS long_step") + ", 'SELECT ''done'' AS end')");
    EngineConfig longLease =
        new EngineConfig(
            postgres.jdbcUrl(),
            Optional.of(postgres.superuser()),
            Optional.empty(),
            "stopping-engine",
            true,
            16,
            4,
            2,
            Duration.ofSeconds(30),
            4,
            Duration.ofMinutes(5),
            Duration.ofSeconds(5),
            Duration.ofSeconds(1),
            32,
            Duration.ofMillis(300),
            EngineConfig.Retries.defaults(),
            EngineConfig.Retention.defaults(),
            Optional.empty(),
            dev.durablesql.engine.activity.ActivitySettings.defaults());
    Engine first = Engine.start(longLease);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                workflows.queryAsSuperuser(
                    "SELECT count(*)::text FROM pg_stat_activity WHERE usename = 'alice'"
                        + " AND state = 'active' AND strpos(query, ?) > 0",
                    "long_step"),
            running -> !running.equals("0"));

    long stopping = System.nanoTime();
    first.close();
    Duration stopTime = Duration.ofNanos(System.nanoTime() - stopping);

    assertThat(stopTime)
        .as("stopped within the grace period plus a margin")
        .isLessThan(Duration.ofSeconds(10));
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT (lease_owner IS NULL)::text FROM df_engine.runs WHERE instance_id = ?", id))
        .as("released, not left to a 5-minute lease")
        .isEqualTo("true");
    try (Engine second = Engine.start(postgres.engineConfig("resuming-engine"))) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    }
    assertThat(workflows.result(id)).contains("done");
  }
}
