package dev.durablesql.engine.bench;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.EngineException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/** Runs the chosen workloads in order; the entry point of {@code durable bench}. */
public final class Bench {
  private final EngineConfig config;
  private final PrintWriter out;
  private final Options options;
  private final BenchDatabase database;
  private final Workloads workloads;

  /**
   * What to run and how big.
   *
   * @param clients client connections that start W1's workflows
   * @param w1Workflows workflows in W1
   * @param idleInstances instances the idle workload parks
   * @param backlog queued instances of the other role in the fairness workload
   * @param backlogQuota the quota of the backlog's role in the fairness workload, or {@code null}
   * @param takeoverInstances instances the killed engine holds in the takeover workload
   * @param externalEngine whether an engine outside this process does the work
   */
  public record Options(
      int clients,
      int w1Workflows,
      int idleInstances,
      int backlog,
      Integer backlogQuota,
      int takeoverInstances,
      boolean externalEngine) {}

  public Bench(EngineConfig config, PrintWriter out, Options options) {
    this.config = requireNonNull(config, "config is null");
    this.out = requireNonNull(out, "out is null");
    this.options = requireNonNull(options, "options is null");
    Properties admin = new Properties();
    config.user().ifPresent(user -> admin.setProperty("user", user));
    config.password().ifPresent(password -> admin.setProperty("password", password));
    this.database = new BenchDatabase(config.jdbcUrl(), admin);
    this.workloads = new Workloads(database, out, options.clients());
  }

  /**
   * Runs {@code W1}, {@code W2} (its join and df.map variants), {@code W2-join}, {@code W2-map},
   * {@code W3}, {@code idle}, {@code takeover}, {@code fairness}, {@code activity-overhead} or
   * {@code all} (the shared workloads W1, W2, W3, in that order). All but takeover use the engine
   * in this process (or the external one); takeover starts and kills engines of its own.
   */
  public void run(String workload) throws Exception {
    String name = workload.toUpperCase(Locale.ROOT);
    out.println("# durable-sql bench: " + runtime());
    out.flush();
    switch (name) {
      case "TAKEOVER" -> {
        if (options.externalEngine()) {
          throw new EngineException(
              "the takeover workload starts (and kills) engines of its own: run it without"
                  + " --external-engine, and with no other engine serving the database");
        }
        new TakeoverWorkload(config, database, out).run(options.takeoverInstances());
      }
      case "ACTIVITY-OVERHEAD" -> new ActivityOverhead(config.jdbcUrl(), out).run(20_000);
      case "W1", "W2", "W2-JOIN", "W2-MAP", "W3", "IDLE", "FAIRNESS", "ALL" -> {
        Engine engine = options.externalEngine() ? null : Engine.start(config);
        try {
          runWithEngine(name);
        } finally {
          if (engine != null) {
            engine.close();
          }
        }
      }
      default ->
          throw new EngineException(
              "unknown workload '"
                  + workload
                  + "': use W1, W2, W2-join, W2-map, W3, idle, takeover, fairness,"
                  + " activity-overhead or all");
    }
  }

  private void runWithEngine(String name) throws Exception {
    switch (name) {
      case "W1" -> workloads.w1(options.w1Workflows());
      case "W2" -> {
        workloads.w2(3);
        workloads.w2Map(5);
      }
      case "W2-JOIN" -> workloads.w2(3);
      case "W2-MAP" -> workloads.w2Map(5);
      case "W3" -> workloads.w3(200, 20);
      case "IDLE" ->
          new IdleWorkload(database, out, !options.externalEngine()).run(options.idleInstances());
      case "FAIRNESS" ->
          new FairnessWorkload(database, out).run(options.backlog(), options.backlogQuota());
      default -> {
        // The peers' order (DBOS Java's harness): W1 with its warm-up first, so that W2 and W3
        // measure an engine whose JIT has compiled the hot path, as a long-running engine is.
        workloads.w1(options.w1Workflows());
        workloads.w2(3);
        workloads.w2Map(5);
        workloads.w3(200, 20);
      }
    }
  }

  /**
   * What the figures depend on besides the code: the JVM, its JIT (the launcher picks C1 alone on
   * small machines, docs/configuration.md) and the CPUs it sees.
   */
  static String runtime() {
    List<String> arguments = ManagementFactory.getRuntimeMXBean().getInputArguments();
    boolean quick =
        arguments.stream()
            .anyMatch(a -> a.startsWith("-XX:TieredStopAtLevel=") && !a.endsWith("=4"));
    return "Java "
        + Runtime.version()
        + ", JIT "
        + (quick ? "quick (C1 only)" : "full (C1 and C2)")
        + ", "
        + Runtime.getRuntime().availableProcessors()
        + " CPUs";
  }
}
