package dev.durablesql.engine.surface;

import java.util.List;

/**
 * Durofut JSON written by hand, field by field as R-DSL-2 and R-DSL-4 describe it, so that the
 * explain tests do not depend on the DSL constructors they would otherwise share a bug with.
 */
final class ExplainGraphs {
  private ExplainGraphs() {}

  static String sql(String query) {
    return "{\"node_type\":\"SQL\",\"query\":" + string(query) + "}";
  }

  /** The node with a result name, as {@code |=>} gives it. */
  static String named(String node, String name) {
    return node.substring(0, node.length() - 1) + ",\"result_name\":" + string(name) + "}";
  }

  static String then(String left, String right) {
    return "{\"node_type\":\"THEN\",\"left_node\":" + left + ",\"right_node\":" + right + "}";
  }

  /** A left-deep THEN of SQL steps {@code SELECT 1} to {@code SELECT <count>}, as ~> builds. */
  static String chain(int count) {
    String chain = sql("SELECT 1");
    for (int step = 2; step <= count; step++) {
      chain = then(chain, sql("SELECT " + step));
    }
    return chain;
  }

  static String ifThenElse(String condition, String thenBranch, String elseBranch) {
    return "{\"node_type\":\"IF\",\"left_node\":"
        + thenBranch
        + ",\"right_node\":"
        + elseBranch
        + ",\"condition_node\":"
        + condition
        + "}";
  }

  static String ifRows(String resultName, String thenBranch, String elseBranch) {
    return "{\"node_type\":\"IF\",\"left_node\":"
        + thenBranch
        + ",\"right_node\":"
        + elseBranch
        + ",\"query\":"
        + string(
            "{\"condition_type\":\"result_has_rows\",\"result_name\":" + string(resultName) + "}")
        + "}";
  }

  static String loop(String body) {
    return "{\"node_type\":\"LOOP\",\"left_node\":" + body + "}";
  }

  static String loopWhile(String body, String condition) {
    return "{\"node_type\":\"LOOP\",\"left_node\":"
        + body
        + ",\"condition_node\":"
        + condition
        + "}";
  }

  /** LOOP nested in LOOP to the given depth (the root at depth 0), around one SQL step. */
  static String nestedLoops(int depth) {
    String node = sql("SELECT 1");
    for (int level = 0; level < depth; level++) {
      node = loop(node);
    }
    return node;
  }

  /** A JOIN of two branches, or of three or more (the third on as extra_nodes, as join3). */
  static String join(String first, String second, String... extras) {
    String extraNodes =
        extras.length == 0 ? "" : ",\"extra_nodes\":[" + String.join(",", extras) + "]";
    return "{\"node_type\":\"JOIN\",\"left_node\":"
        + first
        + ",\"right_node\":"
        + second
        + extraNodes
        + "}";
  }

  static String race(String first, String second) {
    return "{\"node_type\":\"RACE\",\"left_node\":" + first + ",\"right_node\":" + second + "}";
  }

  static String sleep(long seconds) {
    return "{\"node_type\":\"SLEEP\",\"query\":" + string(Long.toString(seconds)) + "}";
  }

  static String waitSchedule(String cronExpression) {
    return config("WAIT_SCHEDULE", "{\"cron_expr\":" + string(cronExpression) + "}");
  }

  static String waitSchedule(String cronExpression, String timeZone) {
    return config(
        "WAIT_SCHEDULE",
        "{\"cron_expr\":" + string(cronExpression) + ",\"time_zone\":" + string(timeZone) + "}");
  }

  static String signal(String name, Integer timeoutSeconds) {
    return config(
        "SIGNAL",
        "{\"signal_name\":" + string(name) + ",\"timeout_seconds\":" + timeoutSeconds + "}");
  }

  static String breakWith(String value) {
    return config("BREAK", "{\"break_value\":" + (value == null ? "null" : string(value)) + "}");
  }

  static String http(String url, String method) {
    return config(
        "HTTP",
        "{\"url\":"
            + string(url)
            + ",\"method\":"
            + string(method)
            + ",\"body\":null,\"headers\":null,\"timeout_seconds\":30}");
  }

  static String httpMultipart(String url, String method) {
    return config(
        "HTTP_MULTIPART",
        "{\"url\":"
            + string(url)
            + ",\"method\":"
            + string(method)
            + ",\"parts\":[],\"headers\":null,\"timeout_seconds\":30}");
  }

  static String map(String rowsQuery, String body, int maxParallel) {
    return "{\"node_type\":\"MAP\",\"left_node\":"
        + body
        + ",\"query\":"
        + string("{\"rows_query\":" + string(rowsQuery) + ",\"max_parallel\":" + maxParallel + "}")
        + "}";
  }

  static String activity(String type, String configJson) {
    return config(
        "ACTIVITY", "{\"activity_type\":" + string(type) + ",\"config\":" + configJson + "}");
  }

  /** Any node given as type and raw fields, for malformed graphs. */
  static String raw(String type, List<String> fields) {
    StringBuilder node = new StringBuilder("{\"node_type\":").append(string(type));
    for (String field : fields) {
      node.append(',').append(field);
    }
    return node.append('}').toString();
  }

  private static String config(String type, String configJson) {
    return "{\"node_type\":\"" + type + "\",\"query\":" + string(configJson) + "}";
  }

  /** A JSON string literal. */
  static String string(String text) {
    StringBuilder json = new StringBuilder("\"");
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> json.append("\\\"");
        case '\\' -> json.append("\\\\");
        case '\n' -> json.append("\\n");
        case '\t' -> json.append("\\t");
        case '\r' -> json.append("\\r");
        default -> {
          if (c < 0x20) {
            json.append(String.format("\\u%04x", (int) c));
          } else {
            json.append(c);
          }
        }
      }
    }
    return json.append('"').toString();
  }
}
