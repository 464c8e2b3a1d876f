package dev.durablesql.engine;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariDataSource;
import dev.durablesql.engine.activity.ActivityCatalog;
import dev.durablesql.engine.activity.ActivityRunner;
import dev.durablesql.engine.activity.ActivitySettings;
import dev.durablesql.engine.activity.Breakers;
import dev.durablesql.engine.activity.PrivilegeGate;
import dev.durablesql.engine.claim.InstanceClaimer;
import dev.durablesql.engine.claim.LeaseKeeper;
import dev.durablesql.engine.claim.WakeSignal;
import dev.durablesql.engine.claim.WakeupListener;
import dev.durablesql.engine.metrics.InstanceGauges;
import dev.durablesql.engine.metrics.PoolMeters;
import dev.durablesql.engine.retention.RetentionJob;
import dev.durablesql.engine.run.ClaimLoop;
import dev.durablesql.engine.run.Dispatcher;
import dev.durablesql.engine.run.InstanceRunner;
import dev.durablesql.engine.run.RunningInstances;
import dev.durablesql.engine.schema.SchemaInstaller;
import dev.durablesql.engine.step.RetryPolicy;
import dev.durablesql.engine.step.RetryingStep;
import dev.durablesql.engine.step.RoleConnections;
import dev.durablesql.engine.step.SqlStep;
import dev.durablesql.engine.store.BreakerStore;
import dev.durablesql.engine.store.InstanceStore;
import dev.durablesql.engine.store.ManagementPool;
import dev.durablesql.engine.store.NodeMarks;
import dev.durablesql.engine.store.ScopeStore;
import dev.durablesql.engine.tracing.Tracing;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running durable-sql engine for one database: installs the schema if asked, then claims and runs
 * workflow instances until closed. Closing stops in stages: no new claims, running steps get the
 * grace period, the rest are released for other engines, then the heartbeat row goes.
 */
