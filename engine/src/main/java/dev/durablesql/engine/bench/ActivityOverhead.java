package dev.durablesql.engine.bench;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.durablesql.activity.Activity;
import dev.durablesql.activity.ActivityContext;
import dev.durablesql.engine.activity.ActivityCall;
import dev.durablesql.engine.activity.ActivityCatalog;
import dev.durablesql.engine.activity.ActivityRunner;
import dev.durablesql.engine.activity.ActivitySettings;
import dev.durablesql.engine.activity.Breakers;
import dev.durablesql.engine.activity.PrivilegeGate;
import dev.durablesql.engine.step.RetryPolicy;
import dev.durablesql.engine.step.RoleConnections;
import dev.durablesql.engine.store.BreakerStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@code durable bench --workload activity-overhead}: what the engine's activity pipeline
 * (Resilience4j retry and circuit breaker, the deadline, the attempt's own virtual thread, metrics,
 * JSON encoding of the result) costs per call, against calling the same no-op activity directly and
 * encoding its result. No database round trip is involved: the no-op type has no privilege gate,
 * and breaker rows are written only when a state changes.
 */
final class ActivityOverhead {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ROUNDS = 5;

  private final String jdbcUrl;
  private final PrintWriter out;

  ActivityOverhead(String jdbcUrl, PrintWriter out) {
    this.jdbcUrl = requireNonNull(jdbcUrl, "jdbcUrl is null");
    this.out = requireNonNull(out, "out is null");
  }

  /** A step that does nothing and returns a one-field result. */
  private static final class Noop implements Activity {
    @Override
    public String type() {
      return "noop";
    }

    @Override
    public Map<String, Object> execute(ActivityContext context) {
      return Map.of("ok", true);
    }
  }

  /** The least context a direct call needs. */
  private record DirectContext(Map<String, Object> config) implements ActivityContext {
    @Override
    public String instanceId() {
      return "00000000";
    }

    @Override
    public String nodeId() {
      return "00000000";
    }

    @Override
    public int attempt() {
      return 1;
    }

    @Override
    public String submittedBy() {
      return "bench";
    }

    @Override
    public String idempotencyKey() {
      return "bench";
    }

    @Override
    public Instant deadline() {
      return Instant.MAX;
    }
  }

  void run(int calls) throws Exception {
    Noop noop = new Noop();
    PGSimpleDataSource unused = new PGSimpleDataSource();
    unused.setUrl(jdbcUrl);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (RoleConnections connections = new RoleConnections(jdbcUrl, 1, 1, Duration.ofSeconds(1));
        ActivityRunner runner =
            new ActivityRunner(
                ActivityCatalog.of(List.of(noop)),
                ActivitySettings.defaults(),
                new Breakers(
                    ActivitySettings.BreakerSettings.defaults(),
                    new BreakerStore(unused, "bench"),
                    meters,
                    Runnable::run),
                new PrivilegeGate(unused),
                connections,
                meters)) {
      ActivityCall call =
          new ActivityCall(
              "00000000",
              "00000000",
              "bench",
              Optional.empty(),
              "noop",
              Map.of(),
              "bench",
              RetryPolicy.defaults(),
              Optional.empty(),
              0,
              Optional.empty(),
              () -> false,
              Map.of());
      DirectContext context = new DirectContext(Map.of());
      double[] direct = new double[ROUNDS];
      double[] wrapped = new double[ROUNDS];
      for (int round = -1; round < ROUNDS; round++) { // round -1 warms up
        long started = System.nanoTime();
        for (int i = 0; i < calls; i++) {
          JSON.writeValueAsString(noop.execute(context));
        }
        long middle = System.nanoTime();
        // Instances run on virtual threads in the engine; so does this loop.
        Thread.ofVirtual()
            .start(() -> {
              for (int i = 0; i < calls; i++) {
                try {
                  runner.run(call, (attempt, error) -> {});
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return;
                }
              }
            })
            .join();
        long ended = System.nanoTime();
        if (round >= 0) {
          direct[round] = (middle - started) / 1_000.0 / calls;
          wrapped[round] = (ended - middle) / 1_000.0 / calls;
        }
      }
      double directMedian = median(direct);
      double wrappedMedian = median(wrapped);
      out.printf(
          "RESULT durable-sql activity-overhead calls=%d direct_us=%.2f wrapped_us=%.2f"
              + " overhead_us=%.2f (median of %d rounds)%n",
          calls, directMedian, wrappedMedian, wrappedMedian - directMedian, ROUNDS);
      out.flush();
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
