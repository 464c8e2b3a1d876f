package dev.durablesql.engine.claim;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's heartbeat: renews the leases of every instance this engine holds, keeps its row in
 * df._worker_epoch fresh (R-OPS-3, one row per engine per R-DIFF-10) and the readiness shim of
 * R-COMPAT-2 present. A failed beat is logged and tried again next time; if beats keep failing the
 * leases lapse and other engines take the instances over, fenced.
 */
public final class LeaseKeeper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);

  private final DataSource dataSource;
  private final String engineName;
  private final Duration leaseDuration;
  private final Duration interval;
  private final Supplier<List<String>> cancelledInstances;
  private final Supplier<List<String>> heldInstances;
  private final Consumer<String> onCancel;
  private final UUID epochId = UUID.randomUUID();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("df-heartbeat").factory());

  /**
   * @param heldInstances the instances this engine is working on; only their leases are renewed
   * @param cancelledInstances the held instances that were cancelled meanwhile; polled at every
   *     beat, so that a cancel whose NOTIFY was missed still stops the instance
   * @param onCancel told each of them
   */
  public LeaseKeeper(
      DataSource dataSource,
      String engineName,
      Duration leaseDuration,
      Duration interval,
      Supplier<List<String>> heldInstances,
      Supplier<List<String>> cancelledInstances,
      Consumer<String> onCancel) {
    this.dataSource = requireNonNull(dataSource, "dataSource is null");
    this.engineName = requireNonNull(engineName, "engineName is null");
    this.leaseDuration = requireNonNull(leaseDuration, "leaseDuration is null");
    this.interval = requireNonNull(interval, "interval is null");
    this.heldInstances = requireNonNull(heldInstances, "heldInstances is null");
    this.cancelledInstances = requireNonNull(cancelledInstances, "cancelledInstances is null");
    this.onCancel = requireNonNull(onCancel, "onCancel is null");
  }

  /** Registers the engine (heartbeat row, readiness) and starts beating. */
  public void start() {
    beat();
    long millis = interval.toMillis();
    // The task logs its own failures, and close() shuts the timer down: nothing to read here.
    ScheduledFuture<?> unused =
        timer.scheduleWithFixedDelay(this::beatQuietly, millis, millis, TimeUnit.MILLISECONDS);
  }

  public UUID epochId() {
    return epochId;
  }

  /** One heartbeat; public so that tests can drive it. */
  public void beat() {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try (PreparedStatement leases =
              connection.prepareStatement(
                  // wake_at follows the lease: the instance is due again when the lease lapses.
                  "UPDATE df_engine.runs SET lease_until = now() + make_interval(secs => ?),"
                      + " wake_at = now() + make_interval(secs => ?)"
                      + " WHERE lease_owner = ? AND instance_id = ANY (?)");
          PreparedStatement heartbeat =
              connection.prepareStatement(
                  "INSERT INTO df._worker_epoch (epoch_id) VALUES (?)"
                      + " ON CONFLICT (epoch_id) DO UPDATE SET last_seen_at = now()");
          PreparedStatement ready =
              connection.prepareStatement(
                  "INSERT INTO df_engine._worker_ready (sentinel, schema_version, initialized_at)"
                      + " VALUES (true, 1, now()) ON CONFLICT (sentinel) DO NOTHING")) {
        leases.setDouble(1, leaseDuration.toMillis() / 1000.0);
        leases.setDouble(2, leaseDuration.toMillis() / 1000.0);
        leases.setString(3, engineName);
        leases.setArray(4, connection.createArrayOf("text", heldInstances.get().toArray()));
        leases.executeUpdate();
        heartbeat.setObject(1, epochId);
        heartbeat.executeUpdate();
        ready.executeUpdate();
        connection.commit();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("heartbeat of engine " + engineName, e);
    }
  }

  private void beatQuietly() {
    try {
      beat();
      cancelledInstances.get().forEach(onCancel);
    } catch (RuntimeException e) {
      log.warn(
          "Heartbeat failed ({}); leases lapse after {} unless a later beat succeeds",
          e.getCause() == null ? e.getMessage() : e.getCause().getMessage(),
          leaseDuration);
    }
  }

  /** Stops beating and unregisters; the readiness row goes when no other engine is alive. */
  @Override
  public void close() {
    timer.shutdownNow();
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try (PreparedStatement leave =
              connection.prepareStatement("DELETE FROM df._worker_epoch WHERE epoch_id = ?");
          PreparedStatement unready =
              connection.prepareStatement(
                  "DELETE FROM df_engine._worker_ready WHERE NOT EXISTS (SELECT 1 FROM"
                      + " df._worker_epoch WHERE last_seen_at > now() - interval '15 seconds')")) {
        leave.setObject(1, epochId);
        leave.executeUpdate();
        unready.executeUpdate();
        connection.commit();
      }
    } catch (SQLException e) {
      log.warn("Could not unregister engine {}: {}", engineName, e.getMessage());
    }
  }
}
