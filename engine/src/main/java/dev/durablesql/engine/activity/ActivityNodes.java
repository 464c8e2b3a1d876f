package dev.durablesql.engine.activity;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.durablesql.engine.substitution.Substitution;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads what an activity node asks for from its stored JSON, with substitution applied where
 * SPEC.md R-SUB-12 and R-EXT-4 say: {@code HTTP} nodes substitute url, body and string header
 * values; {@code HTTP_MULTIPART} nodes url, string header values, each part's name and filename,
 * and each part's {@code data_b64} only as a whole-value reference; {@code ACTIVITY} nodes every
 * string value inside {@code config}. All in raw mode.
 */
public final class ActivityNodes {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<LinkedHashMap<String, Object>> OBJECT =
      new TypeReference<>() {};

  /** The node types that run as activities. */
  public static final Set<String> TYPES = Set.of("HTTP", "HTTP_MULTIPART", "ACTIVITY");

  private ActivityNodes() {}

  /** The activity a node runs and its substituted config. */
  public record Request(String type, Map<String, Object> config) {
    public Request {
      requireNonNull(type, "type is null");
      requireNonNull(config, "config is null");
    }
  }

  /**
   * Reads the node.
   *
   * @param nodeType {@code HTTP}, {@code HTTP_MULTIPART} or {@code ACTIVITY}
   * @param query the node's stored JSON
   * @throws IllegalArgumentException when the JSON is not what the node type needs; the message is
   *     the node's error text
   * @throws dev.durablesql.engine.substitution.SubstitutionException when a reference cannot be
   *     substituted
   */
  public static Request read(String nodeType, String query, Substitution substitution) {
    requireNonNull(substitution, "substitution is null");
    Map<String, Object> node = parse(nodeType, query);
    return switch (nodeType) {
      case "HTTP" -> new Request("http", http(node, substitution));
      case "HTTP_MULTIPART" -> new Request("http_multipart", multipart(node, substitution));
      case "ACTIVITY" -> activity(node, substitution);
      default -> throw new IllegalArgumentException("node type " + nodeType + " is no activity");
    };
  }

  private static Map<String, Object> parse(String nodeType, String query) {
    try {
      Map<String, Object> node = JSON.readValue(query == null ? "null" : query, OBJECT);
      if (node == null) {
        throw new IllegalArgumentException(nodeType + " node has no JSON object in its query");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          nodeType + " node's query is not a JSON object: " + e.getOriginalMessage(), e);
    }
  }

  private static Map<String, Object> http(Map<String, Object> node, Substitution substitution) {
    substituteString(node, "url", substitution);
    substituteString(node, "body", substitution);
    substituteHeaders(node, substitution);
    return node;
  }

  private static Map<String, Object> multipart(
      Map<String, Object> node, Substitution substitution) {
    substituteString(node, "url", substitution);
    substituteHeaders(node, substitution);
    if (node.get("parts") instanceof List<?> parts) {
      List<Object> substituted = new ArrayList<>(parts.size());
      for (Object element : parts) {
        if (element instanceof Map<?, ?> raw) {
          Map<String, Object> part = new LinkedHashMap<>();
          raw.forEach((key, value) -> part.put(String.valueOf(key), value));
          substituteString(part, "name", substitution);
          substituteString(part, "filename", substitution);
          if (part.get("data_b64") instanceof String data) {
            String name = part.get("name") instanceof String text ? text : "?";
            part.put(
                "data_b64",
                substitution.substituteWholeValue("data_b64 of part '" + name + "'", data));
          }
          substituted.add(part);
        } else {
          substituted.add(element);
        }
      }
      node.put("parts", substituted);
    }
    return node;
  }

  private static Request activity(Map<String, Object> node, Substitution substitution) {
    if (!(node.get("activity_type") instanceof String type) || type.isBlank()) {
      throw new IllegalArgumentException(
          "ACTIVITY node names no activity: its query needs {\"activity_type\":\"<type>\"}");
    }
    Object config = node.getOrDefault("config", Map.of());
    if (!(config instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException("config of activity " + type + " must be a JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> substituted = (Map<String, Object>) deep(map, substitution);
    return new Request(type, substituted);
  }

  /** Every string value inside {@code value}, at any depth, substituted; keys untouched. */
  private static Object deep(Object value, Substitution substitution) {
    return switch (value) {
      case String text -> substitution.substitute(text, Substitution.Mode.RAW);
      case Map<?, ?> map -> {
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((key, inner) -> copy.put(String.valueOf(key), deep(inner, substitution)));
        yield copy;
      }
      case List<?> list -> {
        List<Object> copy = new ArrayList<>(list.size());
        list.forEach(inner -> copy.add(deep(inner, substitution)));
        yield copy;
      }
      case null -> null;
      default -> value;
    };
  }

  private static void substituteString(
      Map<String, Object> node, String field, Substitution substitution) {
    if (node.get(field) instanceof String text) {
      node.put(field, substitution.substitute(text, Substitution.Mode.RAW));
    }
  }

  private static void substituteHeaders(Map<String, Object> node, Substitution substitution) {
    if (node.get("headers") instanceof Map<?, ?> headers) {
      Map<String, Object> copy = new LinkedHashMap<>();
      headers.forEach((name, value) ->
          copy.put(
              String.valueOf(name),
              value instanceof String text
                  ? substitution.substitute(text, Substitution.Mode.RAW)
                  : value));
      node.put("headers", copy);
    }
  }
}
