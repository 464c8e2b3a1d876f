package dev.durablesql.engine.store;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.claim.ClaimFollowUp;
import dev.durablesql.engine.claim.ClaimedInstance;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The engine's reads and writes of instances and nodes, on the management pool. Every write
 * presents the claim's lease token, so that an engine whose lease was taken over changes nothing
 * ({@link LeaseLostException}).
 */
public final class InstanceStore {
  private static final String FENCE =
      " AND EXISTS (SELECT 1 FROM df_engine.runs r WHERE r.instance_id = ? AND r.lease_token = ?)";

  private final DataSource dataSource;
  private final String engineName;
  private final NodeMarks marks;
  private final InstanceLoader loader;

  /**
   * @param marks where status marks that need no durability go (running stamps, compound
   *     completions); they are written before anything that ends a claim
   */
  public InstanceStore(DataSource dataSource, String engineName, NodeMarks marks) {
    this.dataSource = requireNonNull(dataSource, "dataSource is null");
    this.engineName = requireNonNull(engineName, "engineName is null");
    this.marks = requireNonNull(marks, "marks is null");
    this.loader = new InstanceLoader(dataSource);
  }

  public String engineName() {
    return engineName;
  }

  public void putBackMarks(List<NodeMarks.Mark> taken) {
    marks.putBack(taken);
  }

  /**
   * Drops the instance's queued marks: it ended in its last step's transaction, which wrote what
   * they would have (and they would find its claim gone).
   */
  public void discardMarks(ClaimedInstance claim) {
    takeMarks(claim);
  }

  /**
   * Queues a status mark that needs no durability: a node's {@code running} stamp or a compound
   * node's completion ({@link NodeMarks}). A lost lease shows at the next checkpoint instead.
   */
  public void markNode(
      ClaimedInstance claim,
      String nodeId,
      String status,
      String result,
      String stamp,
      boolean resultIsJson) {
    marks.mark(claim, nodeId, status, result, stamp, resultIsJson);
  }

  /**
   * Forgets the node's queued {@code running} mark for execution {@code stamp}: the node's end is
   * written ({@link NodeMarks#dropRunning}).
   */
  public void dropRunningMark(ClaimedInstance claim, String nodeId, String stamp) {
    marks.dropRunning(claim.id(), nodeId, stamp);
  }

  /**
   * Takes the instance's marks not written yet (waiting for those being written now), for a caller
   * that writes them before a write that must come after them, or in its own transaction ({@link
   * #putBackMarks} if that fails). Call it before borrowing a connection.
   */
  public List<NodeMarks.Mark> takeMarks(ClaimedInstance claim) {
    try {
      return marks.takeFor(claim.id());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while writing the marks of " + claim.id(), e);
    }
  }

  /**
   * Prepares {@code sql} behind the write of {@code pending} (if any), to go in one round trip; its
   * own parameters start at {@link #firstParameter}, and {@link #executeAfterMarks} runs it.
   */
  private static PreparedStatement prepareAfterMarks(
      Connection connection, List<NodeMarks.Mark> pending, String sql) throws SQLException {
    if (pending.isEmpty()) {
      return connection.prepareStatement(sql);
    }
    PreparedStatement statement = connection.prepareStatement(NodeMarks.WRITE + "; " + sql);
    statement.setString(1, NodeMarks.json(pending));
    return statement;
  }

  private static int firstParameter(List<NodeMarks.Mark> pending) {
    return pending.isEmpty() ? 1 : 2;
  }

  /** Executes it and moves past the marks' result to the statement's own. */
  private static void executeAfterMarks(PreparedStatement statement, List<NodeMarks.Mark> pending)
      throws SQLException {
    statement.execute();
    if (!pending.isEmpty()) {
      statement.getMoreResults();
    }
  }

  private static void writeMarks(Connection connection, List<NodeMarks.Mark> pending)
      throws SQLException {
    if (!pending.isEmpty()) {
      NodeMarks.write(connection, pending);
    }
  }

  /**
   * What reads the instances a claim takes, in the claim's round trip ({@link
   * dev.durablesql.engine.claim.InstanceClaimer#claim(int, ClaimFollowUp)}): {@link
   * #load(ClaimedInstance)} then finds them read.
   */
  public ClaimFollowUp loadWithClaim() {
    return loader;
  }

