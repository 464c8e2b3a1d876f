package dev.durablesql.engine.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.EngineException;
import dev.durablesql.engine.metrics.PoolMeters;
import java.util.Optional;

/**
 * The pool of connections the engine uses for its own work, as the schema owner. Its writes
 * (stamps, leases, completion) are bookkeeping that a crash may lose without harm, because the
 * resuming engine recomputes them from the checkpoints; so they commit with synchronous_commit off.
 * Steps' checkpoints never go through here: they commit with the step, on the step's connection.
 */
public final class ManagementPool {
  private ManagementPool() {}

  /** Opens the pool; its metrics go to {@code meters}, tagged with the engine's role. */
  public static HikariDataSource open(EngineConfig config, PoolMeters meters) {
    return open(config, meters, "df-management", config.maxManagementConnections());
  }

  /**
   * Opens the status-mark writer's own connection (NodeMarks), outside the management pool: the
   * writer must not queue behind the instances' round trips, since instances that end wait for the
   * batch it is writing.
   */
  public static HikariDataSource openForMarks(EngineConfig config, PoolMeters meters) {
    return open(config, meters, "df-marks", 1);
  }

  private static HikariDataSource open(
      EngineConfig config, PoolMeters meters, String name, int size) {
    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName(name);
    hikari.setJdbcUrl(config.jdbcUrl());
    config.user().ifPresent(hikari::setUsername);
    config.password().ifPresent(hikari::setPassword);
    hikari.setMaximumPoolSize(size);
    hikari.setMinimumIdle(1);
    hikari.setConnectionTimeout(30_000);
    hikari.addDataSourceProperty("ApplicationName", "durable-sql:engine:" + config.engineName());
    hikari.addDataSourceProperty("options", "-c synchronous_commit=off");
    hikari.addDataSourceProperty("connectTimeout", "10");
    // The engine's own statements are short; a read that hangs this long is a dead connection.
    hikari.addDataSourceProperty("socketTimeout", "300");
    meters.track(hikari, config.user().orElse(""), Optional.empty());
    try {
      return new HikariDataSource(hikari);
    } catch (HikariPool.PoolInitializationException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new EngineException(
          "cannot connect to "
              + config.jdbcUrl()
              + config.user().map(u -> " as " + u).orElse("")
              + ": "
              + cause.getMessage()
              + ". Check that PostgreSQL runs there and that the role may log in",
          e);
    }
  }
}
