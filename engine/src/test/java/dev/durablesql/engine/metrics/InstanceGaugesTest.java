package dev.durablesql.engine.metrics;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

/** The database-wide gauges, read at most once per refresh interval. No engine runs here. */
class InstanceGaugesTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private final Workflows workflows = new Workflows(postgres);
  private final AtomicReference<Instant> now =
      new AtomicReference<>(Instant.parse("2030-01-01T00:00:00Z"));
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  @BeforeEach
  void noInstances() throws Exception {
    workflows.executeAsSuperuser(
        "BEGIN; SET CONSTRAINTS ALL DEFERRED; DELETE FROM df.nodes; DELETE FROM df.instances;"
            + " COMMIT");
  }

  private double gauge(String name, String... tags) {
    return meters.get(name).tags(tags).gauge().value();
  }

  private void advance(Duration duration) {
    now.set(now.get().plus(duration));
  }

  @Test
  void gaugesAreReadAgainOnlyAfterTheRefreshInterval() throws Exception {
    new InstanceGauges(postgres.dataSource(), now::get, Duration.ofSeconds(10)).bindTo(meters);
    workflows.start(ALICE, "'SELECT 1'");

    assertThat(gauge("durable.instances", "status", "pending")).isEqualTo(1);
    assertThat(gauge("durable.queue.depth")).isEqualTo(1);
    assertThat(gauge("durable.instances", "status", "completed")).isZero();

    workflows.start(ALICE, "'SELECT 2'");
    advance(Duration.ofSeconds(9));

    assertThat(gauge("durable.instances", "status", "pending")).isEqualTo(1);
    assertThat(gauge("durable.queue.depth")).isEqualTo(1);

    advance(Duration.ofSeconds(1));

    assertThat(gauge("durable.instances", "status", "pending")).isEqualTo(2);
    assertThat(gauge("durable.queue.depth")).isEqualTo(2);
    assertThat(gauge("durable.queue.oldest.due.age")).isGreaterThanOrEqualTo(0);
  }

  @Test
  void theQueueLeavesOutInstancesHeldByALiveLeaseAndCountsTheOldestDue() throws Exception {
    new InstanceGauges(postgres.dataSource(), now::get, Duration.ofSeconds(10)).bindTo(meters);
    String held = workflows.start(ALICE, "'SELECT 1'");
    String waiting = workflows.start(ALICE, "'SELECT 2'");
    workflows.executeAsSuperuser(
        "UPDATE df_engine.runs SET lease_owner = 'live-engine', lease_until = now() + interval"
            + " '1 minute' WHERE instance_id = "
            + Workflows.literal(held));
    workflows.executeAsSuperuser(
        "UPDATE df_engine.runs SET wake_at = now() - interval '90 seconds' WHERE instance_id = "
            + Workflows.literal(waiting));

    assertThat(gauge("durable.queue.depth")).isEqualTo(1);
    assertThat(gauge("durable.queue.oldest.due.age")).isBetween(90.0, 120.0);
  }

  @Test
  void gaugesAreNotANumberUntilTheFirstReadSucceeds() {
    PGSimpleDataSource unreachable = new PGSimpleDataSource();
    unreachable.setUrl("jdbc:postgresql://127.0.0.1:1/none");
    unreachable.setConnectTimeout(1);
    new InstanceGauges(unreachable, now::get, Duration.ofSeconds(10)).bindTo(meters);

    assertThat(gauge("durable.instances", "status", "running")).isNaN();
    assertThat(gauge("durable.queue.depth")).isNaN();
  }
}
