package dev.durablesql.engine.cli;

import java.io.PrintWriter;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code durable show ID}: one instance, its row and its graph with the status of every node. */
@Command(
    name = "show",
    mixinStandardHelpOptions = true,
    description = {
      "Shows one instance: its df.explain tree with a mark for the status of every node",
      "(✓ completed, ✗ failed, ⏳ running, ○ pending, ⊘ skipped), then its row."
    })
final class ShowCommand implements Callable<Integer> {
  /** Longer outputs are cut in df.explain's header; the row then shows them whole. */
  private static final int HEADER_OUTPUT_WIDTH = 60;

  @Mixin ConfigOptions configOptions;
  @Mixin ConnectionOptions connection;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ID", description = "The instance id df.start returned.")
  String idText;

  @Option(
      names = "--json",
      description = "Print one JSON document: the row, the explain text and every node.")
  boolean json;

  @Override
  public Integer call() {
    InstanceId id = InstanceId.of(idText);
    PrintWriter out = spec.commandLine().getOut();
    try (RoleSession session = RoleSession.open(configOptions, connection)) {
      Row row = row(session, id).orElseThrow(() -> session.notFound(id));
      String explain = explain(session, id);
      if (json) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("instance", row.json());
        document.put("explain", explain);
        document.put("nodes", nodes(session, id));
        out.println(Json.document(document));
      } else {
        out.println(explain);
        out.println();
        out.print(row.text());
      }
    }
    out.flush();
    return 0;
  }

  private static Optional<Row> row(RoleSession session, InstanceId id) {
    try (PreparedStatement statement =
        session
            .connection()
            .prepareStatement(
                "SELECT i.id, i.label, i.status, i.submitted_by::text AS submitted_by, i.database,"
                    + " i.created_at, i.updated_at, i.completed_at, info.current_execution_id,"
                    + " info.output"
                    + " FROM df.instances i LEFT JOIN df.instance_info(i.id) info ON true"
                    + " WHERE i.id = ?")) {
      statement.setString(1, id.value());
      try (ResultSet row = statement.executeQuery()) {
        if (!row.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new Row(
                row.getString("id"),
                row.getString("label"),
                row.getString("status"),
                row.getString("submitted_by"),
                row.getString("database"),
                Timestamps.read(row, "created_at"),
                Timestamps.read(row, "updated_at"),
                Timestamps.read(row, "completed_at"),
                row.getLong("current_execution_id"),
                row.getString("output")));
      }
    } catch (SQLException e) {
      throw RoleSession.failure("read instance " + id + " as role " + session.role(), e);
    }
  }

  private static String explain(RoleSession session, InstanceId id) {
    try (PreparedStatement statement =
        session.connection().prepareStatement("SELECT df.explain(?)")) {
      statement.setString(1, id.value());
      try (ResultSet row = statement.executeQuery()) {
        row.next();
        return row.getString(1);
      }
    } catch (SQLException e) {
      throw RoleSession.failure("explain instance " + id, e);
    }
  }

  /** Every node as df.instance_nodes gives it, in its order (depth-first from the root). */
  private static List<Map<String, Object>> nodes(RoleSession session, InstanceId id) {
    try (PreparedStatement statement =
        session
            .connection()
            .prepareStatement(
                "SELECT n.node_id, n.node_type, n.query, n.result_name, n.left_node,"
                    + " n.right_node, n.status, n.inferred_status, n.result, n.status_details,"
                    + " n.updated_at, df_engine.node_label(n.node_type, n.query, n.result_name,"
                    + " n.status_details::jsonb) AS label"
                    + " FROM df.instance_nodes(?) WITH ORDINALITY n ORDER BY n.ordinality")) {
      statement.setString(1, id.value());
      List<Map<String, Object>> nodes = new ArrayList<>();
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          Map<String, Object> node = new LinkedHashMap<>();
          node.put("node_id", rows.getString("node_id"));
          node.put("node_type", rows.getString("node_type"));
          node.put("label", rows.getString("label"));
          node.put("query", rows.getString("query"));
          node.put("result_name", rows.getString("result_name"));
          node.put("left_node", rows.getString("left_node"));
          node.put("right_node", rows.getString("right_node"));
          node.put("status", rows.getString("status"));
          node.put("inferred_status", rows.getString("inferred_status"));
          node.put("result", Json.stored(rows.getString("result")));
          node.put("status_details", Json.stored(rows.getString("status_details")));
          node.put("updated_at", Timestamps.json(Timestamps.read(rows, "updated_at")));
          nodes.add(node);
        }
      }
      return nodes;
    } catch (SQLException e) {
      throw RoleSession.failure("read the nodes of instance " + id, e);
    }
  }

  /** The instance's row with the execution count and output of df.instance_info. */
  private record Row(
      String id,
      String label,
      String status,
      String submittedBy,
      String database,
      OffsetDateTime createdAt,
      OffsetDateTime updatedAt,
      OffsetDateTime completedAt,
      long executionCount,
      String output) {

    Map<String, Object> json() {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("instance_id", id);
      json.put("label", label);
      json.put("status", status);
      json.put("submitted_by", submittedBy);
      json.put("database", database);
      json.put("created_at", Timestamps.json(createdAt));
      json.put("updated_at", Timestamps.json(updatedAt));
      json.put("completed_at", Timestamps.json(completedAt));
      json.put("execution_count", executionCount);
      json.put("output", output);
      return json;
    }

    /** What the explain header does not show already. */
    String text() {
      StringBuilder text = new StringBuilder();
      field(text, "submitted by", submittedBy);
      if (database != null) {
        field(text, "database", database);
      }
      field(text, "created", Timestamps.text(createdAt));
      field(text, "updated", Timestamps.text(updatedAt));
      if (completedAt != null) {
        field(text, "completed", Timestamps.text(completedAt));
      }
      field(text, "executions", Long.toString(executionCount));
      if (output != null && output.length() > HEADER_OUTPUT_WIDTH) {
        field(text, "output", output);
      }
      return text.toString();
    }

    private static void field(StringBuilder text, String name, String value) {
      text.append(name).append(" ".repeat(14 - name.length())).append(value).append('\n');
    }
  }
}
