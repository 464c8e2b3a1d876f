package dev.durablesql.engine.cli;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.EngineException;
import dev.durablesql.engine.config.Config;
import dev.durablesql.engine.config.Source;
import dev.durablesql.engine.embedded.EmbeddedCluster;
import dev.durablesql.engine.http.DashboardServer;
import dev.durablesql.engine.http.HttpSettings;
import dev.durablesql.engine.schema.SchemaInstaller;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code durable up}: the embedded default. A real PostgreSQL 17 in a data directory of its own,
 * the df schema, a login role {@code app} to try it with, and the engine; until Ctrl-C.
 */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description = {
      "Starts an embedded PostgreSQL 17 with the df schema and the engine, prints how to connect,",
      "and runs until Ctrl-C. An existing cluster in the data directory is reused. The dashboard",
      "listens on http://127.0.0.1:8087/ (another free port when 8087 is taken), without sign-in."
    })
final class UpCommand implements Callable<Integer> {
  static final String DEMO_ROLE = "app";

  /** The dashboard's port unless http-port is set; another free port when it is taken. */
  static final int DEFAULT_HTTP_PORT = 8087;

  @Mixin ConfigOptions configOptions;
  @Spec CommandSpec spec;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Cluster directory (kept).")
  String dataDir;

  @Option(names = "--pg-port", paramLabel = "PORT", description = "PostgreSQL port on 127.0.0.1.")
  Integer pgPort;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      description = "Port of the dashboard, /metrics and /health (default 8087; 0: none).")
  Integer httpPort;

  @Override
  public Integer call() throws InterruptedException {
    Config config = configOptions.load(flags());
    EmbeddedCluster cluster =
        EmbeddedCluster.start(config.path("data-dir"), config.integer("pg-port"));
    Engine engine = null;
    DashboardServer health = null;
    try {
      EngineConfig engineConfig =
          EngineSettings.engineConfig(
              configOptions.load(
                  append(
                      flags(),
                      "url=" + cluster.jdbcUrl("postgres"),
                      "user=" + cluster.superuser(),
                      "install-schema=false")));
      new SchemaInstaller(InstallCommand.dataSource(engineConfig)).install();
      prepareDemoRole(engineConfig);
      engine = Engine.start(engineConfig, EngineSettings.tracing(config));
      HttpSettings http = httpSettings(config);
      health = startServer(http, engine, config.source("http-port") instanceof Source.Default);
      printWelcome(cluster, health, http, engineConfig);
    } catch (RuntimeException e) {
      if (engine != null) {
        engine.close();
      }
      cluster.close();
      throw e;
    }
    Engine running = engine;
    DashboardServer server = health;
    cluster.handOverShutdown();
    new UntilStopped(
            () -> {
              // The engine first: its last writes (releases, heartbeat row) need the server.
              running.close();
              server.close();
              cluster.close();
            })
        .await();
    return 0;
  }

  /**
   * The HTTP settings of {@code up}: the dashboard on port 8087 unless http-port is set, and
   * without sign-in, acting as the demo role, while it listens on loopback and dashboard.auth is
   * not set.
   */
  static HttpSettings httpSettings(Config config) {
    String bind = config.string("http-bind");
    int port =
        config.source("http-port") instanceof Source.Default
            ? DEFAULT_HTTP_PORT
            : config.integer("http-port");
    String role = config.optionalString("dashboard.role").orElse(DEMO_ROLE);
    boolean authByDefault = config.source("dashboard.auth") instanceof Source.Default;
    HttpSettings.Auth auth =
        authByDefault && HttpSettings.isLoopback(bind)
            ? HttpSettings.Auth.OFF
            : HttpSettings.Auth.of(config.string("dashboard.auth"));
    return new HttpSettings(
        bind,
        port,
        auth,
        config.optionalString("dashboard.trusted-header"),
        java.util.Optional.of(role),
        config.duration("dashboard.session-timeout"));
  }

  /** Starts the server; on the default port, moves to a free one when 8087 is taken. */
  private static DashboardServer startServer(
      HttpSettings http, Engine engine, boolean defaultPort) {
    try {
      return DashboardServer.start(http, engine);
    } catch (EngineException e) {
      if (!defaultPort || !e.getMessage().contains("already in use")) {
        throw e;
      }
      try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
        return DashboardServer.start(http.withPort(probe.getLocalPort()), engine);
      } catch (java.io.IOException io) {
        throw e;
      }
    }
  }

  private List<String> flags() {
    List<String> flags = new ArrayList<>();
    if (dataDir != null) {
      flags.add("data-dir=" + dataDir);
    }
    if (pgPort != null) {
      flags.add("pg-port=" + pgPort);
    }
    if (httpPort != null) {
      flags.add("http-port=" + httpPort);
    }
    return flags;
  }

  private static List<String> append(List<String> list, String... more) {
    List<String> all = new ArrayList<>(list);
    all.addAll(List.of(more));
    return all;
  }

  /** A login role for trying things out, with df usage; trust authentication on loopback. */
  private static void prepareDemoRole(EngineConfig config) {
    try (Connection connection = EngineSettings.connect(config);
        Statement statement = connection.createStatement()) {
      statement.execute(
          "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '"
              + DEMO_ROLE
              + "') THEN CREATE ROLE "
              + DEMO_ROLE
              + " LOGIN; END IF; END $$");
      statement.execute("SELECT df.grant_usage('" + DEMO_ROLE + "')");
      statement.execute("GRANT CREATE ON SCHEMA public TO " + DEMO_ROLE);
      // So that the df operators (~>, ...) resolve without schema qualification.
      statement.execute("ALTER ROLE " + DEMO_ROLE + " SET search_path = \"$user\", public, df");
    } catch (SQLException e) {
      throw new EngineException(
          "cannot prepare the demo role " + DEMO_ROLE + ": " + e.getMessage(), e);
    }
  }

  private void printWelcome(
      EmbeddedCluster cluster, DashboardServer health, HttpSettings http, EngineConfig config) {
    PrintWriter out = spec.commandLine().getOut();
    int port = cluster.port();
    out.println();
    out.println("durable-sql is up.");
    out.printf(
        "  PostgreSQL 17  %s (port %d, log %s)%n",
        cluster.dataDirectory(), port, cluster.serverLog());
    out.printf("  engine         %s%n", config.engineName());
    if (!health.url().isEmpty()) {
      out.printf(
          "  dashboard      %s (%s)%n",
          health.url(),
          http.auth() == HttpSettings.Auth.OFF
              ? "no sign-in, acts as role " + http.role().orElseThrow()
              : "sign in as a PostgreSQL role");
      out.printf(
          "  health         %shealth/ready   metrics %smetrics%n", health.url(), health.url());
    }
    out.println();
    out.printf("Connect as the demo role '%s':%n", DEMO_ROLE);
    out.printf("  psql \"postgresql://%s@127.0.0.1:%d/postgres\"%n", DEMO_ROLE, port);
    out.printf("  JDBC: jdbc:postgresql://127.0.0.1:%d/postgres?user=%s%n", port, DEMO_ROLE);
    out.println();
    out.println("A first workflow, in psql:");
    out.println("  SELECT df.start('SELECT 42 AS answer') AS id \\gset");
    out.println("  SELECT df.await_instance(:'id');");
    out.println("  SELECT df.result(:'id');");
    out.println();
    out.println("Ctrl-C stops the engine and PostgreSQL.");
    out.flush();
  }
}
