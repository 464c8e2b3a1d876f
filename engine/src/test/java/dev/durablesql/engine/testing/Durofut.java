package dev.durablesql.engine.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Builds Durofut JSON by hand in tests, with the field order of SPEC.md R-DSL-2. */
public final class Durofut {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Durofut() {}

  private static ObjectNode node(String type) {
    return JSON.createObjectNode().put("node_type", type);
  }

  private static ObjectNode read(String durofut) {
    try {
      return (ObjectNode) JSON.readTree(durofut);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(durofut, e);
    }
  }

  public static String sql(String query) {
    return node("SQL").put("query", query).toString();
  }

  public static String named(String durofut, String name) {
    return read(durofut).put("result_name", name).toString();
  }

  public static String then(String left, String right) {
    ObjectNode node = node("THEN");
    node.set("left_node", read(left));
    node.set("right_node", read(right));
    return node.toString();
  }

  public static String ifNode(String condition, String thenBranch, String elseBranch) {
    ObjectNode node = node("IF");
    node.set("left_node", read(thenBranch));
    node.set("right_node", read(elseBranch));
    node.set("condition_node", read(condition));
    return node.toString();
  }

  public static String ifRows(String resultName, String thenBranch, String elseBranch) {
    ObjectNode node = node("IF");
    node.set("left_node", read(thenBranch));
    node.set("right_node", read(elseBranch));
    node.put(
        "query", "{\"condition_type\":\"result_has_rows\",\"result_name\":\"" + resultName + "\"}");
    return node.toString();
  }

  public static String join(String... branches) {
    ObjectNode node = node("JOIN");
    node.set("left_node", read(branches[0]));
    node.set("right_node", read(branches[1]));
    if (branches.length > 2) {
      var extras = node.putArray("extra_nodes");
      for (int i = 2; i < branches.length; i++) {
        extras.add(read(branches[i]));
      }
    }
    return node.toString();
  }

  public static String race(String left, String right) {
    ObjectNode node = node("RACE");
    node.set("left_node", read(left));
    node.set("right_node", read(right));
    return node.toString();
  }

  public static String loop(String body) {
    ObjectNode node = node("LOOP");
    node.set("left_node", read(body));
    return node.toString();
  }

  public static String loopWhile(String body, String condition) {
    ObjectNode node = node("LOOP");
    node.set("left_node", read(body));
    node.set("condition_node", read(condition));
    return node.toString();
  }

  public static String breakWith(String value) {
    return node("BREAK")
        .put(
            "query",
            value == null
                ? "{\"break_value\":null}"
                : JSON.createObjectNode().put("break_value", value).toString())
        .toString();
  }

  public static String sleep(int seconds) {
    return node("SLEEP").put("query", Integer.toString(seconds)).toString();
  }

  public static String signal(String name, Integer timeoutSeconds) {
    ObjectNode config = JSON.createObjectNode().put("signal_name", name);
    if (timeoutSeconds == null) {
      config.putNull("timeout_seconds");
    } else {
      config.put("timeout_seconds", timeoutSeconds);
    }
    return node("SIGNAL").put("query", config.toString()).toString();
  }
}
