package dev.durablesql.engine.cli;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.config.Config;
import dev.durablesql.engine.http.DashboardServer;
import dev.durablesql.engine.http.HttpSettings;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code durable engine}: only the engine, against any PostgreSQL 14 or newer. */
@Command(
    name = "engine",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the engine against a PostgreSQL database until stopped (Ctrl-C or SIGTERM).",
      "Installs or upgrades the df schema first unless --no-install is given."
    })
final class EngineCommand implements Callable<Integer> {
  @Mixin ConfigOptions configOptions;
  @Mixin ConnectionOptions connection;

  @Option(names = "--no-install", description = "Do not install or upgrade the df schema.")
  boolean noInstall;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      description = "Serves the dashboard (sign-in required), /metrics and /health on PORT.")
  Integer httpPort;

  @Override
  public Integer call() throws InterruptedException {
    List<String> flags = new java.util.ArrayList<>(connection.assignments());
    if (noInstall) {
      flags.add("install-schema=false");
    }
    if (httpPort != null) {
      flags.add("http-port=" + httpPort);
    }
    Config config = configOptions.load(flags);
    EngineConfig engineConfig = EngineSettings.engineConfig(config);
    HttpSettings http = HttpSettings.from(config);
    Engine engine = Engine.start(engineConfig, EngineSettings.tracing(config));
    DashboardServer health;
    try {
      health = DashboardServer.start(http, engine);
    } catch (RuntimeException e) {
      engine.close();
      throw e;
    }
    new UntilStopped(
            () -> {
              health.close();
              engine.close();
            })
        .await();
    return 0;
  }
}
