package dev.durablesql.engine.cli;

import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.EngineException;
import dev.durablesql.engine.config.Config;
import dev.durablesql.engine.config.ConfigException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Turns the loaded configuration into what the engine and the commands need. */
final class EngineSettings {
  private EngineSettings() {}

  static EngineConfig engineConfig(Config config) {
    String url =
        config
            .optionalString("url")
            .orElseThrow(() ->
                new ConfigException(
                    "no database given: pass --url jdbc:postgresql://HOST:PORT/DB, set"
                        + " DURABLE_URL, or put url=... in the --config file"));
    return new EngineConfig(
        url,
        config.optionalString("user"),
        config.optionalString("password"),
        config.optionalString("engine-name").orElseGet(EngineConfig::defaultEngineName),
        config.bool("install-schema"),
        config.integer("max-concurrent-instances"),
        config.integer("max-user-connections"),
        config.integer("max-connections-per-role"),
        config.duration("execution-acquire-timeout"),
        config.integer("max-management-connections"),
        config.duration("lease-duration"),
        config.duration("heartbeat-interval"),
        config.duration("poll-interval"),
        config.integer("claim-batch-size"),
        config.duration("shutdown-grace-period"),
        new EngineConfig.Retries(
            config.integer("retry-max-attempts"),
            config.duration("retry-initial-delay"),
            config.duration("retry-max-delay")),
        new EngineConfig.Retention(
            config.integer("retention-days"), config.duration("reconcile-interval")),
        config.optionalString("role-secrets-dir").map(EngineSettings::expandHome));
  }

  private static java.nio.file.Path expandHome(String path) {
    return path.startsWith("~/")
        ? java.nio.file.Path.of(System.getProperty("user.home"), path.substring(2))
        : java.nio.file.Path.of(path);
  }

  /** One plain connection with the configured credentials, for one-off commands. */
  static Connection connect(EngineConfig config) {
    try {
      return open(config);
    } catch (SQLException e) {
      throw new EngineException(
          "cannot connect to "
              + config.jdbcUrl()
              + config.user().map(u -> " as " + u).orElse("")
              + ": "
              + e.getMessage()
              + ". Check that PostgreSQL runs there and that the role may log in",
          e);
    }
  }

  private static Connection open(EngineConfig config) throws SQLException {
    Properties properties = new Properties();
    config.user().ifPresent(user -> properties.setProperty("user", user));
    config.password().ifPresent(password -> properties.setProperty("password", password));
    properties.setProperty("ApplicationName", "durable-sql:cli");
    properties.setProperty("connectTimeout", "10");
    return DriverManager.getConnection(config.jdbcUrl(), properties);
  }
}