public final class Engine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  /** Database-wide gauges are read at most this often, however often /metrics is scraped. */
  private static final Duration GAUGE_REFRESH = Duration.ofSeconds(10);

  private final EngineConfig config;
  private final HikariDataSource management;
  private final RoleConnections roleConnections;
  private final NodeMarks nodeMarks;
  private final HikariDataSource marksConnection;
  private final LeaseKeeper leaseKeeper;
  private final WakeupListener listener;
  private final Dispatcher dispatcher;
  private final ClaimLoop claimLoop;
  private final RetentionJob retention;
  private final PrometheusMeterRegistry meters;
  private final ActivityCatalog activityCatalog;
  private final ActivityRunner activities;
  private final BreakerStore breakerStore;
  private final Tracing tracing;
  private final SchemaInstaller schema;
  private final ExecutorService background =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("df-background-", 0).factory());
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  private Engine(EngineConfig config, Tracing tracing) {
    this.config = requireNonNull(config, "config is null");
    this.tracing = requireNonNull(tracing, "tracing is null");
    // First, so that the pool meter filter is in place before any meter is registered.
    this.meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    PoolMeters poolMeters = PoolMeters.of(meters);
    this.management = ManagementPool.open(config, poolMeters);
    this.marksConnection = ManagementPool.openForMarks(config, poolMeters);
    this.nodeMarks = new NodeMarks(marksConnection);
    try {
      this.schema = new SchemaInstaller(management);
      if (config.installSchema()) {
        schema.install();
      } else {
        requireInstalledSchema(schema, config);
      }
      WakeSignal wake = new WakeSignal();
      InstanceStore store = new InstanceStore(management, config.engineName(), nodeMarks);
      this.roleConnections =
          new RoleConnections(
              config.jdbcUrl(),
              config.maxUserConnections(),
              config.maxConnectionsPerRole(),
              config.executionAcquireTimeout(),
              config.roleSecretsDirectory(),
              poolMeters);
      new JvmMemoryMetrics().bindTo(meters);
      new JvmThreadMetrics().bindTo(meters);
      new ProcessorMetrics().bindTo(meters);
      new InstanceGauges(management, InstantSource.system(), GAUGE_REFRESH).bindTo(meters);
      this.activityCatalog =
          ActivityCatalog.discover(
              config.activities().pluginsDirectory(), Engine.class.getClassLoader());
      this.breakerStore = new BreakerStore(management, config.engineName());
      breakerStore.clear();
      publishHttpPolicy(management, config.activities());
      this.activities =
          new ActivityRunner(
              activityCatalog,
              config.activities(),
              new Breakers(config.activities().breakers(), breakerStore, meters, background),
              new PrivilegeGate(management),
              roleConnections,
              meters);
      RunningInstances running = new RunningInstances();
      InstanceRunner runner =
          new InstanceRunner(
              store,
              new ScopeStore(management),
              new RetryingStep(new SqlStep(roleConnections), meters),
              activities,
              tracing,
              new RetryPolicy(
                  config.retries().maxAttempts(),
                  config.retries().initialDelay(),
                  2,
                  config.retries().maxDelay()),
              running,
              stopping::get);
      Counter takeovers =
          Counter.builder("durable.lease.takeovers")
              .description("Claims that took an instance over from an engine whose lease lapsed")
              .register(meters);
      InstanceClaimer claimer =
          new InstanceClaimer(
              management, config.engineName(), config.leaseDuration(), takeovers::increment);
      this.dispatcher =
          new Dispatcher(
              claimer,
              runner,
              store,
              wake,
              config.maxConcurrentInstances(),
              config.claimBatchSize());
      this.leaseKeeper =
          new LeaseKeeper(
              management,
              config.engineName(),
              config.leaseDuration(),
              config.heartbeatInterval(),
              dispatcher::heldInstances,
              store::cancelledAmongHeld,
              running::cancel);
      this.listener =
          new WakeupListener(config.jdbcUrl(), listenerProperties(config), wake, running::cancel);
      this.claimLoop = new ClaimLoop(dispatcher, claimer, wake, config.pollInterval());
      this.retention =
          new RetentionJob(management, config.retention().days(), config.retention().interval());
    } catch (RuntimeException e) {
      nodeMarks.close();
      marksConnection.close();
      management.close();
      meters.close();
      throw e;
    }
  }

  /**
   * Tells the SQL side the engine's HTTP policy (R-DIFF-8): {@code df.http()} refuses to build
   * nodes when it is {@code disabled} (R-HTTP-1a), and it reads that from {@code df.settings}.
   */
  private static void publishHttpPolicy(DataSource management, ActivitySettings activities) {
    String policy = activities.values().getOrDefault("http.policy", "allowlist");
    if (policy.equals("allowlist")
        && activities.values().getOrDefault("http.allowlist", "").isBlank()) {
      log.info(
          "http.policy is allowlist and http.allowlist is empty: df.http steps can reach no host"
              + " until you list some (docs/http.md)");
    }
    try (java.sql.Connection connection = management.getConnection();
        java.sql.PreparedStatement statement =
            connection.prepareStatement(
                "INSERT INTO df.settings (name, value) VALUES ('http_policy', ?)"
                    + " ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value"
                    + " WHERE df.settings.value IS DISTINCT FROM EXCLUDED.value")) {
      statement.setString(1, policy);
      statement.executeUpdate();
    } catch (java.sql.SQLException e) {
      log.warn("Could not publish http.policy={} to df.settings: {}", policy, e.getMessage());
    }
  }

  private static void requireInstalledSchema(SchemaInstaller installer, EngineConfig config) {
    List<String> pending = installer.pendingFiles();
    if (pending.stream().anyMatch(file -> file.startsWith("V001"))) {
      throw new EngineException(
          "the df schema is not installed in "
              + config.jdbcUrl()
              + "; run durable install (or start the engine without --no-install)");
    }
    if (!pending.isEmpty()) {
      log.warn(
          "The df schema is older than this engine (pending: {}); run durable install", pending);
    }
  }

  /** Starts an engine without tracing; returns once it is registered and claiming. */
  public static Engine start(EngineConfig config) {
    return start(config, Tracing.off());
  }

  /**
   * Starts an engine that records spans through {@code tracing} (the engine closes it when it
   * stops); returns once it is registered and claiming.
   */
  public static Engine start(EngineConfig config, Tracing tracing) {
    Engine engine = new Engine(config, tracing);
    engine.leaseKeeper.start();
    engine.listener.start();
    engine.claimLoop.start();
    engine.retention.start();
    log.info("Engine {} is running against {}", config.engineName(), config.jdbcUrl());
    return engine;
  }

  private static Properties listenerProperties(EngineConfig config) {
    Properties properties = new Properties();
    config.user().ifPresent(user -> properties.setProperty("user", user));
    config.password().ifPresent(password -> properties.setProperty("password", password));
    properties.setProperty("ApplicationName", "durable-sql:listen:" + config.engineName());
    properties.setProperty("tcpKeepAlive", "true");
    return properties;
  }

  /**
   * Whether the engine can reach its database and the df schema there is current: installed, with
   * no migration of this engine's pending (for /health/ready).
   */
  public boolean isReady() {
    if (closed.get()) {
      return false;
    }
    try {
      return schema.pendingFiles().isEmpty();
    } catch (RuntimeException e) {
      log.debug("Not ready: {}", e.getMessage());
      return false;
    }
  }

  public EngineConfig config() {
    return config;
  }

  /** The engine's metrics, for /metrics. */
  public PrometheusMeterRegistry meters() {
    return meters;
  }

  /** The activities this engine found, built in and in its plugins folder. */
  public ActivityCatalog activityCatalog() {
    return activityCatalog;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    log.info("Engine {} is stopping", config.engineName());
    stopping.set(true);
    retention.close();
    claimLoop.close();
    listener.close();
    dispatcher.shutdown(config.shutdownGracePeriod());
    nodeMarks.close();
    marksConnection.close();
    leaseKeeper.close();
    activities.close();
    background.close();
    breakerStore.clear();
    roleConnections.close();
    meters.close();
    tracing.close();
    management.close();
    log.info("Engine {} stopped", config.engineName());
  }
}
