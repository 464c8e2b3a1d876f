package dev.durablesql.engine.cli;

import dev.durablesql.engine.Engine;
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
      "Runs the shared/bench workloads (W1, W2 join and df.map variants, W3) through df.start",
      "against the database, with an engine in this process unless --external-engine, and prints",
      "RESULT lines.",
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
          "W1, W2, W2-join, W2-map, W3, activity-overhead (the activity pipeline per call) or all"
              + " (default: ${DEFAULT-VALUE}).")
  String workload;

  @Option(names = "--clients", defaultValue = "8", description = "Client connections for W1.")
  int clients;

  @Option(names = "--w1-workflows", defaultValue = "2000", description = "Workflows in W1.")
  int w1Workflows;

  @Option(names = "--external-engine", description = "Do not start an engine in this process.")
  boolean externalEngine;

  @Override
  public Integer call() throws Exception {
    EngineConfig config = EngineSettings.engineConfig(configOptions.load(connection.assignments()));
    PrintWriter out = spec.commandLine().getOut();
    Engine engine = externalEngine ? null : Engine.start(config);
    try {
      new Bench(config, out, clients, w1Workflows).run(workload);
    } finally {
      if (engine != null) {
        engine.close();
      }
    }
    return 0;
  }
}
