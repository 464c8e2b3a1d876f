package dev.durablesql.engine.surface;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Writes, as the superuser, what an engine would write while it runs an instance: node statuses,
 * results and stamps, and the instance's outcome. Monitoring tests use it instead of an engine, so
 * every execution they read (a loop's generations, a race loser, a failed branch) is exactly the
 * one they describe.
 */
final class InstanceNodesStamps {
  private final DataSource superuser;

  InstanceNodesStamps(DataSource superuser) {
    this.superuser = requireNonNull(superuser, "superuser is null");
  }

  /** Starts {@code expression} (a df DSL expression in SQL) on the connection's role. */
  static String start(Connection connection, String expression) throws SQLException {
    return Queries.text(connection, "SELECT df.start(" + expression + ")");
  }

  /** Stamps a node with its status, result (JSON text, or null) and execution id. */
  void stamp(String instanceId, String nodeId, String status, String result, String executionId)
      throws SQLException {
    stampAt(instanceId, nodeId, status, result, executionId, null);
  }

  /** As {@link #stamp}, with an explicit updated_at (null for now()). */
  void stampAt(
      String instanceId,
      String nodeId,
      String status,
      String result,
      String executionId,
      OffsetDateTime updatedAt)
      throws SQLException {
    int rows =
        update(
            "UPDATE df.nodes SET status = ?, result = ?::jsonb,"
                + " status_details = jsonb_build_object('execution_id', ?::text),"
                + " updated_at = COALESCE(?::timestamptz, now())"
                + " WHERE instance_id = ? AND id = ?",
            status,
            result,
            executionId,
            updatedAt,
            instanceId,
            nodeId);
    requireOneRow(rows, "node " + nodeId + " of instance " + instanceId);
  }

  /** Sets the instance's status as an engine ends it (completed_at only when completed). */
  void finish(String instanceId, String status) throws SQLException {
    int rows =
        update(
            "UPDATE df.instances SET status = ?, updated_at = now(),"
                + " completed_at = CASE WHEN ? = 'completed' THEN now() END WHERE id = ?",
            status,
            status,
            instanceId);
    requireOneRow(rows, "instance " + instanceId);
  }

  /**
   * Cancels the instance as df.cancel does, on the owner's connection: the reason (or none, when
   * null) goes through the setting that the status trigger records in the event log.
   */
  static void cancel(Connection owner, String instanceId, String reason) throws SQLException {
    boolean autoCommit = owner.getAutoCommit();
    owner.setAutoCommit(false);
    try {
      Queries.execute(owner, "SELECT set_config('df.cancel_reason', ?, true)", reason);
      Queries.execute(
          owner, "UPDATE df.instances SET status = 'cancelled' WHERE id = ?", instanceId);
      owner.commit();
    } finally {
      owner.setAutoCommit(autoCommit);
    }
  }

  void setCreatedAt(String instanceId, String createdAt) throws SQLException {
    int rows =
        update(
            "UPDATE df.instances SET created_at = ?::timestamptz WHERE id = ?",
            createdAt,
            instanceId);
    requireOneRow(rows, "instance " + instanceId);
  }

  String root(String instanceId) throws SQLException {
    return one("SELECT root_node FROM df.instances WHERE id = ?", instanceId);
  }

  /** The node whose query is exactly {@code query} (a SQL node). */
  String node(String instanceId, String query) throws SQLException {
    return one("SELECT id FROM df.nodes WHERE instance_id = ? AND query = ?", instanceId, query);
  }

  /** The only node of that type. */
  String nodeOfType(String instanceId, String nodeType) throws SQLException {
    return one(
        "SELECT id FROM df.nodes WHERE instance_id = ? AND node_type = ?", instanceId, nodeType);
  }

  String left(String instanceId, String nodeId) throws SQLException {
    return one(
        "SELECT left_node FROM df.nodes WHERE instance_id = ? AND id = ?", instanceId, nodeId);
  }

  String right(String instanceId, String nodeId) throws SQLException {
    return one(
        "SELECT right_node FROM df.nodes WHERE instance_id = ? AND id = ?", instanceId, nodeId);
  }

  /** The condition child of an IF or LOOP, which df.start keeps in the node's query. */
  String condition(String instanceId, String nodeId) throws SQLException {
    return one(
        "SELECT query::jsonb ->> 'condition_node' FROM df.nodes WHERE instance_id = ? AND id = ?",
        instanceId,
        nodeId);
  }

  /** The column names of what {@code sql} returns. */
  static List<String> columnNames(Connection connection, String sql, Object... parameters)
      throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int index = 0; index < parameters.length; index++) {
        statement.setObject(index + 1, parameters[index]);
      }
      try (ResultSet result = statement.executeQuery()) {
        ResultSetMetaData metaData = result.getMetaData();
        List<String> names = new ArrayList<>();
        for (int column = 1; column <= metaData.getColumnCount(); column++) {
          names.add(metaData.getColumnName(column));
        }
        return names;
      }
    }
  }

  private String one(String sql, Object... parameters) throws SQLException {
    List<String> values = Queries.column(superuser, sql, parameters);
    if (values.size() != 1 || values.get(0) == null) {
      throw new IllegalStateException("expected one value from " + sql + ", got " + values);
    }
    return values.get(0);
  }

  private int update(String sql, Object... parameters) throws SQLException {
    try (Connection connection = superuser.getConnection();
        PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int index = 0; index < parameters.length; index++) {
        statement.setObject(index + 1, parameters[index]);
      }
      return statement.executeUpdate();
    }
  }

  private static void requireOneRow(int rows, String what) {
    if (rows != 1) {
      throw new IllegalStateException("expected to update " + what + ", updated " + rows + " rows");
    }
  }
}
