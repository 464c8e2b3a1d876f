package dev.durablesql.engine.cli;

import dev.durablesql.activities.http.HostPolicy;
import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.EngineException;
import dev.durablesql.engine.activity.ActivitySettings;
import dev.durablesql.engine.config.Config;
import dev.durablesql.engine.config.ConfigException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
        config.optionalString("role-secrets-dir").map(EngineSettings::expandHome),
        activitySettings(config));
  }

  /** The activity part: plugins folder, the values activities read, time limits, breakers. */
  static ActivitySettings activitySettings(Config config) {
    checkHostPolicy(config);
    Map<String, String> values = new HashMap<>(config.pluginValues());
    for (String name : ACTIVITY_VALUES) {
      config.optionalString(name).ifPresent(value -> values.put(name, value));
    }
    values.put(
        "http.max-response-bytes", Integer.toString(config.integer("http.max-response-bytes")));
    values.put("embed.timeout", config.duration("embed.timeout").toMillis() + "ms");
    values.put("embed.max-batch", Integer.toString(config.integer("embed.max-batch")));
    return new ActivitySettings(
        Optional.of(pluginsDirectory(config)),
        values,
        config.duration("activity-timeout"),
        new ActivitySettings.BreakerSettings(
            config.integer("breaker.failure-rate"),
            config.integer("breaker.minimum-calls"),
            config.integer("breaker.window"),
            config.duration("breaker.open-duration"),
            config.integer("breaker.half-open-calls")));
  }

  /**
   * The plugins folder. Its default, {@code plugins}, means the folder next to the engine: the
   * {@code ./durable} launcher passes its own directory as {@code -Ddurable.home}, so the default
   * does not depend on where the user runs it from. A value the user gives is taken as given
   * (relative to the working directory).
   */
  static java.nio.file.Path pluginsDirectory(Config config) {
    java.nio.file.Path folder = config.path("plugins-dir");
    String home = System.getProperty("durable.home");
    if (home != null
        && !home.isBlank()
        && !folder.isAbsolute()
        && config.source("plugins-dir") instanceof dev.durablesql.engine.config.Source.Default) {
      return java.nio.file.Path.of(home).resolve(folder);
    }
    return folder;
  }

  /** A malformed allowlist stops the engine at start, not at the first HTTP step. */
  private static void checkHostPolicy(Config config) {
    if (config.optionalString("http.allowlist").orElse("").isBlank()) {
      return; // Allowed: HTTP steps then fail, saying the list is empty (the engine logs it too).
    }
    try {
      HostPolicy.of(
          config.string("http.policy"), config.optionalString("http.allowlist").orElse(""));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          "setting http.allowlist (from "
              + config.source("http.allowlist").describe()
              + ") is not valid: "
              + e.getMessage(),
          e);
    }
  }

  /** Tracing as configured: spans exported over OTLP, or none without an endpoint. */
  static dev.durablesql.engine.tracing.Tracing tracing(Config config) {
    return dev.durablesql.engine.tracing.Tracing.otlp(
        config.optionalString("tracing.otlp-endpoint"), config.string("tracing.service-name"));
  }

  /** Text settings activities read through {@code ActivityContext.setting}. */
  private static final List<String> ACTIVITY_VALUES =
      List.of("http.policy", "http.allowlist", "embed.base-url", "embed.api-key", "embed.model");

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
