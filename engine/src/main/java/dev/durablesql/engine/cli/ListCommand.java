package dev.durablesql.engine.cli;

import dev.durablesql.engine.EngineException;
import java.io.PrintWriter;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code durable list}: the role's instances, newest first, a keyset page at a time. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = {
      "Lists the instances the role can see, newest first (df.list_instances).",
      "A full page ends with the cursor of the next one: pass it to --after."
    })
final class ListCommand implements Callable<Integer> {
  static final List<String> STATUSES =
      List.of("pending", "running", "completed", "failed", "cancelled");
  private static final int OUTPUT_WIDTH = 60;

  @Mixin ConfigOptions configOptions;
  @Mixin ConnectionOptions connection;
  @Spec CommandSpec spec;

  @Option(
      names = "--status",
      paramLabel = "STATUS",
      description =
          "Only instances with this status: pending, running, completed, failed, cancelled.")
  String status;

  @Option(names = "--label", paramLabel = "LABEL", description = "Only instances with this label.")
  String label;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "50",
      description = "Most instances on one page (default ${DEFAULT-VALUE}).")
  int limit;

  @Option(
      names = "--after",
      paramLabel = "CURSOR",
      description = "The next_cursor of the previous page: lists the instances after it.")
  String after;

  @Option(names = "--json", description = "Print one JSON document instead of a table.")
  boolean json;

  @Override
  public Integer call() {
    if (status != null && !STATUSES.contains(status)) {
      throw new EngineException(
          "--status " + status + " is not a status: use one of " + String.join(", ", STATUSES));
    }
    List<Listed> instances = new ArrayList<>();
    String nextCursor;
    try (RoleSession session = RoleSession.open(configOptions, connection)) {
      nextCursor = read(session, instances);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> document = new LinkedHashMap<>();
      document.put("instances", instances.stream().map(Listed::json).toList());
      document.put("next_cursor", nextCursor);
      out.println(Json.document(document));
    } else {
      out.print(table(instances));
      if (nextCursor != null) {
        out.println("next page: --after " + nextCursor);
      }
    }
    out.flush();
    return 0;
  }

  /** Fills {@code instances} with one page; returns the cursor of the next page, or null. */
  private String read(RoleSession session, List<Listed> instances) {
    String nextCursor = null;
    try (PreparedStatement statement =
        session
            .connection()
            .prepareStatement(
                "SELECT instance_id, label, status, execution_count, output, created_at,"
                    + " completed_at, next_cursor FROM df.list_instances(?, ?, ?, ?)")) {
      setText(statement, 1, status);
      statement.setInt(2, limit);
      setText(statement, 3, label);
      setText(statement, 4, after);
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          instances.add(
              new Listed(
                  rows.getString("instance_id"),
                  rows.getString("label"),
                  rows.getString("status"),
                  rows.getLong("execution_count"),
                  Timestamps.read(rows, "created_at"),
                  Timestamps.read(rows, "completed_at"),
                  rows.getString("output")));
          nextCursor = rows.getString("next_cursor");
        }
      }
    } catch (SQLException e) {
      throw RoleSession.failure("list the instances of role " + session.role(), e);
    }
    return nextCursor;
  }

  private static void setText(PreparedStatement statement, int index, String value)
      throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.VARCHAR);
    } else {
      statement.setString(index, value);
    }
  }

  private static String table(List<Listed> instances) {
    List<List<String>> rows = new ArrayList<>();
    for (Listed instance : instances) {
      rows.add(
          List.of(
              instance.id(),
              instance.status(),
              instance.label() == null ? "" : instance.label(),
              Timestamps.text(instance.createdAt()),
              instance.output() == null ? "" : OneLine.cut(instance.output(), OUTPUT_WIDTH)));
    }
    return TextTable.render(List.of("id", "status", "label", "created", "output"), rows);
  }

  /** One row of df.list_instances. */
  private record Listed(
      String id,
      String label,
      String status,
      long executionCount,
      OffsetDateTime createdAt,
      OffsetDateTime completedAt,
      String output) {

    Map<String, Object> json() {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("instance_id", id);
      json.put("label", label);
      json.put("status", status);
      json.put("execution_count", executionCount);
      json.put("created_at", Timestamps.json(createdAt));
      json.put("completed_at", Timestamps.json(completedAt));
      json.put("output", output);
      return json;
    }
  }
}
