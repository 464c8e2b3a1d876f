package dev.durablesql.engine.step;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;

/**
 * How often and how patiently a step is retried after a transient failure (R-DIFF-2, R-EXT-1).
 * {@code maxAttempts} counts the first try. The delay before the n-th retry is {@code initialDelay
 * × multiplier^(n−1)}, capped at {@code maxDelay}, with jitter.
 */
public record RetryPolicy(
    int maxAttempts, Duration initialDelay, double multiplier, Duration maxDelay) {

  public RetryPolicy {
    requireNonNull(initialDelay, "initialDelay is null");
    requireNonNull(maxDelay, "maxDelay is null");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
    }
    if (initialDelay.isNegative() || maxDelay.isNegative()) {
      throw new IllegalArgumentException("retry delays must not be negative");
    }
    if (multiplier < 1) {
      throw new IllegalArgumentException("multiplier must be at least 1, was " + multiplier);
    }
  }

  /** The default: 3 attempts in all, 1 s, 2 s, capped at 5 minutes. */
  public static RetryPolicy defaults() {
    return new RetryPolicy(3, Duration.ofSeconds(1), 2, Duration.ofMinutes(5));
  }

  /**
   * Reads the {@code "retry"} object df.retry puts in a node's policy; missing fields take the
   * defaults of R-EXT-1.
   */
  public static RetryPolicy fromJson(JsonNode retry) {
    requireNonNull(retry, "retry is null");
    return new RetryPolicy(
        retry.path("max_attempts").asInt(3),
        seconds(retry.path("initial_delay_seconds").asDouble(1)),
        retry.path("backoff_multiplier").asDouble(2),
        seconds(retry.path("max_delay_seconds").asDouble(300)));
  }

  private static Duration seconds(double seconds) {
    return Duration.ofMillis(Math.round(seconds * 1000));
  }
}
