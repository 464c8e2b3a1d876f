package dev.durablesql.engine;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.activity.ActivitySettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Engine settings, checked once here. Start from {@link #defaults}; the CLI builds one from the
 * configuration (docs/configuration.md).
 *
 * @param jdbcUrl the database holding the df schema
 * @param user the role the engine logs in as for management work (owner of the df schema); empty to
 *     take it from the URL
 * @param password that role's password; empty for trust, peer or a pgpass file
 * @param engineName shown in leases, events and logs
 * @param installSchema whether to apply pending schema migrations at start
 * @param maxConcurrentInstances instances running at once in this engine
 * @param maxUserConnections global cap on step connections (max_user_connections)
 * @param maxConnectionsPerRole pool size per submitting role
 * @param executionAcquireTimeout how long a step waits for a connection slot
 * @param maxManagementConnections pool size for the engine's own work
 * @param leaseDuration how long a claim lasts without a heartbeat
 * @param heartbeatInterval how often leases and the engine's heartbeat row are renewed
 * @param pollInterval how often the engine looks for work when no NOTIFY arrives
 * @param claimBatchSize most instances claimed by one statement
 * @param shutdownGracePeriod how long running steps may finish at shutdown
 * @param retries the default retry policy of steps (R-DIFF-2)
 * @param retention how long finished instances are kept (R-OPS-5)
 * @param roleSecretsDirectory a folder holding one file per role, named after it, with that role's
 *     password, for the engine's logins as submitting roles (docs/authentication.md)
 */
public record EngineConfig(
    String jdbcUrl,
    Optional<String> user,
    Optional<String> password,
    String engineName,
    boolean installSchema,
    int maxConcurrentInstances,
    int maxUserConnections,
    int maxConnectionsPerRole,
    Duration executionAcquireTimeout,
    int maxManagementConnections,
    Duration leaseDuration,
    Duration heartbeatInterval,
    Duration pollInterval,
    int claimBatchSize,
    Duration shutdownGracePeriod,
    Retries retries,
    Retention retention,
    Optional<Path> roleSecretsDirectory,
    ActivitySettings activities) {

  /** The default retry policy; a node's df.retry overrides it. */
  public record Retries(int maxAttempts, Duration initialDelay, Duration maxDelay) {
    public Retries {
      requireNonNull(initialDelay, "initialDelay is null");
      requireNonNull(maxDelay, "maxDelay is null");
      if (maxAttempts < 1) {
        throw new EngineException("retry-max-attempts must be at least 1, was " + maxAttempts);
      }
    }

    public static Retries defaults() {
      return new Retries(3, Duration.ofSeconds(1), Duration.ofMinutes(5));
    }
  }

  /**
   * Finished instances older than {@code days} (or beyond the newest 10 000) are deleted every
   * {@code interval}; an interval of zero turns retention off.
   */
  public record Retention(int days, Duration interval) {
    public Retention {
      requireNonNull(interval, "interval is null");
      if (days < 0) {
        throw new EngineException("retention-days must not be negative, was " + days);
      }
    }

    public static Retention defaults() {
      return new Retention(30, Duration.ofHours(1));
    }
  }

  public EngineConfig {
    requireNonNull(roleSecretsDirectory, "roleSecretsDirectory is null");
    requireNonNull(activities, "activities is null");
    requireNonNull(retries, "retries is null");
    requireNonNull(retention, "retention is null");
    requireNonNull(jdbcUrl, "jdbcUrl is null");
    requireNonNull(user, "user is null");
    requireNonNull(password, "password is null");
    requireNonNull(engineName, "engineName is null");
    requireNonNull(executionAcquireTimeout, "executionAcquireTimeout is null");
    requireNonNull(leaseDuration, "leaseDuration is null");
    requireNonNull(heartbeatInterval, "heartbeatInterval is null");
    requireNonNull(pollInterval, "pollInterval is null");
    requireNonNull(shutdownGracePeriod, "shutdownGracePeriod is null");
    if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new EngineException(
          "url must be a PostgreSQL JDBC URL such as jdbc:postgresql://127.0.0.1:5432/postgres, was '"
              + jdbcUrl
              + "'");
    }
    positive("maxConcurrentInstances", maxConcurrentInstances);
    positive("maxUserConnections", maxUserConnections);
    positive("maxConnectionsPerRole", maxConnectionsPerRole);
    positive("maxManagementConnections", maxManagementConnections);
    positive("claimBatchSize", claimBatchSize);
    if (heartbeatInterval.multipliedBy(2).compareTo(leaseDuration) > 0) {
      throw new EngineException(
          "lease-duration ("
              + leaseDuration
              + ") must be at least twice heartbeat-interval ("
              + heartbeatInterval
              + "), or leases lapse while the engine is alive");
    }
  }

  private static void positive(String name, int value) {
    if (value < 1) {
      throw new EngineException(name + " must be at least 1, was " + value);
    }
  }

  public static EngineConfig defaults(String jdbcUrl) {
    return new EngineConfig(
        jdbcUrl,
        Optional.empty(),
        Optional.empty(),
        defaultEngineName(),
        true,
        256,
        10,
        8,
        Duration.ofSeconds(30),
        6,
        Duration.ofSeconds(10),
        Duration.ofSeconds(3),
        Duration.ofSeconds(1),
        32,
        Duration.ofSeconds(5),
        Retries.defaults(),
        Retention.defaults(),
        Optional.empty(),
        ActivitySettings.defaults());
  }

  /** {@code host-pid}, unique enough to tell engines apart in leases and logs. */
  public static String defaultEngineName() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      host = "localhost";
    }
    return host + "-" + ProcessHandle.current().pid();
  }

  public EngineConfig withUser(String value) {
    return new EngineConfig(
        jdbcUrl,
        Optional.ofNullable(value),
        password,
        engineName,
        installSchema,
        maxConcurrentInstances,
        maxUserConnections,
        maxConnectionsPerRole,
        executionAcquireTimeout,
        maxManagementConnections,
        leaseDuration,
        heartbeatInterval,
        pollInterval,
        claimBatchSize,
        shutdownGracePeriod,
        retries,
        retention,
        roleSecretsDirectory,
        activities);
  }

  public EngineConfig withEngineName(String value) {
    return new EngineConfig(
        jdbcUrl,
        user,
        password,
        value,
        installSchema,
        maxConcurrentInstances,
        maxUserConnections,
        maxConnectionsPerRole,
        executionAcquireTimeout,
        maxManagementConnections,
        leaseDuration,
        heartbeatInterval,
        pollInterval,
        claimBatchSize,
        shutdownGracePeriod,
        retries,
        retention,
        roleSecretsDirectory,
        activities);
  }

  public EngineConfig withLease(Duration lease, Duration heartbeat) {
    return new EngineConfig(
        jdbcUrl,
        user,
        password,
        engineName,
        installSchema,
        maxConcurrentInstances,
        maxUserConnections,
        maxConnectionsPerRole,
        executionAcquireTimeout,
        maxManagementConnections,
        lease,
        heartbeat,
        pollInterval,
        claimBatchSize,
        shutdownGracePeriod,
        retries,
        retention,
        roleSecretsDirectory,
        activities);
  }

  /** The instances this engine runs at once, and the most one claim statement takes. */
  public EngineConfig withCapacity(int instances, int claimBatch) {
    return new EngineConfig(
        jdbcUrl,
        user,
        password,
        engineName,
        installSchema,
        instances,
        maxUserConnections,
        maxConnectionsPerRole,
        executionAcquireTimeout,
        maxManagementConnections,
        leaseDuration,
        heartbeatInterval,
        pollInterval,
        claimBatch,
        shutdownGracePeriod,
        retries,
        retention,
        roleSecretsDirectory,
        activities);
  }

  public EngineConfig withRetries(Retries value) {
    return new EngineConfig(
        jdbcUrl,
        user,
        password,
        engineName,
        installSchema,
        maxConcurrentInstances,
        maxUserConnections,
        maxConnectionsPerRole,
        executionAcquireTimeout,
        maxManagementConnections,
        leaseDuration,
        heartbeatInterval,
        pollInterval,
        claimBatchSize,
        shutdownGracePeriod,
        value,
        retention,
        roleSecretsDirectory,
        activities);
  }

  public EngineConfig withRetention(Retention value) {
    return new EngineConfig(
        jdbcUrl,
        user,
        password,
        engineName,
        installSchema,
        maxConcurrentInstances,
        maxUserConnections,
        maxConnectionsPerRole,
        executionAcquireTimeout,
        maxManagementConnections,
        leaseDuration,
        heartbeatInterval,
        pollInterval,
        claimBatchSize,
        shutdownGracePeriod,
        retries,
        value,
        roleSecretsDirectory,
        activities);
  }

  public EngineConfig withRoleSecretsDirectory(Path value) {
    return new EngineConfig(
        jdbcUrl,
        user,
        password,
        engineName,
        installSchema,
        maxConcurrentInstances,
        maxUserConnections,
        maxConnectionsPerRole,
        executionAcquireTimeout,
        maxManagementConnections,
        leaseDuration,
        heartbeatInterval,
        pollInterval,
        claimBatchSize,
        shutdownGracePeriod,
        retries,
        retention,
        Optional.of(value),
        activities);
  }

  public EngineConfig withActivities(ActivitySettings value) {
    return new EngineConfig(
        jdbcUrl,
        user,
        password,
        engineName,
        installSchema,
        maxConcurrentInstances,
        maxUserConnections,
        maxConnectionsPerRole,
        executionAcquireTimeout,
        maxManagementConnections,
        leaseDuration,
        heartbeatInterval,
        pollInterval,
        claimBatchSize,
        shutdownGracePeriod,
        retries,
        retention,
        roleSecretsDirectory,
        value);
  }

  @Override
  public String toString() {
    return "EngineConfig[jdbcUrl="
        + jdbcUrl
        + ", user="
        + user.orElse("(from url)")
        + ", password="
        + (password.isPresent() ? "****" : "(none)")
        + ", engineName="
        + engineName
        + ", maxConcurrentInstances="
        + maxConcurrentInstances
        + ", maxUserConnections="
        + maxUserConnections
        + ", leaseDuration="
        + leaseDuration
        + "]";
  }
}
