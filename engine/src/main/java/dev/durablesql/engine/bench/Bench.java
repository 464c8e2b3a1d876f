package dev.durablesql.engine.bench;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.EngineException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Properties;

/** Runs the chosen workloads in order; the entry point of {@code durable bench}. */
public final class Bench {
  private final Workloads workloads;

  public Bench(EngineConfig config, PrintWriter out, int clients, int w1Workflows) {
    requireNonNull(config, "config is null");
    Properties admin = new Properties();
    config.user().ifPresent(user -> admin.setProperty("user", user));
    config.password().ifPresent(password -> admin.setProperty("password", password));
    this.workloads = new Workloads(new BenchDatabase(config.jdbcUrl(), admin), out, clients);
    this.w1Workflows = w1Workflows;
    this.jdbcUrl = config.jdbcUrl();
    this.out = out;
  }

  private final String jdbcUrl;
  private final PrintWriter out;

  private final int w1Workflows;

  /**
   * Runs {@code W1}, {@code W2} (its join and df.map variants), {@code W2-join}, {@code W2-map},
   * {@code W3} or {@code all}.
   */
  public void run(String workload) throws Exception {
    switch (workload.toUpperCase(Locale.ROOT)) {
      case "W1" -> workloads.w1(w1Workflows);
      case "W2" -> {
        workloads.w2(3);
        workloads.w2Map(5);
      }
      case "W2-JOIN" -> workloads.w2(3);
      case "W2-MAP" -> workloads.w2Map(5);
      case "W3" -> workloads.w3(200, 20);
      case "ACTIVITY-OVERHEAD" -> new ActivityOverhead(jdbcUrl, out).run(20_000);
      case "ALL" -> {
        workloads.w3(200, 20);
        workloads.w1(w1Workflows);
        workloads.w2(3);
        workloads.w2Map(5);
      }
      default ->
          throw new EngineException(
              "unknown workload '"
                  + workload
                  + "': use W1, W2, W2-join, W2-map, W3, activity-overhead or all");
    }
  }
}
