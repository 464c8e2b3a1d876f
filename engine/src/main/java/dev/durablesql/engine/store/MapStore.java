package dev.durablesql.engine.store;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.claim.ClaimedInstance;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The durable state of MAP nodes (R-EXT-3): the rows each map run read (df_engine.map_runs, written
 * by the rows query's own checkpoint), how the nodes inside its rows ended, per stamp
 * (df_engine.map_outputs), and what df.nodes shows of a map: its progress and, when it ends, its
 * body as one row ran it. Writes are bookkeeping on the management pool, fenced by the lease token.
 */
public final class MapStore {
  private static final String LEASED =
      " EXISTS (SELECT 1 FROM df_engine.runs r WHERE r.instance_id = ? AND r.lease_token = ?)";

  private final DataSource dataSource;

  public MapStore(DataSource dataSource) {
    this.dataSource = requireNonNull(dataSource, "dataSource is null");
  }

  /** How a node inside a map row ended, in the scope generation {@code stamp}. */
  public record Output(String stamp, String nodeId, boolean failed, String output, boolean broke) {
    public Output {
      requireNonNull(stamp, "stamp is null");
      requireNonNull(nodeId, "nodeId is null");
      requireNonNull(output, "output is null");
    }
  }

  /**
   * The rows of the map run of node {@code nodeId} stamped {@code stamp}, as its rows query's
   * encoded result; empty when the query has not run (or not committed) yet.
   */
  public Optional<String> rows(String instanceId, String nodeId, String stamp) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "SELECT rows FROM df_engine.map_runs"
                    + " WHERE instance_id = ? AND node_id = ? AND stamp = ?")) {
      statement.setString(1, instanceId);
      statement.setString(2, nodeId);
      statement.setString(3, stamp);
      try (ResultSet row = statement.executeQuery()) {
        return row.next() ? Optional.of(row.getString(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("load the rows of MAP node " + nodeId, e);
    }
  }

  /** Every recorded end of a node in the rows of the map scope {@code scopeId}. */
  public List<Output> outputsUnder(String instanceId, String scopeId) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "SELECT stamp, node_id, status = 'failed', output, broke FROM df_engine.map_outputs"
                    + " WHERE instance_id = ? AND starts_with(stamp, ?)")) {
      statement.setString(1, instanceId);
      statement.setString(2, scopeId + "::");
      List<Output> outputs = new ArrayList<>();
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          outputs.add(
              new Output(
                  rows.getString(1),
                  rows.getString(2),
                  rows.getBoolean(3),
                  rows.getString(4),
                  rows.getBoolean(5)));
        }
      }
      return outputs;
    } catch (SQLException e) {
      throw new IllegalStateException("load the map rows under " + scopeId, e);
    }
  }

  /**
   * Records how a node inside a map row ended (a compound node, a failure, a break); a SQL step's
   * completion is recorded by its own checkpoint instead.
   *
   * @param resultIsJson whether {@code output} is JSON (else it is shown as a JSON string)
   */
  public void writeOutput(ClaimedInstance claim, Output output, boolean resultIsJson) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "INSERT INTO df_engine.map_outputs (instance_id, stamp, node_id, status, output,"
                    + " is_json, broke) SELECT ?, ?, ?, ?, ?, ?, ? WHERE"
                    + LEASED
                    + " ON CONFLICT (instance_id, stamp, node_id) DO UPDATE SET status ="
                    + " EXCLUDED.status, output = EXCLUDED.output, is_json = EXCLUDED.is_json,"
                    + " broke = EXCLUDED.broke")) {
      statement.setString(1, claim.id());
      statement.setString(2, output.stamp());
      statement.setString(3, output.nodeId());
      statement.setString(4, output.failed() ? "failed" : "completed");
      statement.setString(5, output.output());
      statement.setBoolean(6, resultIsJson);
      statement.setBoolean(7, output.broke());
      statement.setString(8, claim.id());
      statement.setObject(9, claim.leaseToken());
      if (statement.executeUpdate() == 0) {
        throw new LeaseLostException(claim.id());
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "record node " + output.nodeId() + " of map row " + output.stamp(), e);
    }
  }

  /**
   * Shows a map's progress in the MAP node's status_details while the node carries {@code stamp}:
   * {@code {"execution_id": "<stamp>", "map": <progress>}}. A stale stamp changes nothing.
   */
  public void writeProgress(
      ClaimedInstance claim, String nodeId, String stamp, String progressJson) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "UPDATE df.nodes SET status_details = jsonb_build_object('execution_id', ?::text,"
                    + " 'map', ?::jsonb) WHERE instance_id = ? AND id = ?"
                    + " AND status_details ->> 'execution_id' = ? AND"
                    + LEASED)) {
      statement.setString(1, stamp);
      statement.setString(2, progressJson);
      statement.setString(3, claim.id());
      statement.setString(4, nodeId);
      statement.setString(5, stamp);
      statement.setString(6, claim.id());
      statement.setObject(7, claim.leaseToken());
      statement.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("write the progress of MAP node " + nodeId, e);
    }
  }

  /**
   * Shows the body of a map in df.nodes as the row stamped {@code rowStamp} ran it: each node's
   * latest record in that row, through the stamp fence (R-EXEC-26). One statement for the whole
   * body, when the map ends, instead of a write per row to the rows of df.nodes that all rows
   * share.
   */
  public void showRow(ClaimedInstance claim, String rowStamp) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                """
                UPDATE df.nodes n
                   SET status = o.status,
                       result = CASE WHEN o.is_json THEN o.output::jsonb ELSE to_jsonb(o.output) END,
                       status_details = jsonb_build_object('execution_id', o.stamp),
                       updated_at = now()
                  FROM (SELECT DISTINCT ON (m.node_id) m.node_id, m.stamp, m.status, m.output, m.is_json
                          FROM df_engine.map_outputs m
                         WHERE m.instance_id = ? AND (m.stamp = ? OR starts_with(m.stamp, ?))
                         ORDER BY m.node_id, m.seq DESC) o
                 WHERE n.instance_id = ? AND n.id = o.node_id
                   AND df_engine.stamp_accepts(n.status_details ->> 'execution_id', o.stamp)
                   AND\
                """
                    + LEASED)) {
      statement.setString(1, claim.id());
      statement.setString(2, rowStamp);
      statement.setString(3, rowStamp + "::");
      statement.setString(4, claim.id());
      statement.setString(5, claim.id());
      statement.setObject(6, claim.leaseToken());
      statement.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("show map row " + rowStamp, e);
    }
  }
}
