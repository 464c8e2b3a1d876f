package dev.durablesql.engine.metrics;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gauges of the whole database, read on the management pool: instances by status, and the claim
 * queue (instances due and not held by a live lease) with the age of its oldest entry. A scrape
 * reads the database only when the values are older than the refresh interval, and only one scrape
 * at a time does, so that a burst of scrapes costs one read; the others get the last values. Until
 * the first read succeeds the gauges are NaN.
 */
public final class InstanceGauges implements MeterBinder {
  private static final Logger log = LoggerFactory.getLogger(InstanceGauges.class);

  static final List<String> STATUSES =
      List.of("pending", "running", "completed", "failed", "cancelled");

  private static final String BY_STATUS = "SELECT status, count(*) FROM df.instances GROUP BY 1";

  // The claim statement's own condition (InstanceClaimer): due, and no lease or a lapsed one.
  private static final String QUEUE =
      """
      SELECT count(*), coalesce(extract(epoch FROM now() - min(wake_at)), 0)
        FROM df_engine.runs
       WHERE wake_at <= now() AND (lease_until IS NULL OR lease_until < now())
      """;

  private final DataSource management;
  private final InstantSource clock;
  private final Duration refreshInterval;
  private final ReentrantLock reading = new ReentrantLock();
  private volatile Snapshot snapshot = Snapshot.NONE;

  /** The values of the last read, and when it was tried; {@code known} once one succeeded. */
  private record Snapshot(
      Instant readAt,
      boolean known,
      Map<String, Long> byStatus,
      double queueDepth,
      double oldestDueSeconds) {
    static final Snapshot NONE = new Snapshot(Instant.MIN, false, Map.of(), Double.NaN, Double.NaN);

    double instances(String status) {
      return known ? byStatus.getOrDefault(status, 0L) : Double.NaN;
    }

    Snapshot triedAt(Instant at) {
      return new Snapshot(at, known, byStatus, queueDepth, oldestDueSeconds);
    }
  }

  public InstanceGauges(DataSource management, InstantSource clock, Duration refreshInterval) {
    this.management = requireNonNull(management, "management is null");
    this.clock = requireNonNull(clock, "clock is null");
    this.refreshInterval = requireNonNull(refreshInterval, "refreshInterval is null");
  }

  @Override
  public void bindTo(MeterRegistry meters) {
    for (String status : STATUSES) {
      Gauge.builder("durable.instances", this, gauges -> gauges.current().instances(status))
          .description("Instances in the database by status (all engines, all roles)")
          .tag("status", status)
          .strongReference(true)
          .register(meters);
    }
    Gauge.builder("durable.queue.depth", this, gauges -> gauges.current().queueDepth())
        .description("Instances due to run that no engine holds: waiting for a free engine")
        .strongReference(true)
        .register(meters);
    Gauge.builder("durable.queue.oldest.due.age", this, g -> g.current().oldestDueSeconds())
        .description("How long the longest-waiting due instance has been due")
        .baseUnit("seconds")
        .strongReference(true)
        .register(meters);
  }

  private Snapshot current() {
    Snapshot last = snapshot;
    if (isFresh(last) || !reading.tryLock()) {
      return last;
    }
    try {
      if (isFresh(snapshot)) {
        return snapshot; // Another scrape read while this one waited for the lock.
      }
      snapshot = read();
    } catch (SQLException | RuntimeException e) {
      // Keep the last values until the next interval; the database may be restarting.
      log.debug("Could not read instance gauges: {}", e.getMessage());
      snapshot = last.triedAt(clock.instant());
    } finally {
      reading.unlock();
    }
    return snapshot;
  }

  private boolean isFresh(Snapshot values) {
    return !values.readAt().equals(Instant.MIN)
        && Duration.between(values.readAt(), clock.instant()).compareTo(refreshInterval) < 0;
  }

  private Snapshot read() throws SQLException {
    Map<String, Long> byStatus = new HashMap<>();
    try (Connection connection = management.getConnection();
        Statement statement = connection.createStatement()) {
      try (ResultSet rows = statement.executeQuery(BY_STATUS)) {
        while (rows.next()) {
          byStatus.put(rows.getString(1), rows.getLong(2));
        }
      }
      try (ResultSet row = statement.executeQuery(QUEUE)) {
        row.next();
        return new Snapshot(
            clock.instant(), true, Map.copyOf(byStatus), row.getLong(1), row.getDouble(2));
      }
    }
  }
}
