package dev.durablesql.activity;

import java.io.Serial;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A failed attempt of an activity. The one checked exception of the SPI, so that every activity
 * author decides whether a failure is worth retrying.
 *
 * <p>Beyond its message and {@link #retryable()}, a retryable failure may carry a delay the target
 * asked for ({@link #retryAfter()}, e.g. from a {@code Retry-After} header) and a result to
 * complete the step with when no attempt is left ({@link #resultWhenExhausted()}, e.g. an HTTP 429
 * response that should end as {@code ok=false} rather than as a failure).
 */
public class ActivityException extends Exception {
  @Serial private static final long serialVersionUID = 2L;

  private final boolean retryable;
  private final Duration retryAfter;
  private final transient Map<String, Object> resultWhenExhausted;

  /**
   * @param message what failed, naming the target and its state; stored as the step's error, so
   *     never put secrets in it
   * @param retryable {@code true} when a later attempt may succeed (timeouts, 503s, lost
   *     connections); {@code false} for failures that will repeat (bad input, 4xx)
   */
  public ActivityException(String message, boolean retryable) {
    this(message, retryable, null, null, null);
  }

  /** As {@link #ActivityException(String, boolean)}, keeping the cause for the logs. */
  public ActivityException(String message, boolean retryable, Throwable cause) {
    this(message, retryable, null, null, cause);
  }

  private ActivityException(
      String message,
      boolean retryable,
      Duration retryAfter,
      Map<String, Object> resultWhenExhausted,
      Throwable cause) {
    super(message, cause);
    if (retryAfter != null && retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter must not be negative, was " + retryAfter);
    }
    this.retryable = retryable;
    this.retryAfter = retryAfter;
    this.resultWhenExhausted =
        resultWhenExhausted == null
            ? null
            : Collections.unmodifiableMap(new LinkedHashMap<>(resultWhenExhausted));
  }

  /** A failure that a later attempt will meet again. */
  public static ActivityException permanent(String message) {
    return new ActivityException(message, false);
  }

  /** A failure a later attempt may not meet, such as a timeout or a 503. */
  public static ActivityException retryable(String message) {
    return new ActivityException(message, true);
  }

  /**
   * A copy of this retryable failure that asks the engine to wait at least {@code delay} before the
   * next attempt (the node's maximum delay still caps it).
   */
  public ActivityException withRetryAfter(Duration delay) {
    return new ActivityException(getMessage(), true, delay, resultWhenExhausted, getCause());
  }

  /**
   * A copy of this retryable failure that completes the step with {@code result} instead of failing
   * it when this was the last attempt.
   */
  public ActivityException withResultWhenExhausted(Map<String, Object> result) {
    return new ActivityException(getMessage(), retryable, retryAfter, result, getCause());
  }

  /** Whether the engine may try the step again (within the node's retry policy). */
  public boolean retryable() {
    return retryable;
  }

  /** The delay the target asked for before the next attempt, if it named one. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  /** The result the step completes with when no attempt is left, if there is one. */
  public Optional<Map<String, Object>> resultWhenExhausted() {
    return Optional.ofNullable(resultWhenExhausted);
  }
}