  /**
   * The claimed instance and its graph, as its claim read them or (when it did not) as they are
   * now; empty if the instance row is gone.
   */
  public Optional<LoadedInstance> load(ClaimedInstance claim) {
    return loader.load(claim);
  }

  /** Records a failed attempt that will be retried, so that a restart continues the count. */
  public void recordFailedAttempt(
      ClaimedInstance claim, String nodeId, String stamp, int attempt, String error) {
    try (Connection connection = dataSource.getConnection()) {
      execute(
          connection,
          "INSERT INTO df_engine.node_attempts (instance_id, node_id, attempts, last_error, stamp)"
              + " SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM df_engine.runs r"
              + " WHERE r.instance_id = ? AND r.lease_token = ?)"
              + " ON CONFLICT (instance_id, node_id) DO UPDATE"
              + " SET attempts = EXCLUDED.attempts, last_error = EXCLUDED.last_error,"
              + " stamp = EXCLUDED.stamp, updated_at = now()",
          claim.id(),
          nodeId,
          attempt,
          error,
          stamp,
          claim.id(),
          claim.leaseToken());
    } catch (SQLException e) {
      throw new IllegalStateException("record attempt " + attempt + " of node " + nodeId, e);
    }
  }

  /**
   * Writes a node's status through the stamp fence (R-EXEC-26): false when the row carries a newer
   * stamp (the write is discarded), {@link LeaseLostException} when the lease is gone.
   *
   * @param result the result text (completed) or error text (failed); null for running
   * @param resultIsJson whether {@code result} is JSON (else it is stored as a JSON string)
   */
  public boolean writeNode(
      ClaimedInstance claim,
      String nodeId,
      String status,
      String result,
      String stamp,
      boolean resultIsJson,
      boolean broke) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement("SELECT df_engine.write_node(?, ?, ?, ?, ?, ?, ?, ?)")) {
      statement.setString(1, claim.id());
      statement.setString(2, nodeId);
      statement.setObject(3, claim.leaseToken());
      statement.setString(4, status);
      statement.setString(5, result);
      statement.setString(6, stamp);
      statement.setBoolean(7, resultIsJson);
      statement.setBoolean(8, broke);
      try (ResultSet row = statement.executeQuery()) {
        row.next();
        int written = row.getInt(1);
        if (written < 0) {
          throw new LeaseLostException(claim.id());
        }
        return written == 1;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("write node " + nodeId + " of " + claim.id(), e);
    }
  }

  /**
   * Parks a waiting instance (sleep, schedule, signal): releases the claim and makes it due at
   * {@code wakeAt} (never, for a wait on signals only, which wake it themselves). If a signal or a
   * cancel arrived since the claim, it stays due now instead.
   */
  public void suspend(ClaimedInstance claim, Optional<java.time.Instant> wakeAt) {
    // The instance's last marks (its waiting node's running stamp) go in the same round trip.
    List<NodeMarks.Mark> pending = takeMarks(claim);
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = prepareAfterMarks(connection, pending, SUSPEND)) {
      int parameter = firstParameter(pending);
      statement.setLong(parameter++, claim.wakeSeq());
      statement.setTimestamp(parameter++, wakeAt.map(java.sql.Timestamp::from).orElse(null));
      statement.setString(parameter++, claim.id());
      statement.setObject(parameter, claim.leaseToken());
      executeAfterMarks(statement, pending);
      if (statement.getUpdateCount() == 0) {
        throw new LeaseLostException(claim.id());
      }
    } catch (SQLException e) {
      throw new IllegalStateException("suspend instance " + claim.id(), e);
    }
  }

  private static final String SUSPEND =
      "UPDATE df_engine.runs SET lease_owner = NULL, lease_until = NULL, lease_token ="
          + " NULL, wake_at = CASE WHEN wake_seq = ? THEN coalesce(?::timestamptz, 'infinity')"
          + " ELSE now() END WHERE instance_id = ? AND lease_token = ?";

  /** pending → running (R-EXEC-5); a no-op for any other status. */
  public void markRunning(ClaimedInstance claim) {
    marks.mark(claim, null, "running", null, null, false);
  }

  /**
   * Stamps every node of a cancelled instance that is still {@code running} as failed with a text
   * starting with {@code cancelled} and the cancel's reason (R-DIFF-9).
   */
  public void stampCancelled(ClaimedInstance claim) {
    // Fenced by the lease, but no row stamped is no sign of a lost lease: an instance cancelled
    // before it ran has no node running. finish() finds out whether the lease is still held.
    afterMarks(
        claim,
        "stamp the running nodes of cancelled " + claim.id(),
        connection ->
            execute(
                connection,
                "UPDATE df.nodes SET status = 'failed', updated_at = now(), result ="
                    + " to_jsonb('cancelled: ' || coalesce((SELECT e.detail ->> 'reason'"
                    + " FROM df_engine.events e WHERE e.instance_id = ?"
                    + " AND e.kind = 'cancel_requested' ORDER BY e.id DESC LIMIT 1),"
                    + " 'Cancelled by user'))"
                    + " WHERE instance_id = ? AND status = 'running'"
                    + FENCE,
                claim.id(),
                claim.id(),
                claim.id(),
                claim.leaseToken()));
  }

  /**
   * Ends an instance the engine could not walk (its error came back at every try): the nodes still
   * running, and the root if it has no result yet, are stamped failed with {@code text}, the event
   * log says so, and the instance ends failed.
   */
  public void failByEngine(ClaimedInstance claim, String text) {
    afterMarks(
        claim,
        "fail instance " + claim.id(),
        connection -> {
          execute(
              connection,
              "UPDATE df.nodes n SET status = 'failed', result = to_jsonb(?::text),"
                  + " updated_at = now() WHERE n.instance_id = ? AND (n.status = 'running'"
                  + " OR (n.status = 'pending' AND n.id ="
                  + " (SELECT i.root_node FROM df.instances i WHERE i.id = n.instance_id)))"
                  + FENCE,
              text,
              claim.id(),
              claim.id(),
              claim.leaseToken());
          event(connection, claim.id(), "engine_error", null);
        });
    finish(claim, "failed");
  }

  /**
   * Stamps the nodes still {@code running} in the scopes under {@code scopeId} (a RACE loser's) as
   * failed with {@code text} (R-DIFF-9).
   */
  public void stampRunningUnder(ClaimedInstance claim, String scopeId, String text) {
    afterMarks(
        claim,
        "stamp the nodes under " + scopeId,
        connection ->
            execute(
                connection,
                "UPDATE df.nodes SET status = 'failed', result = to_jsonb(?::text),"
                    + " updated_at = now() WHERE instance_id = ? AND status = 'running'"
                    + " AND starts_with(status_details ->> 'execution_id', ?)"
                    + FENCE,
                text,
                claim.id(),
                scopeId + "::",
                claim.id(),
                claim.leaseToken()));
  }

  /** Stamps those of {@code nodeIds} that are still running as failed with {@code text}. */
  public void stampRunning(ClaimedInstance claim, java.util.Set<String> nodeIds, String text) {
    if (nodeIds.isEmpty()) {
      return;
    }
    afterMarks(
        claim,
        "stamp the running nodes of instance " + claim.id(),
        connection -> stampRunning(connection, claim, nodeIds, text));
  }

  /** Work on one connection that may fail with the database's error. */
  private interface ConnectionWork {
    void run(Connection connection) throws SQLException;
  }

  /**
   * Writes the instance's queued marks, then {@code work}, on one connection: a stamp must not be
   * overwritten by a running mark that was still waiting in the queue.
   */
  private void afterMarks(ClaimedInstance claim, String what, ConnectionWork work) {
    List<NodeMarks.Mark> pending = takeMarks(claim);
    try (Connection connection = dataSource.getConnection()) {
      writeMarks(connection, pending);
      work.run(connection);
    } catch (SQLException e) {
      throw new IllegalStateException(what, e);
    }
  }

  private static void stampRunning(
      Connection connection, ClaimedInstance claim, java.util.Set<String> nodeIds, String text)
      throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement(
            "UPDATE df.nodes SET status = 'failed', result = to_jsonb(?::text),"
                + " updated_at = now() WHERE instance_id = ? AND status = 'running'"
                + " AND id = ANY (?::varchar[])"
                + FENCE)) {
      statement.setString(1, text);
      statement.setString(2, claim.id());
      statement.setArray(3, connection.createArrayOf("varchar", nodeIds.toArray()));
      statement.setString(4, claim.id());
      statement.setObject(5, claim.leaseToken());
      statement.executeUpdate();
    }
  }

  /** Ids of the instances this engine holds that were cancelled meanwhile. */
  public java.util.List<String> cancelledAmongHeld() {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "SELECT r.instance_id FROM df_engine.runs r JOIN df.instances i ON i.id ="
                    + " r.instance_id WHERE r.lease_owner = ? AND i.status = 'cancelled'")) {
      statement.setString(1, engineName);
      java.util.List<String> ids = new java.util.ArrayList<>();
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          ids.add(rows.getString(1));
        }
      }
      return ids;
    } catch (SQLException e) {
      throw new IllegalStateException("find cancelled instances of engine " + engineName, e);
    }
  }

  /**
   * Ends the instance: sets its terminal status (never overwriting one, R-DATA-7) and removes its
   * claim row, in one transaction.
   */
  public void finish(ClaimedInstance claim, String status) {
    // The instance's last marks (its root's completion, typically) go in the same round trip.
    List<NodeMarks.Mark> pending = takeMarks(claim);
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = prepareAfterMarks(connection, pending, FINISH)) {
      int parameter = firstParameter(pending);
      statement.setString(parameter++, claim.id());
      statement.setObject(parameter++, claim.leaseToken());
      statement.setString(parameter++, status);
      statement.setString(parameter, engineName);
      executeAfterMarks(statement, pending);
      try (ResultSet row = statement.getResultSet()) {
        row.next();
        if (!row.getBoolean(1)) {
          throw new LeaseLostException(claim.id());
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("finish instance " + claim.id() + " as " + status, e);
    }
  }

  private static final String FINISH = "SELECT df_engine.finish_instance(?, ?, ?, ?)";

  /** Gives the instance back, due at once, for this or another engine to claim. */
  public void release(ClaimedInstance claim) {
    release(claim, java.time.Duration.ZERO);
  }

  /**
   * Gives the instance back, due after {@code delay} (after an unexpected failure, so that a
   * failing instance does not spin).
   */
  public void release(ClaimedInstance claim, java.time.Duration delay) {
    List<NodeMarks.Mark> pending = takeMarks(claim);
    try (Connection connection = dataSource.getConnection()) {
      writeMarks(connection, pending);
      execute(
          connection,
          "UPDATE df_engine.runs SET lease_owner = NULL, lease_until = NULL, lease_token = NULL,"
              + " wake_at = now() + make_interval(secs => ?) WHERE instance_id = ? AND lease_token = ?",
          delay.toMillis() / 1000.0,
          claim.id(),
          claim.leaseToken());
    } catch (SQLException e) {
      throw new IllegalStateException("release instance " + claim.id(), e);
    }
  }

  /** Whether df.settings allows superuser-owned instances (R-SEC-7). */
  public boolean superuserInstancesEnabled() {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "SELECT lower(df_engine.setting('enable_superuser_instances', 'off'))"
                    + " IN ('on', 'true', 'yes', '1')");
        ResultSet row = statement.executeQuery()) {
      return row.next() && row.getBoolean(1);
    } catch (SQLException e) {
      throw new IllegalStateException("read setting enable_superuser_instances", e);
    }
  }

  /** Appends to the instance's event log. */
  public void recordEvent(String instanceId, String kind, String nodeId) {
    try (Connection connection = dataSource.getConnection()) {
      event(connection, instanceId, kind, nodeId);
    } catch (SQLException e) {
      throw new IllegalStateException("record event " + kind + " of " + instanceId, e);
    }
  }

  private void event(Connection connection, String instanceId, String kind, String nodeId)
      throws SQLException {
    execute(
        connection,
        "INSERT INTO df_engine.events (instance_id, engine, kind, node_id) VALUES (?, ?, ?, ?)",
        instanceId,
        engineName,
        kind,
        nodeId);
  }

  private static int execute(Connection connection, String sql, Object... parameters)
      throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        statement.setObject(i + 1, parameters[i]);
      }
      return statement.executeUpdate();
    }
  }
}
