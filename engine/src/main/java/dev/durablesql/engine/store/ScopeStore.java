package dev.durablesql.engine.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.durablesql.engine.claim.ClaimedInstance;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The executor's durable state beyond df.nodes: scopes (generation, named results), timers and
 * signal waits (df_engine.scopes, timers, waits, signals). Writes are bookkeeping on the management
 * pool; each is fenced by the claim's lease token.
 */
public final class ScopeStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LEASED =
      " EXISTS (SELECT 1 FROM df_engine.runs r WHERE r.instance_id = ? AND r.lease_token = ?)";

  private final DataSource dataSource;
  private final MapStore maps;

  public ScopeStore(DataSource dataSource) {
    this.dataSource = requireNonNull(dataSource, "dataSource is null");
    this.maps = new MapStore(dataSource);
  }

  /** The durable state of MAP nodes, in the same database. */
  public MapStore maps() {
    return maps;
  }

  /** Named results as saved: a JSON object of strings. */
  static Map<String, String> results(String json) {
    Map<String, String> results = new LinkedHashMap<>();
    try {
      JsonNode object = JSON.readTree(json);
      for (Map.Entry<String, JsonNode> field : object.properties()) {
        results.put(field.getKey(), field.getValue().asText());
      }
      return results;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable named results " + json, e);
    }
  }

  /**
   * Writes a scope's whole state (generation, named results, iteration start), durably: a lost
   * generation would make a resumed loop repeat an iteration.
   */
  public void save(
      ClaimedInstance claim,
      String scopeId,
      int generation,
      Map<String, String> results,
      Optional<Instant> iterationStartedAt) {
    try (Connection connection = durable();
        PreparedStatement statement =
            connection.prepareStatement(
                "INSERT INTO df_engine.scopes (instance_id, scope_id, generation, results,"
                    + " iteration_started_at) SELECT ?, ?, ?, ?::jsonb, ? WHERE"
                    + LEASED
                    + " ON CONFLICT (instance_id, scope_id) DO UPDATE SET generation ="
                    + " EXCLUDED.generation, results = EXCLUDED.results, iteration_started_at ="
                    + " EXCLUDED.iteration_started_at")) {
      statement.setString(1, claim.id());
      statement.setString(2, scopeId);
      statement.setInt(3, generation);
      statement.setString(4, JSON.writeValueAsString(results));
      statement.setTimestamp(5, iterationStartedAt.map(Timestamp::from).orElse(null));
      statement.setString(6, claim.id());
      statement.setObject(7, claim.leaseToken());
      if (statement.executeUpdate() == 0) {
        connection.rollback();
        throw new LeaseLostException(claim.id());
      }
      connection.commit();
    } catch (SQLException | JsonProcessingException e) {
      throw new IllegalStateException("save scope " + scopeId + " of " + claim.id(), e);
    }
  }

  /**
   * A connection in a transaction that commits synchronously, unlike the rest of the management
   * pool's bookkeeping (docs/architecture.md): timers and scope generations must survive a crash of
   * PostgreSQL, or a resumed instance would re-arm a timer or repeat an iteration.
   */
  private Connection durable() throws SQLException {
    Connection connection = dataSource.getConnection();
    try {
      connection.setAutoCommit(false);
      try (java.sql.Statement statement = connection.createStatement()) {
        statement.execute("SET LOCAL synchronous_commit = on");
      }
      return connection;
    } catch (SQLException | RuntimeException e) {
      connection.close();
      throw e;
    }
  }

  /** The database's clock, the "durable clock" of timers and loop rate limits. */
  public Instant now() {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = connection.prepareStatement("SELECT clock_timestamp()");
        ResultSet row = statement.executeQuery()) {
      row.next();
      return row.getTimestamp(1).toInstant();
    } catch (SQLException e) {
      throw new IllegalStateException("read the database clock", e);
    }
  }

  /**
   * The furthest a timer reaches: 100 000 years. A longer sleep or timeout (df.sleep takes any
   * bigint of seconds) waits that long instead, since PostgreSQL's intervals and timestamps end a
   * few hundred thousand years from now; for anything running today both mean never.
   */
  static final java.time.Duration LONGEST_TIMER = java.time.Duration.ofDays(365L * 100_000);

  /** A timer's deadline, with the database's clock as it was when the deadline was read. */
  public record Deadline(Instant now, Instant due) {
    /** Whether the deadline has come. */
    public boolean passed() {
      return !now.isBefore(due);
    }
  }

  /** The database's clock, and the deadline of a timer node if one was fixed already. */
  public record TimerReading(Instant now, Optional<Instant> due) {}

  /**
   * Reads a timer node's deadline in one scope generation, if it has one, with the database's
   * clock, in one round trip and without a transaction: a deadline never changes once fixed. A node
   * whose first deadline depends on the clock (a cron tick) reads this first, and fixes its
   * deadline with {@link #timer} only when there is none.
   */
  public TimerReading timerIfSet(ClaimedInstance claim, String nodeId, String stamp) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "SELECT clock_timestamp(), (SELECT due_at FROM df_engine.timers"
                    + " WHERE instance_id = ? AND node_id = ? AND stamp = ?)")) {
      statement.setString(1, claim.id());
      statement.setString(2, nodeId);
      statement.setString(3, stamp);
      try (ResultSet row = statement.executeQuery()) {
        row.next();
        Timestamp due = row.getTimestamp(2);
        return new TimerReading(
            row.getTimestamp(1).toInstant(), Optional.ofNullable(due).map(Timestamp::toInstant));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("timer of node " + nodeId + " of " + claim.id(), e);
    }
  }

  /**
   * The deadline of a timer node in one scope generation: the one fixed when it first ran, or
   * {@code proposed} if it runs now for the first time.
   */
  public Instant timer(ClaimedInstance claim, String nodeId, String stamp, Instant proposed) {
    return timer(
            claim,
            nodeId,
            stamp,
            "SELECT ?::timestamptz",
            statement -> statement.setTimestamp(1, Timestamp.from(proposed)))
        .due();
  }

  /**
   * Like {@link #timer}, with a first deadline {@code after} from now on the database's clock, and
   * that clock returned with it: one round trip where reading the clock first took two.
   */
  public Deadline timerAfter(
      ClaimedInstance claim, String nodeId, String stamp, java.time.Duration after) {
    java.time.Duration kept = after.compareTo(LONGEST_TIMER) > 0 ? LONGEST_TIMER : after;
    return timer(
        claim,
        nodeId,
        stamp,
        "SELECT clock.now + ? * interval '1 millisecond' FROM clock",
        statement -> statement.setLong(1, kept.toMillis()));
  }

  /** Sets the one parameter of a first deadline's expression. */
  private interface ProposedDue {
    void set(PreparedStatement statement) throws SQLException;
  }

  /**
   * Inserts the timer row unless there is one, only while the lease is current, and reads it back
   * with the clock. {@code proposedDue} selects the first deadline from one parameter, which {@code
   * parameter} sets; it may read {@code clock.now}.
   */
  private Deadline timer(
      ClaimedInstance claim,
      String nodeId,
      String stamp,
      String proposedDue,
      ProposedDue parameter) {
    try (Connection connection = durable();
        PreparedStatement statement =
            connection.prepareStatement(
                "WITH clock AS MATERIALIZED (SELECT clock_timestamp() AS now),"
                    + " proposed AS ("
                    + proposedDue
                    + "),"
                    + " fresh AS (INSERT INTO df_engine.timers (instance_id, node_id, stamp,"
                    + " due_at) SELECT ?, ?, ?, (SELECT * FROM proposed) WHERE"
                    + LEASED
                    + " ON CONFLICT DO NOTHING RETURNING due_at)"
                    + " SELECT clock.now, t.due_at FROM clock, (SELECT due_at FROM fresh"
                    + " UNION ALL SELECT due_at FROM df_engine.timers"
                    + " WHERE instance_id = ? AND node_id = ? AND stamp = ?) t")) {
      parameter.set(statement);
      int next = 2;
      statement.setString(next++, claim.id());
      statement.setString(next++, nodeId);
      statement.setString(next++, stamp);
      statement.setString(next++, claim.id());
      statement.setObject(next++, claim.leaseToken());
      statement.setString(next++, claim.id());
      statement.setString(next++, nodeId);
      statement.setString(next, stamp);
      try (ResultSet row = statement.executeQuery()) {
        if (!row.next()) {
          connection.rollback();
          throw new LeaseLostException(claim.id());
        }
        Deadline deadline =
            new Deadline(row.getTimestamp(1).toInstant(), row.getTimestamp(2).toInstant());
        connection.commit();
        return deadline;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("timer of node " + nodeId + " of " + claim.id(), e);
    }
  }

  /**
   * The signal the trigger already delivered to this wait, read without the claim row's lock and
   * without a transaction to commit: a delivered wait never changes again. That is how a parked
   * instance finds its signal when it is woken, in one round trip.
   */
  private Optional<SignalDelivery> deliveredAlready(
      ClaimedInstance claim, String nodeId, String stamp) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "SELECT payload::text FROM df_engine.waits"
                    + " WHERE instance_id = ? AND node_id = ? AND stamp = ?"
                    + " AND signal_id IS NOT NULL AND"
                    + LEASED)) {
      statement.setString(1, claim.id());
      statement.setString(2, nodeId);
      statement.setString(3, stamp);
      statement.setString(4, claim.id());
      statement.setObject(5, claim.leaseToken());
      try (ResultSet row = statement.executeQuery()) {
        return row.next()
            ? Optional.of(new SignalDelivery(true, Optional.ofNullable(row.getString(1))))
            : Optional.empty();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("wait of node " + nodeId + " of " + claim.id(), e);
    }
  }

  /**
   * Looks for a signal for a wait (R-DIFF-3): one already delivered to this wait, else the oldest
   * kept signal of that name, which it consumes; with neither, registers the wait (so that a signal
   * arriving later is delivered to it) and returns none. Runs under the instance's claim row lock,
   * which the signal trigger takes too, so that no signal slips between the two.
   */
  public SignalDelivery takeSignal(
      ClaimedInstance claim, String nodeId, String stamp, String name, Optional<Instant> dueAt) {
    Optional<SignalDelivery> already = deliveredAlready(claim, nodeId, stamp);
    if (already.isPresent()) {
      return already.get();
    }
    try (Connection connection = durable()) {
      try {
        try (PreparedStatement lock =
            connection.prepareStatement(
                "SELECT 1 FROM df_engine.runs WHERE instance_id = ? AND lease_token = ?"
                    + " FOR UPDATE")) {
          lock.setString(1, claim.id());
          lock.setObject(2, claim.leaseToken());
          try (ResultSet row = lock.executeQuery()) {
            if (!row.next()) {
              throw new LeaseLostException(claim.id());
            }
          }
        }
        try (PreparedStatement delivered =
            connection.prepareStatement(
                "SELECT signal_id IS NOT NULL, payload::text FROM df_engine.waits"
                    + " WHERE instance_id = ? AND node_id = ? AND stamp = ?")) {
          delivered.setString(1, claim.id());
          delivered.setString(2, nodeId);
          delivered.setString(3, stamp);
          try (ResultSet row = delivered.executeQuery()) {
            if (row.next()) {
              SignalDelivery result =
                  row.getBoolean(1)
                      ? new SignalDelivery(true, Optional.ofNullable(row.getString(2)))
                      : SignalDelivery.none();
              connection.commit();
              return result;
            }
          }
        }
        try (PreparedStatement inbox =
            connection.prepareStatement(
                "UPDATE df_engine.signals SET consumed_at = clock_timestamp(), consumed_by = ?"
                    + " WHERE id = (SELECT id FROM df_engine.signals WHERE instance_id = ?"
                    + " AND name = ? AND consumed_at IS NULL ORDER BY id LIMIT 1)"
                    + " RETURNING id, payload::text")) {
          inbox.setString(1, stamp + "::" + nodeId);
          inbox.setString(2, claim.id());
          inbox.setString(3, name);
          try (ResultSet row = inbox.executeQuery()) {
            if (row.next()) {
              long signalId = row.getLong(1);
              String payload = row.getString(2);
              recordWait(connection, claim, nodeId, stamp, name, dueAt, signalId, payload);
              connection.commit();
              return new SignalDelivery(true, Optional.ofNullable(payload));
            }
          }
        }
        recordWait(connection, claim, nodeId, stamp, name, dueAt, null, null);
        connection.commit();
        return SignalDelivery.none();
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("signal wait of node " + nodeId + " of " + claim.id(), e);
    }
  }

  private static void recordWait(
      Connection connection,
      ClaimedInstance claim,
      String nodeId,
      String stamp,
      String name,
      Optional<Instant> dueAt,
      Long signalId,
      String payload)
      throws SQLException {
    try (PreparedStatement wait =
        connection.prepareStatement(
            "INSERT INTO df_engine.waits (instance_id, node_id, stamp, signal_name, due_at,"
                + " signal_id, payload, delivered_at) VALUES (?, ?, ?, ?, ?, ?::bigint, ?::jsonb,"
                + " CASE WHEN ?::bigint IS NOT NULL THEN clock_timestamp() END)"
                + " ON CONFLICT DO NOTHING")) {
      wait.setString(1, claim.id());
      wait.setString(2, nodeId);
      wait.setString(3, stamp);
      wait.setString(4, name);
      wait.setTimestamp(5, dueAt.map(Timestamp::from).orElse(null));
      wait.setObject(6, signalId);
      wait.setString(7, payload);
      wait.setObject(8, signalId);
      wait.executeUpdate();
    }
  }

  /** Closes a wait that timed out, so that later signals are no longer delivered to it. */
  public void closeWait(ClaimedInstance claim, String nodeId, String stamp) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "UPDATE df_engine.waits SET signal_id = -1, delivered_at = clock_timestamp()"
                    + " WHERE instance_id = ? AND node_id = ? AND stamp = ? AND signal_id IS NULL")) {
      statement.setString(1, claim.id());
      statement.setString(2, nodeId);
      statement.setString(3, stamp);
      statement.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("close wait of node " + nodeId, e);
    }
  }

  /** Closes every open wait in the scopes under {@code scopePrefix} (a race loser's). */
  public void closeWaitsUnder(ClaimedInstance claim, String scopePrefix) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "UPDATE df_engine.waits SET signal_id = -1, delivered_at = clock_timestamp()"
                    + " WHERE instance_id = ? AND starts_with(stamp, ?) AND signal_id IS NULL")) {
      statement.setString(1, claim.id());
      statement.setString(2, scopePrefix);
      statement.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("close waits under " + scopePrefix, e);
    }
  }
}
