package dev.durablesql.engine.cli;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * How far an instance got: its status, how many of its nodes are done (completed, failed or
 * skipped, by the inferred status of df.instance_nodes) out of all of them, and the steps running
 * now. Nodes are counted as df.explain draws them, so the THENs of a chain do not count.
 *
 * @param current the labels of the running steps (df.explain's), in graph order
 */
record Progress(String status, long done, long total, List<String> current) {
  private static final String QUERY =
      """
      WITH i AS (SELECT i.id, i.status FROM df.instances i WHERE i.id = ?),
           n AS (SELECT n.* FROM i, df.instance_nodes(i.id) WITH ORDINALITY n
                  WHERE n.node_type <> 'THEN')
      SELECT i.status,
             (SELECT count(*) FROM n) AS total,
             (SELECT count(*) FROM n
               WHERE n.inferred_status IN ('completed', 'failed', 'skipped')) AS done,
             (SELECT string_agg(df_engine.node_label(n.node_type, n.query, n.result_name,
                                                     n.status_details::jsonb),
                                E'\\n' ORDER BY n.ordinality)
                FROM n
               WHERE n.inferred_status = 'running'
                 AND n.node_type NOT IN ('IF', 'LOOP', 'JOIN', 'RACE')) AS current
        FROM i
      """;

  Progress {
    current = List.copyOf(current);
  }

  /** The instance's progress, or empty when the role cannot see it (or it was removed). */
  static Optional<Progress> read(RoleSession session, InstanceId id) {
    try (PreparedStatement statement = session.connection().prepareStatement(QUERY)) {
      statement.setString(1, id.value());
      try (ResultSet row = statement.executeQuery()) {
        if (!row.next()) {
          return Optional.empty();
        }
        String current = row.getString("current");
        return Optional.of(
            new Progress(
                row.getString("status"),
                row.getLong("done"),
                row.getLong("total"),
                current == null ? List.of() : current.lines().toList()));
      }
    } catch (SQLException e) {
      throw RoleSession.failure("read the progress of instance " + id, e);
    }
  }

  boolean isTerminal() {
    return RoleSession.isTerminal(status);
  }

  /** One line for people, such as {@code running, 2/5 nodes done: SQL: SELECT pg_sleep(5)}. */
  String describe() {
    String counts = done + "/" + total + " nodes done";
    if (status.equals("pending")) {
      return "pending, " + counts + " (waiting for an engine to pick it up)";
    }
    if (current.isEmpty()) {
      return status + ", " + counts;
    }
    return status + ", " + counts + ": " + String.join(", ", current);
  }
}
