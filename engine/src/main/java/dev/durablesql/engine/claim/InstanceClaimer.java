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
 * One statement, {@code FOR UPDATE SKIP LOCKED}, so that engines never wait for each other's rows;
 * each claim draws a new lease token and bumps the epoch, which fences out the previous holder. The
 * statement interleaves submitting roles and honours their quotas (docs/architecture.md). A claim
 * of an instance whose lease still names an owner is a takeover: that engine died or stalled
 * (engines clear the owner when they park or give back an instance).
 */
public final class InstanceClaimer {
  private static final Logger log = LoggerFactory.getLogger(InstanceClaimer.class);

  /**
   * df_engine.claim (R__012_claims.sql): shares the batch among submitting roles, least-served
   * first, and keeps each role within its quota across engines (R-EXT-7).
   */
  private static final String CLAIM = "SELECT * FROM df_engine.claim(?, ?, ?)";

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
   * when the database cannot be asked (the caller then polls as usual). Instances of a role at its
   * quota are left out: they cannot be claimed until one of the role's instances ends or waits.
   */
  public java.util.Optional<java.time.Instant> nextDue() {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = connection.prepareStatement("SELECT df_engine.next_due()");
        ResultSet row = statement.executeQuery()) {
      java.sql.Timestamp due = row.next() ? row.getTimestamp(1) : null;
      return java.util.Optional.ofNullable(due).map(java.sql.Timestamp::toInstant);
    } catch (SQLException e) {
      return java.util.Optional.empty();
    }
  }

  /** Claims at most {@code limit} instances; returns the ones claimed, maybe none. */
  public List<ClaimedInstance> claim(int limit) {
    return claim(limit, null);
  }

  /**
   * Claims at most {@code limit} instances and, in the same round trip, runs {@code followUp}'s
   * reads of them (when not null); returns the ones claimed, maybe none.
   */
  public List<ClaimedInstance> claim(int limit, ClaimFollowUp followUp) {
    if (limit < 1) {
      return List.of();
    }
    // Sent as one message, the statements run in one implicit transaction: the follow-up sees
    // the ids the claim left in its transaction-local setting.
    String sql = followUp == null ? CLAIM : CLAIM + "; " + followUp.sql();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setString(1, engineName);
      statement.setInt(2, limit);
      statement.setDouble(3, leaseDuration.toMillis() / 1000.0);
      List<ClaimedInstance> claimed = new ArrayList<>();
      statement.execute();
      try (ResultSet rows = statement.getResultSet()) {
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
      if (followUp != null) {
        followUp.read(statement, claimed);
      }
      return claimed;
    } catch (SQLException e) {
      throw new IllegalStateException("claim instances for engine " + engineName, e);
    }
  }
}
