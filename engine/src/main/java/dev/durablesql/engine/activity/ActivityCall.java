package dev.durablesql.engine.activity;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.step.RetryPolicy;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * One activity step to run: which activity, for which node, as whom, with what config and policy.
 *
 * @param type the activity type ({@code http}, {@code embed}, a plugin's type)
 * @param config the substituted config the activity receives
 * @param stamp the scope stamp the node runs under; part of the idempotency key, so that each loop
 *     iteration gets its own keys
 * @param nodeTimeout the node's {@code df.timeout}, over all its attempts, and how much of it is
 *     left (the deadline is durable: time spent before a restart counts)
 * @param attemptsUsed attempts spent by earlier claims (restarts continue the count)
 * @param lastError the error of the last of those attempts, if any
 * @param cancelled whether the node's branch or instance was cancelled
 * @param traceHeaders the W3C trace context of the step's span, for HTTP headers; empty without
 *     tracing
 */
public record ActivityCall(
    String instanceId,
    String nodeId,
    String role,
    Optional<String> database,
    String type,
    Map<String, Object> config,
    String stamp,
    RetryPolicy retry,
    Optional<NodeTimeout> nodeTimeout,
    int attemptsUsed,
    Optional<String> lastError,
    BooleanSupplier cancelled,
    Map<String, String> traceHeaders) {

  public ActivityCall {
    requireNonNull(instanceId, "instanceId is null");
    requireNonNull(nodeId, "nodeId is null");
    requireNonNull(role, "role is null");
    requireNonNull(database, "database is null");
    requireNonNull(type, "type is null");
    requireNonNull(config, "config is null");
    requireNonNull(stamp, "stamp is null");
    requireNonNull(retry, "retry is null");
    requireNonNull(nodeTimeout, "nodeTimeout is null");
    requireNonNull(lastError, "lastError is null");
    requireNonNull(cancelled, "cancelled is null");
    traceHeaders = Map.copyOf(requireNonNull(traceHeaders, "traceHeaders is null"));
  }

  /**
   * A node's {@code df.timeout}: the limit the user set, which error messages name, and the time
   * left until the deadline that was fixed when the node first started.
   */
  public record NodeTimeout(Duration limit, Duration left) {
    public NodeTimeout {
      requireNonNull(limit, "limit is null");
      requireNonNull(left, "left is null");
    }
  }
}
