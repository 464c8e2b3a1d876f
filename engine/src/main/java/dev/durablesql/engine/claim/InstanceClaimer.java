package dev.durablesql.engine.claim;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims runnable instances: due, and either never leased or with a lapsed lease (its engine died).
 * One statement, {@code FOR UPDATE SKIP LOCKED}, so that engines never wait for each other; each
 * claim draws a new lease token and bumps the epoch, which fences out the previous holder. A claim
 * of an instance whose lease still names an owner is a takeover: that engine died or stalled
 * (engines clear the owner when they park or give back an instance).
 */
public final class InstanceClaimer {
  private static final Logger log = LoggerFactory.getLogger(InstanceClaimer.class);
  private static final String CLAIM =
      """
      WITH due AS (
          SELECT q.instance_id, q.lease_owner
            FROM df_engine.runs q
           WHERE q.wake_at <= now() AND (q.lease_until IS NULL OR q.lease_until < now())
           ORDER BY q.wake_at
           LIMIT ?
             FOR UPDATE SKIP LOCKED)
      UPDATE df_engine.runs r
         SET lease_owner = ?, lease_until = now() + make_interval(secs => ?),
             lease_token = gen_random_uuid(), epoch = r.epoch + 1
        FROM due
       WHERE r.instance_id = due.instance_id
      RETURNING r.instance_id, r.lease_token, r.epoch, r.vars::text, r.wake_seq, due.lease_owner\
      """;

  private final DataSource dataSource;
  private final String engineName;
  private final Duration leaseDuration;
  private final Runnable onTakeover;

  public InstanceClaimer(DataSource dataSource, String engineName, Duration leaseDuration) {
    this(dataSource, engineName, leaseDuration, () -> {});
  }

  /**
   * @param onTakeover runs once for every claim that takes an instance over from another engine's
   *     lapsed lease (for the takeover metric)
   */
  public InstanceClaimer(
      DataSource dataSource, String engineName, Duration leaseDuration, Runnable onTakeover) {
    this.dataSource = requireNonNull(dataSource, "dataSource is null");
    this.engineName = requireNonNull(engineName, "engineName is null");
    this.leaseDuration = requireNonNull(leaseDuration, "leaseDuration is null");
    this.onTakeover = requireNonNull(onTakeover, "onTakeover is null");
  }

  /**
   * When the next unclaimed instance falls due (a parked timer), if any does; empty when none or
   * when the database cannot be asked (the caller then polls as usual).
   */
  public java.util.Optional<java.time.Instant> nextDue() {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "SELECT min(wake_at) FROM df_engine.runs WHERE lease_owner IS NULL"
                    + " AND wake_at < 'infinity'");
        ResultSet row = statement.executeQuery()) {
      java.sql.Timestamp due = row.next() ? row.getTimestamp(1) : null;
      return java.util.Optional.ofNullable(due).map(java.sql.Timestamp::toInstant);
    } catch (SQLException e) {
      return java.util.Optional.empty();
    }
  }

  /** Claims at most {@code limit} instances; returns the ones claimed, maybe none. */
  public List<ClaimedInstance> claim(int limit) {
    if (limit < 1) {
      return List.of();
    }
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = connection.prepareStatement(CLAIM)) {
      statement.setInt(1, limit);
      statement.setString(2, engineName);
      statement.setDouble(3, leaseDuration.toMillis() / 1000.0);
      List<ClaimedInstance> claimed = new ArrayList<>();
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          claimed.add(
              new ClaimedInstance(
                  rows.getString(1),
                  rows.getObject(2, UUID.class),
                  rows.getLong(3),
                  rows.getString(4),
                  rows.getLong(5)));
          String previousOwner = rows.getString(6);
          if (previousOwner != null) {
            log.info(
                "Took over instance {} from engine {}, whose lease lapsed",
                rows.getString(1),
                previousOwner);
            onTakeover.run();
          }
        }
      }
      return claimed;
    } catch (SQLException e) {
      throw new IllegalStateException("claim instances for engine " + engineName, e);
    }
  }
}
