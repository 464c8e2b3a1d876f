package dev.durablesql.engine.cli;

import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.bench.Bench;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code durable bench}: the shared/bench workloads through the real SQL surface. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the shared/bench workloads (W1, W2 join and df.map variants, W3) and durable-sql's own",
      "(idle, takeover, fairness, activity-overhead) through df.start against the database, with",
      "an engine in this process unless --external-engine, and prints RESULT lines.",
      "The --user role must own the df schema (or be a superuser); workflows run as durable_bench,",
      "which the engine must be able to log in as (trust, pgpass or role-secrets-dir)."
    })
final class BenchCommand implements Callable<Integer> {
  @Mixin ConfigOptions configOptions;
  @Mixin ConnectionOptions connection;
  @Spec CommandSpec spec;

  @Option(
      names = "--workload",
      defaultValue = "all",
      description =
          "W1, W2, W2-join, W2-map, W3, idle, takeover, fairness, activity-overhead (the activity"
              + " pipeline per call) or all: W1, W2 and W3, the shared workloads"
              + " (default: ${DEFAULT-VALUE}).")
  String workload;

  @Option(names = "--clients", defaultValue = "8", description = "Client connections for W1.")
  int clients;

  @Option(names = "--w1-workflows", defaultValue = "2000", description = "Workflows in W1.")
  int w1Workflows;

  @Option(
      names = "--idle-instances",
      defaultValue = "100000",
      description = "Instances the idle workload parks on a signal (default: ${DEFAULT-VALUE}).")
  int idleInstances;

  @Option(
      names = "--backlog",
      defaultValue = "10000",
      description =
          "Instances one role queues in the fairness workload while another role's single"
              + " instances are timed (default: ${DEFAULT-VALUE}).")
  int backlog;

  @Option(
      names = "--backlog-quota",
      description =
          "In the fairness workload, give the backlog's role this max_running_instances quota"
              + " (df.settings) while the other role's latency is measured. Default: no quota.")
  Integer backlogQuota;

  @Option(
      names = "--takeover-instances",
      defaultValue = "32",
      description =
          "Instances the engine that the takeover workload kills holds mid-run"
              + " (default: ${DEFAULT-VALUE}).")
  int takeoverInstances;

  @Option(
      names = "--external-engine",
      description =
          "Do not start an engine in this process (takeover always starts its own two engines).")
  boolean externalEngine;

  @Override
  public Integer call() throws Exception {
    EngineConfig config = EngineSettings.engineConfig(configOptions.load(connection.assignments()));
    PrintWriter out = spec.commandLine().getOut();
    new Bench(
            config,
            out,
            new Bench.Options(
                clients,
                w1Workflows,
                idleInstances,
                backlog,
                backlogQuota,
                takeoverInstances,
                externalEngine))
        .run(workload);
    return 0;
  }
}
