package dev.durablesql.engine.store;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes this engine's circuit-breaker states to {@code df_engine.breakers}, read through the view
 * {@code df.breakers}. The rows are for operators only: losing one (a failed write, a crash) loses
 * nothing a workflow depends on, so a failed write is logged, not thrown.
 */
public final class BreakerStore {
  private static final Logger log = LoggerFactory.getLogger(BreakerStore.class);

  private final DataSource dataSource;
  private final String engineName;

  public BreakerStore(DataSource dataSource, String engineName) {
    this.dataSource = requireNonNull(dataSource, "dataSource is null");
    this.engineName = requireNonNull(engineName, "engineName is null");
  }

  /**
   * Records that breaker {@code name} changed to {@code state} at {@code changedAt}. Saves run on
   * threads of their own and may arrive out of order; an older change never overwrites a newer one.
   */
  public void save(
      String name,
      String state,
      float failureRate,
      int failedCalls,
      int calls,
      java.time.Instant changedAt) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                """
                INSERT INTO df_engine.breakers
                       (engine_name, name, state, failure_rate, failed_calls, calls, changed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (engine_name, name) DO UPDATE
                   SET state = EXCLUDED.state, failure_rate = EXCLUDED.failure_rate,
                       failed_calls = EXCLUDED.failed_calls, calls = EXCLUDED.calls,
                       changed_at = EXCLUDED.changed_at
                 WHERE df_engine.breakers.changed_at <= EXCLUDED.changed_at\
                """)) {
      statement.setString(1, engineName);
      statement.setString(2, name);
      statement.setString(3, state);
      if (failureRate < 0) {
        statement.setNull(4, java.sql.Types.REAL);
      } else {
        statement.setFloat(4, failureRate);
      }
      statement.setInt(5, failedCalls);
      statement.setInt(6, calls);
      statement.setObject(7, changedAt.atOffset(java.time.ZoneOffset.UTC));
      statement.executeUpdate();
    } catch (SQLException e) {
      log.warn(
          "Could not record the state {} of circuit breaker {}: {}", state, name, e.toString());
    }
  }

  /** Forgets this engine's breakers, when it starts (they start closed again). */
  public void clear() {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement("DELETE FROM df_engine.breakers WHERE engine_name = ?")) {
      statement.setString(1, engineName);
      statement.executeUpdate();
    } catch (SQLException e) {
      log.warn("Could not clear the circuit breakers of engine {}: {}", engineName, e.toString());
    }
  }
}
