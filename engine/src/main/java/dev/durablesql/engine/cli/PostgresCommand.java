package dev.durablesql.engine.cli;

import dev.durablesql.engine.config.Config;
import dev.durablesql.engine.embedded.EmbeddedCluster;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code durable postgres}: only the embedded PostgreSQL 17, in the foreground. */
@Command(
    name = "postgres",
    mixinStandardHelpOptions = true,
    description = "Runs the embedded PostgreSQL 17 (no engine) until stopped.")
final class PostgresCommand implements Callable<Integer> {
  @Mixin ConfigOptions configOptions;
  @Spec CommandSpec spec;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Cluster directory (kept).")
  String dataDir;

  @Option(names = "--port", paramLabel = "PORT", description = "Port on 127.0.0.1.")
  Integer port;

  @Override
  public Integer call() throws InterruptedException {
    List<String> flags = new ArrayList<>();
    if (dataDir != null) {
      flags.add("data-dir=" + dataDir);
    }
    if (port != null) {
      flags.add("pg-port=" + port);
    }
    Config config = configOptions.load(flags);
    EmbeddedCluster cluster =
        EmbeddedCluster.start(config.path("data-dir"), config.integer("pg-port"));
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "PostgreSQL 17 is running in %s (log: %s)%n  psql -h 127.0.0.1 -p %d -U postgres"
            + " postgres%n  %s?user=postgres%nCtrl-C stops it.%n",
        cluster.dataDirectory(), cluster.serverLog(), cluster.port(), cluster.jdbcUrl("postgres"));
    out.flush();
    cluster.handOverShutdown();
    new UntilStopped(cluster::close).await();
    return 0;
  }
}
