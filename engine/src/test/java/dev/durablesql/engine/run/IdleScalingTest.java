package dev.durablesql.engine.run;

import static dev.durablesql.engine.testing.Durofut.signal;
import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Waiting instances cost a row, not a thread or a connection: many instances parked on a signal
 * leave the engine idle, and signalling them all completes them. CI runs a reduced count; the full
 * one: {@code mvn -pl engine test -Dtest=IdleScalingTest -Didle.instances=10000}. The heap figures
 * are printed to the test's output for the record, not asserted (the machine is noisy).
 */
class IdleScalingTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  @Test
  void manyWaitingInstancesHoldNoThreadsAndAllCompleteWhenSignalled() throws Exception {
    int count = Integer.getInteger("idle.instances", 1500);
    Workflows workflows = new Workflows(postgres);
    try (Connection alice = postgres.connectAs(ALICE);
        Statement statement = alice.createStatement()) {
      statement.execute(
          "SELECT df.start("
              + literal(signal("go", null))
              + ") FROM generate_series(1, "
              + count
              + ")");
    }
    long heapBefore = usedHeap();

    try (Engine engine = Engine.start(postgres.engineConfig("idle-engine"))) {
      long parking = System.nanoTime();
      await()
          .atMost(Duration.ofMinutes(5))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> parked(workflows) == count);
      Duration parkTime = Duration.ofNanos(System.nanoTime() - parking);
      long heapParked = usedHeap();
      int engineThreads = instanceThreads();

      long signalling = System.nanoTime();
      workflows.executeAsSuperuser(
          "INSERT INTO df_engine.signals (instance_id, name, payload, sent_by)"
              + " SELECT id, 'go', '1', 'alice'::regrole FROM df.instances");
      await()
          .atMost(Duration.ofMinutes(5))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> completed(workflows) == count);
      Duration completeTime = Duration.ofNanos(System.nanoTime() - signalling);

      System.out.printf(
          "IDLE instances=%d park_s=%.1f heap_before_mb=%.1f heap_parked_mb=%.1f"
              + " instance_threads=%d signal_to_all_completed_s=%.1f%n",
          count,
          parkTime.toMillis() / 1000.0,
          heapBefore / 1e6,
          heapParked / 1e6,
          engineThreads,
          completeTime.toMillis() / 1000.0);
      assertThat(engineThreads).as("instance threads while everything waits").isZero();
    }
    assertThat(completed(workflows)).isEqualTo(count);
  }

  private static int parked(Workflows workflows) throws Exception {
    return Integer.parseInt(
        workflows.queryAsSuperuser(
            "SELECT count(*)::text FROM df_engine.runs WHERE lease_owner IS NULL"
                + " AND wake_at = 'infinity' AND ?::text IS NOT NULL",
            "x"));
  }

  private static int completed(Workflows workflows) throws Exception {
    return Integer.parseInt(
        workflows.queryAsSuperuser(
            "SELECT count(*)::text FROM df.instances WHERE status = 'completed'"
                + " AND ?::text IS NOT NULL",
            "x"));
  }

  private static int instanceThreads() {
    return (int)
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().startsWith("df-instance-"))
            .count();
  }

  private static long usedHeap() {
    System.gc();
    Runtime runtime = Runtime.getRuntime();
    return runtime.totalMemory() - runtime.freeMemory();
  }
}
