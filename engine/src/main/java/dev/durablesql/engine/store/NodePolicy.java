package dev.durablesql.engine.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.durablesql.engine.step.RetryPolicy;
import java.time.Duration;
import java.util.Optional;

/**
 * The retry and timeout a node was given with df.retry and df.timeout (R-EXT-1, R-EXT-2), as
 * df.start wrote them to df_engine.node_policies.
 */
public record NodePolicy(Optional<RetryPolicy> retry, Optional<Duration> timeout) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public NodePolicy {
    requireNonNull(retry, "retry is null");
    requireNonNull(timeout, "timeout is null");
  }

  public static NodePolicy none() {
    return new NodePolicy(Optional.empty(), Optional.empty());
  }

  static NodePolicy fromJson(String json) {
    try {
      JsonNode policy = JSON.readTree(json);
      Optional<RetryPolicy> retry =
          policy.path("retry").isObject()
              ? Optional.of(RetryPolicy.fromJson(policy.get("retry")))
              : Optional.empty();
      Optional<Duration> timeout =
          policy.path("timeout_seconds").isNumber()
              ? Optional.of(
                  Duration.ofMillis(Math.round(policy.get("timeout_seconds").asDouble() * 1000)))
              : Optional.empty();
      return new NodePolicy(retry, timeout);
    } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
      // A policy we cannot read must not stop the workflow: the defaults apply.
      return none();
    }
  }
}
