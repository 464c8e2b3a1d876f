package dev.durablesql.activity;

import java.util.Map;

/**
 * One kind of workflow step, such as an HTTP call. Found with {@link java.util.ServiceLoader};
 * needs a public no-argument constructor. One instance serves many steps at once, each on its own
 * virtual thread, so keep it stateless. A step can run again after a crash: use {@link
 * ActivityContext#idempotencyKey()} for effects that must happen once.
 */
public interface Activity {

  /** Name used in workflow definitions, such as {@code "http.request"}. Never changes. */
  String type();

  /**
   * Runs one attempt and returns JSON-shaped output (maps, lists, strings, numbers, booleans,
   * {@code null} values).
   *
   * @param context the step being run; never {@code null}
   * @return the step's result; never {@code null}
   * @throws ActivityException to fail the attempt; {@link ActivityException#retryable()} decides
   *     whether the engine tries again
   * @throws InterruptedException when the engine shuts down or the step is cancelled; do not catch
   *     it
   */
  Map<String, Object> execute(ActivityContext context)
      throws ActivityException, InterruptedException;
}
