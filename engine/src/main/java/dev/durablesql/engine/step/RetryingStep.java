package dev.durablesql.engine.step;

import static java.util.Objects.requireNonNull;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a SQL step through a Resilience4j retry: transient failures (R-DIFF-2) are tried again with
 * exponential backoff and jitter, up to the node's policy. Attempts already spent before a restart
 * count against the budget, and every failed attempt that will be retried is recorded first, so
 * that a restart continues the count instead of starting it over. Every step is counted and timed
 * ({@link StepMeters}, type {@code sql}).
 */
public final class RetryingStep {
  private static final Logger log = LoggerFactory.getLogger(RetryingStep.class);

  /** The share of each delay that is random: 1 s becomes 0.5–1.5 s. */
  private static final double JITTER = 0.5;

  private final SqlStep step;
  private final StepMeters meters;

  public RetryingStep(SqlStep step, MeterRegistry meters) {
    this.step = requireNonNull(step, "step is null");
    this.meters = new StepMeters(meters, "sql");
  }

  /** Records that attempt {@code attempt} failed transiently with {@code error}. */
  public interface AttemptLog {
    void failed(int attempt, String error);
  }

  /**
   * Runs the step until it completes, fails permanently, or the policy's attempts are used up (then
   * the last failure stands).
   *
   * @param attemptsUsed attempts spent by earlier claims of the instance
   */
  public StepOutcome run(
      SqlStep.Target target,
      String sql,
      RetryPolicy policy,
      int attemptsUsed,
      String lastError,
      AttemptLog attempts)
      throws InterruptedException {
    return run(target, () -> step.run(target, sql), policy, attemptsUsed, lastError, attempts);
  }

  /** Runs a MAP node's rows query ({@link SqlStep#runRowsQuery}) with the same retries. */
  public StepOutcome runRowsQuery(
      SqlStep.Target target,
      String sql,
      int maxRows,
      RetryPolicy policy,
      int attemptsUsed,
      String lastError,
      AttemptLog attempts)
      throws InterruptedException {
    return run(
        target,
        () -> step.runRowsQuery(target, sql, maxRows),
        policy,
        attemptsUsed,
        lastError,
        attempts);
  }

  /** One attempt of a step. */
  private interface Attempt {
    StepOutcome run() throws InterruptedException;
  }

  private StepOutcome run(
      SqlStep.Target target,
      Attempt once,
      RetryPolicy policy,
      int attemptsUsed,
      String lastError,
      AttemptLog attempts)
      throws InterruptedException {
    meters.started();
    long start = System.nanoTime();
    String ending = StepMeters.ABANDONED; // unless an outcome comes back
    try {
      StepOutcome outcome = retried(target, once, policy, attemptsUsed, lastError, attempts);
      ending = outcome instanceof StepOutcome.Completed ? StepMeters.COMPLETED : StepMeters.FAILED;
      return outcome;
    } finally {
      meters.ended(ending, Duration.ofNanos(System.nanoTime() - start));
    }
  }

  private StepOutcome retried(
      SqlStep.Target target,
      Attempt once,
      RetryPolicy policy,
      int attemptsUsed,
      String lastError,
      AttemptLog attempts)
      throws InterruptedException {
    int remaining = policy.maxAttempts() - attemptsUsed;
    if (remaining < 1) {
      return StepOutcome.Failed.permanent(
          lastError == null ? "SQL execution failed: retry attempts exhausted" : lastError);
    }
    AtomicInteger attempt = new AtomicInteger(attemptsUsed);
    // Most steps succeed at once: the first attempt runs without the Retry, which is built (and
    // shown the outcome already in hand, so that it waits its first delay) only when a transient
    // failure leaves attempts to spend.
    StepOutcome first = attempt(target, once, policy, attempt, attempts);
    if (!(first instanceof StepOutcome.Failed failed)
        || !failed.transientFailure()
        || attempt.get() >= policy.maxAttempts()) {
      return first;
    }
    AtomicReference<StepOutcome> inHand = new AtomicReference<>(first);
    Retry retry = Retry.of("step-" + target.nodeId(), config(policy, remaining));
    try {
      return Retry.decorateCheckedSupplier(
              retry,
              () -> {
                StepOutcome known = inHand.getAndSet(null);
                return known != null ? known : attempt(target, once, policy, attempt, attempts);
              })
          .get();
    } catch (InterruptedException | RuntimeException e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("step " + target.nodeId() + " failed unexpectedly", e);
    }
  }

  /** Runs one attempt; a transient failure that leaves attempts is recorded and logged. */
  private StepOutcome attempt(
      SqlStep.Target target,
      Attempt once,
      RetryPolicy policy,
      AtomicInteger attempt,
      AttemptLog attempts)
      throws InterruptedException {
    int number = attempt.incrementAndGet();
    StepOutcome outcome = once.run();
    if (outcome instanceof StepOutcome.Failed failed
        && failed.transientFailure()
        && number < policy.maxAttempts()) {
      attempts.failed(number, failed.error());
      meters.retried();
      log.info(
          "Step {} of instance {} failed on attempt {} of {}; retrying: {}",
          target.nodeId(),
          target.claim().id(),
          number,
          policy.maxAttempts(),
          failed.error());
    }
    return outcome;
  }

  private static RetryConfig config(RetryPolicy policy, int remaining) {
    long initial = Math.max(1, policy.initialDelay().toMillis());
    long max = Math.max(initial, policy.maxDelay().toMillis());
    return RetryConfig.<StepOutcome>custom()
        .maxAttempts(remaining)
        .intervalFunction(
            IntervalFunction.ofExponentialRandomBackoff(initial, policy.multiplier(), JITTER, max))
        .retryOnResult(
            outcome -> outcome instanceof StepOutcome.Failed failed && failed.transientFailure())
        .retryOnException(e -> false)
        .failAfterMaxAttempts(false)
        .build();
  }
}
