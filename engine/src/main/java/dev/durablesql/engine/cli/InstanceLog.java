package dev.durablesql.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What is known about an instance's run, in time order: when it was started, every node that is
 * running or finished (with its result or error), and the engines' records from {@code
 * df_engine.instance_log} (claims, resumptions, retries, signals, cancel requests, the end). A
 * node's row keeps only its latest state, so a node that finished shows once, as finished.
 */
final class InstanceLog {
  /** Results longer than this are cut in text lines (errors never are); JSON has them whole. */
  private static final int RESULT_WIDTH = 200;

  private InstanceLog() {}

  /** The log as far as it goes now. */
  record Snapshot(String status, List<LogEntry> entries) {
    Snapshot {
      entries = List.copyOf(entries);
    }

    boolean isTerminal() {
      return RoleSession.isTerminal(status);
    }

    /**
     * Whether an engine has recorded the end ({@code instance_<status>}), after which it is done.
     */
    boolean hasEnd() {
      return entries.stream().anyMatch(e -> ("instance_" + status).equals(e.json().get("kind")));
    }
  }

  /** The instance's log, or empty when the role cannot see the instance (or it was removed). */
  static Optional<Snapshot> read(RoleSession session, InstanceId id) {
    try {
      List<LogEntry> entries = new ArrayList<>();
      Optional<String> status = start(session, id, entries);
      if (status.isEmpty()) {
        return Optional.empty();
      }
      nodes(session, id, entries);
      records(session, id, entries);
      entries.sort(Comparator.comparing(LogEntry::at)); // stable: ties keep the order above
      return Optional.of(new Snapshot(status.get(), entries));
    } catch (SQLException e) {
      throw RoleSession.failure("read the log of instance " + id, e);
    }
  }

  private static Optional<String> start(RoleSession session, InstanceId id, List<LogEntry> entries)
      throws SQLException {
    try (PreparedStatement statement =
        session
            .connection()
            .prepareStatement(
                "SELECT label, status, submitted_by::text AS submitted_by, created_at"
                    + " FROM df.instances WHERE id = ?")) {
      statement.setString(1, id.value());
      try (ResultSet row = statement.executeQuery()) {
        if (!row.next()) {
          return Optional.empty();
        }
        String label = row.getString("label");
        String role = row.getString("submitted_by");
        Map<String, Object> json = json(id, Timestamps.read(row, "created_at"), "instance_started");
        json.put("label", label);
        json.put("submitted_by", role);
        entries.add(
            new LogEntry(
                Timestamps.read(row, "created_at"),
                "started",
                "instance started by "
                    + role
                    + (label == null ? "" : " with label '" + label + "'"),
                json));
        return Optional.of(row.getString("status"));
      }
    }
  }

  private static void nodes(RoleSession session, InstanceId id, List<LogEntry> entries)
      throws SQLException {
    try (PreparedStatement statement =
        session
            .connection()
            .prepareStatement(
                "SELECT n.id, n.node_type, n.status, n.result::text AS result,"
                    + " n.result #>> '{}' AS result_text,"
                    + " n.status_details ->> 'execution_id' AS stamp, n.updated_at,"
                    + " df_engine.node_label(n.node_type, n.query, n.result_name,"
                    + " n.status_details) AS label"
                    + " FROM df.nodes n"
                    + " WHERE n.instance_id = ? AND n.status <> 'pending' AND n.node_type <> 'THEN'")) {
      statement.setString(1, id.value());
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          entries.add(node(id, rows));
        }
      }
    }
  }

  private static LogEntry node(InstanceId id, ResultSet row) throws SQLException {
    String nodeId = row.getString("id");
    String status = row.getString("status");
    String label = row.getString("label");
    String stamp = row.getString("stamp");
    OffsetDateTime at = Timestamps.read(row, "updated_at");
    Map<String, Object> json = json(id, at, "node_" + status);
    json.put("node_id", nodeId);
    json.put("node_type", row.getString("node_type"));
    json.put("label", label);
    json.put("stamp", stamp);
    StringBuilder text = new StringBuilder("node ").append(nodeId).append(' ').append(status);
    text.append("  ").append(label);
    if (stamp != null && !stamp.equals(id.value() + "::1")) {
      text.append("  [").append(stamp).append(']');
    }
    if (status.equals("failed")) {
      String error = row.getString("result_text");
      json.put("error", error);
      text.append(": ").append(error);
    } else if (status.equals("completed")) {
      String result = row.getString("result");
      json.put("result", Json.stored(result));
      if (result != null) {
        text.append(" -> ").append(OneLine.cut(result, RESULT_WIDTH));
      }
    }
    String key = "node:" + nodeId + ":" + status + ":" + stamp + ":" + at;
    return new LogEntry(at, key, text.toString(), json);
  }

  private static void records(RoleSession session, InstanceId id, List<LogEntry> entries)
      throws SQLException {
    try (PreparedStatement statement =
        session
            .connection()
            .prepareStatement(
                "SELECT at, kind, node_id, engine, detail::text AS detail, source, source_id"
                    + " FROM df_engine.instance_log WHERE instance_id = ?"
                    + " ORDER BY at, source, source_id")) {
      statement.setString(1, id.value());
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          entries.add(record(id, rows));
        }
      }
    }
  }

  private static LogEntry record(InstanceId id, ResultSet row) throws SQLException {
    OffsetDateTime at = Timestamps.read(row, "at");
    String kind = row.getString("kind");
    String nodeId = row.getString("node_id");
    String engine = row.getString("engine");
    JsonNode stored = Json.stored(row.getString("detail"));
    JsonNode detail = stored == null ? MissingNode.getInstance() : stored;
    Map<String, Object> json = json(id, at, kind);
    json.put("node_id", nodeId);
    json.put("engine", engine);
    json.put("detail", stored);
    String text =
        switch (kind) {
          case "signal_sent" ->
              "signal '"
                  + detail.path("name").asText()
                  + "' sent: "
                  + OneLine.cut(detail.path("payload").toString(), RESULT_WIDTH);
          case "signal_consumed" -> "signal '" + detail.path("name").asText() + "' received";
          case "step_retrying" ->
              "node "
                  + nodeId
                  + " attempt "
                  + detail.path("failed_attempt").asText()
                  + " failed, will retry: "
                  + detail.path("error").asText();
          case "cancel_requested" ->
              "cancel requested"
                  + (detail.path("reason").isTextual()
                      ? ": " + detail.path("reason").asText()
                      : "");
          default ->
              (kind.startsWith("instance_") ? "instance " + kind.substring(9) : kind)
                  + (nodeId == null ? "" : " node " + nodeId);
        };
    if (engine != null) {
      text += " (engine " + engine + ")";
    }
    String key =
        row.getString("source")
            + ":"
            + row.getString("source_id")
            + ":"
            + kind
            + ":"
            + nodeId
            + ":"
            + at;
    return new LogEntry(at, key, text, json);
  }

  private static Map<String, Object> json(InstanceId id, OffsetDateTime at, String kind) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("at", Timestamps.json(at));
    json.put("instance_id", id.value());
    json.put("kind", kind);
    return json;
  }
}
