package dev.durablesql.activity;

import java.io.Serial;

/**
 * A failed attempt of an activity. The one checked exception of the SPI, so that every activity
 * author decides whether a failure is worth retrying.
 */
public class ActivityException extends Exception {
  @Serial private static final long serialVersionUID = 1L;

  private final boolean retryable;

  /**
   * @param message what failed, naming the target and its state; stored as the step's error
   * @param retryable {@code true} when a later attempt may succeed (timeouts, 503s, lost
   *     connections); {@code false} for failures that will repeat (bad input, 4xx)
   */
  public ActivityException(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  /** As {@link #ActivityException(String, boolean)}, keeping the cause for the logs. */
  public ActivityException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  /** Whether the engine may try the step again (within the node's retry policy). */
  public boolean retryable() {
    return retryable;
  }
}
