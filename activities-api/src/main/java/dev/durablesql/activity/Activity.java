package dev.durablesql.activity;

import java.util.Map;

/**
 * One kind of workflow step that does external work, such as an HTTP call. Workflows run it with
 * {@code df.activity(type, config)}.
 *
 * <p><b>Discovery.</b> The engine finds implementations with {@link java.util.ServiceLoader}: list
 * the class in {@code META-INF/services/dev.durablesql.activity.Activity}. Built-in activities sit
 * on the engine's class path; others are jars in the engine's plugins folder, each loaded by its
 * own class loader that sees this package, the JDK and the jar, nothing else. A public no-argument
 * constructor is required. A constructor that throws keeps that activity out (the engine reports it
 * and starts with the others).
 *
 * <p><b>Threading.</b> One instance serves every step of its type, many at once, each call on its
 * own virtual thread. Keep the instance stateless, or make shared state thread-safe. Blocking I/O
 * is fine; do not pin the carrier thread with long {@code synchronized} sections around I/O.
 *
 * <p><b>Idempotency.</b> Activities run at least once: after a crash between the call and its
 * checkpoint, or after a retry, the same step runs again. Effects that must happen once should be
 * keyed by {@link ActivityContext#idempotencyKey()}.
 *
 * <p><b>Failures.</b> Throw {@link ActivityException} and say whether another attempt may succeed;
 * the engine retries within the node's policy (R-DIFF-2, {@code df.retry}) and stops at the node's
 * deadline ({@code df.timeout}). Any other exception fails the step for good with its message.
 */
public interface Activity {

  /**
   * The name workflows use in {@code df.activity(type, …)}, such as {@code "checksum"}. Lower case
   * letters, digits, {@code .}, {@code _} and {@code -}; never changes between versions.
   */
  String type();

  /**
   * Runs one attempt.
   *
   * @param context the step being run; never {@code null}
   * @return the step's result, JSON-shaped: maps with string keys, lists, strings, numbers,
   *     booleans and {@code null} values. Never {@code null}; return an empty map for "no result".
   *     Key order is kept in the stored JSON.
   * @throws ActivityException to fail the attempt; {@link ActivityException#retryable()} decides
   *     whether the engine tries again
   * @throws InterruptedException when the step is cancelled, times out or the engine shuts down;
   *     let it propagate (or restore the interrupt flag) instead of swallowing it
   */
  Map<String, Object> execute(ActivityContext context)
      throws ActivityException, InterruptedException;
}
