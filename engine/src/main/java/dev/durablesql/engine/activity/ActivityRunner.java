package dev.durablesql.engine.activity;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.durablesql.activity.Activity;
import dev.durablesql.activity.ActivityException;
import dev.durablesql.engine.step.RetryPolicy;
import dev.durablesql.engine.step.RoleConnections;
import dev.durablesql.engine.step.StepOutcome;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs activity steps (HTTP, embed, plugins) through Resilience4j: a retry with exponential backoff
 * and jitter that honours a target's {@code Retry-After} (R-DIFF-2, R-EXT-1), a circuit breaker per
 * target, and deadlines per attempt and per node ({@code df.timeout}, R-EXT-2). Before every
 * attempt the submitting role's privilege is checked again (R-HTTP-4 gate 1).
 *
 * <p>Activities are at least once: the result is checkpointed after the call returns. Each attempt
 * runs on its own virtual thread, so a deadline or a cancellation can interrupt it while this
 * thread stays free to give up on it.
 */
public final class ActivityRunner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ActivityRunner.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The share of each retry delay that is random: 1 s becomes 0.5–1.5 s. */
  private static final double JITTER = 0.5;

  /** How often a waiting attempt looks at its cancellation. */
  private static final long CANCEL_POLL_MILLIS = 50;

  /** Time an HTTP attempt gets beyond its own {@code timeout_seconds}, to report it itself. */
  private static final Duration HTTP_GRACE = Duration.ofSeconds(5);

  private final ActivityCatalog catalog;
  private final ActivitySettings settings;
  private final Breakers breakers;
  private final PrivilegeGate privileges;
  private final RoleConnections connections;
  private final MeterRegistry meters;
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<RetryKey, RetryConfig> retryConfigs = new ConcurrentHashMap<>();
  private final ExecutorService attempts =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("df-activity-", 0).factory());

  public ActivityRunner(
      ActivityCatalog catalog,
      ActivitySettings settings,
      Breakers breakers,
      PrivilegeGate privileges,
      RoleConnections connections,
      MeterRegistry meters) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.settings = requireNonNull(settings, "settings is null");
    this.breakers = requireNonNull(breakers, "breakers is null");
    this.privileges = requireNonNull(privileges, "privileges is null");
    this.connections = requireNonNull(connections, "connections is null");
    this.meters = requireNonNull(meters, "meters is null");
  }

  /** Records that attempt {@code attempt} failed with {@code error} and will be retried. */
  public interface AttemptLog {
    void failed(int attempt, String error);
  }

  /** Retry configurations are immutable and few: one per policy and attempts left. */
  private record RetryKey(RetryPolicy policy, int remaining) {}

  /** How one attempt ended, before the retry decides what comes next. */
  private record Attempt(
      StepOutcome outcome, Optional<Duration> retryAfter, Optional<String> resultWhenExhausted) {

    static Attempt done(StepOutcome outcome) {
      return new Attempt(outcome, Optional.empty(), Optional.empty());
    }

    static Attempt retryable(String error) {
      return new Attempt(new StepOutcome.Failed(error, true), Optional.empty(), Optional.empty());
    }

    boolean isRetryable() {
      return outcome instanceof StepOutcome.Failed failed && failed.transientFailure();
    }
  }

  /**
   * Runs the step until it completes, fails for good, runs out of attempts or of time.
   *
   * @return the node's outcome: {@link StepOutcome.Completed} with the result as JSON text, or
   *     {@link StepOutcome.Failed} with the error text
   */
  public StepOutcome run(ActivityCall call, AttemptLog attemptLog) throws InterruptedException {
    requireNonNull(call, "call is null");
    requireNonNull(attemptLog, "attemptLog is null");
    Optional<Activity> found = catalog.find(call.type());
    if (found.isEmpty()) {
      return StepOutcome.Failed.permanent(unknownType(call.type()));
    }
    Activity activity = found.get();
    RetryPolicy policy = call.retry();
    int remaining = policy.maxAttempts() - call.attemptsUsed();
    if (remaining < 1) {
      return StepOutcome.Failed.permanent(
          call.lastError().orElse("activity " + call.type() + " failed: attempts exhausted"));
    }
    Instant started = Instant.now();
    Optional<Instant> nodeDeadline = call.nodeTimeout().map(t -> started.plus(t.left()));
    CircuitBreaker breaker = breakers.of(target(call));
    AtomicInteger number = new AtomicInteger(call.attemptsUsed());
    Retry retry =
        Retry.of(
            "activity-" + call.nodeId(),
            retryConfigs.computeIfAbsent(
                new RetryKey(policy, remaining),
                key -> retryConfig(key.policy(), key.remaining())));
    Attempt last;
    try {
      last =
          Retry.decorateCheckedSupplier(
                  retry,
                  () -> {
                    int attempt = number.incrementAndGet();
                    Attempt result = attempt(activity, call, attempt, breaker, nodeDeadline);
                    if (result.isRetryable() && attempt < policy.maxAttempts()) {
                      String error = ((StepOutcome.Failed) result.outcome()).error();
                      attemptLog.failed(attempt, error);
                      meters.counter("durable.activity.retries", "type", call.type()).increment();
                      log.info(
                          "Activity {} of instance {} node {} failed on attempt {} of {};"
                              + " retrying: {}",
                          call.type(),
                          call.instanceId(),
                          call.nodeId(),
                          attempt,
                          policy.maxAttempts(),
                          error);
                    }
                    return result;
                  })
              .get();
    } catch (InterruptedException | RuntimeException e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("activity step " + call.nodeId() + " failed unexpectedly", e);
    }
    if (last.isRetryable() && last.resultWhenExhausted().isPresent()) {
      return new StepOutcome.Completed(last.resultWhenExhausted().get());
    }
    return last.outcome();
  }

  private String unknownType(String type) {
    return "unknown activity type '"
        + type
        + "': this engine knows "
        + String.join(", ", catalog.types())
        + "; put the plugin's jar into the engine's plugins folder and restart the engine"
        + " (durable plugins lists what it finds)";
  }

  private Attempt attempt(
      Activity activity,
      ActivityCall call,
      int attempt,
      CircuitBreaker breaker,
      Optional<Instant> nodeDeadline)
      throws InterruptedException {
    if (call.cancelled().getAsBoolean()) {
      return Attempt.done(StepOutcome.Failed.permanent("cancelled"));
    }
    Instant now = Instant.now();
    if (nodeDeadline.isPresent() && !now.isBefore(nodeDeadline.get())) {
      return Attempt.done(StepOutcome.Failed.permanent(timedOut(call)));
    }
    try {
      Optional<String> refusal = privileges.refusal(call.role(), call.type());
      if (refusal.isPresent()) {
        log.warn(
            "Activity {} of instance {} node {} blocked{}: {}",
            call.type(),
            call.instanceId(),
            call.nodeId(),
            call.config().get("url") instanceof String url ? " (" + url + ")" : "",
            refusal.get());
        count(call, "refused");
        return Attempt.done(StepOutcome.Failed.permanent(refusal.get()));
      }
    } catch (SQLException e) {
      return Attempt.retryable("could not check the privileges of " + call.role() + ": " + e);
    }
    if (!breaker.tryAcquirePermission()) {
      count(call, "rejected");
      float rate = breaker.getMetrics().getFailureRate();
      return Attempt.retryable(
          "circuit breaker "
              + breaker.getName()
              + " is "
              + breaker.getState().name().toLowerCase(Locale.ROOT).replace('_', '-')
              + (rate >= 0 ? ": " + Math.round(rate) + " % of the recent calls to it failed" : "")
              + "; calls fail fast until a trial call succeeds (see df.breakers and"
              + " docs/resilience.md)");
    }
    Instant deadline = now.plus(attemptTimeout(call));
    boolean nodeLimit = false;
    if (nodeDeadline.isPresent() && nodeDeadline.get().isBefore(deadline)) {
      deadline = nodeDeadline.get();
      nodeLimit = true;
    }
    EngineActivityContext context =
        new EngineActivityContext(call, attempt, deadline, settings, connections);
    long startedNanos = System.nanoTime();
    // A plugin's libraries look up resources through the context class loader (STYLE.md).
    ClassLoader loader = activity.getClass().getClassLoader();
    Future<Map<String, Object>> future =
        attempts.submit(() -> {
          Thread.currentThread().setContextClassLoader(loader);
          return activity.execute(context);
        });
    try {
      Map<String, Object> result = await(future, call, deadline);
      long nanos = System.nanoTime() - startedNanos;
      breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
      timer(call).record(nanos, TimeUnit.NANOSECONDS);
      return Attempt.done(completed(call, result));
    } catch (ExecutionException e) {
      long nanos = System.nanoTime() - startedNanos;
      timer(call).record(nanos, TimeUnit.NANOSECONDS);
      return failed(call, e.getCause(), breaker, nanos);
    } catch (TimeoutException e) {
      future.cancel(true);
      long nanos = System.nanoTime() - startedNanos;
      if (nodeLimit) {
        breaker.releasePermission();
        count(call, "timed_out");
        return Attempt.done(StepOutcome.Failed.permanent(timedOut(call)));
      }
      String error =
          "activity "
              + call.type()
              + " timed out after "
              + seconds(attemptTimeout(call))
              + " s on attempt "
              + attempt;
      ActivityException timeout = ActivityException.retryable(error);
      breaker.onError(nanos, TimeUnit.NANOSECONDS, timeout);
      count(call, "timed_out");
      return Attempt.retryable(error);
    } catch (InterruptedException e) {
      future.cancel(true);
      breaker.releasePermission();
      throw e;
    } catch (CancelledStep e) {
      future.cancel(true);
      breaker.releasePermission();
      return Attempt.done(StepOutcome.Failed.permanent("cancelled"));
    }
  }

  /** The branch or instance of the step was cancelled while an attempt ran. */
  private static final class CancelledStep extends Exception {
    @java.io.Serial private static final long serialVersionUID = 1L;
  }

  private static Map<String, Object> await(
      Future<Map<String, Object>> future, ActivityCall call, Instant deadline)
      throws ExecutionException, TimeoutException, InterruptedException, CancelledStep {
    while (true) {
      long left = Duration.between(Instant.now(), deadline).toMillis();
      if (left <= 0) {
        throw new TimeoutException();
      }
      try {
        return future.get(Math.min(left, CANCEL_POLL_MILLIS), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        if (call.cancelled().getAsBoolean()) {
          throw new CancelledStep();
        }
      }
    }
  }

  private StepOutcome completed(ActivityCall call, Map<String, Object> result) {
    StepOutcome outcome = encoded(call, result);
    count(call, outcome instanceof StepOutcome.Completed ? "completed" : "failed");
    return outcome;
  }

  /** The result as the JSON text the node stores, or why it cannot be stored. */
  private static StepOutcome encoded(ActivityCall call, Map<String, Object> result) {
    if (result == null) {
      return StepOutcome.Failed.permanent(
          "activity " + call.type() + " returned null; an activity returns a JSON-shaped map");
    }
    try {
      return new StepOutcome.Completed(JSON.writeValueAsString(withoutNul(result)));
    } catch (JsonProcessingException e) {
      return StepOutcome.Failed.permanent(
          "activity "
              + call.type()
              + " returned a result that is not JSON-shaped: "
              + e.getOriginalMessage());
    }
  }

  /**
   * The result with every NUL character in its strings replaced by U+FFFD: results are stored as
   * {@code jsonb}, which cannot hold {@code \u0000} (e.g. a text HTTP body that contains one).
   */
  private static Object withoutNul(Object value) {
    return switch (value) {
      case String text -> text.indexOf('\0') < 0 ? text : text.replace('\0', '\uFFFD');
      case Map<?, ?> map -> {
        Map<Object, Object> copy = new java.util.LinkedHashMap<>();
        map.forEach((key, inner) -> copy.put(withoutNul(key), withoutNul(inner)));
        yield copy;
      }
      case java.util.Collection<?> list -> {
        java.util.List<Object> copy = new java.util.ArrayList<>(list.size());
        list.forEach(inner -> copy.add(withoutNul(inner)));
        yield copy;
      }
      case null -> null;
      default -> value;
    };
  }

  private Attempt failed(ActivityCall call, Throwable failure, CircuitBreaker breaker, long nanos) {
    breaker.onError(nanos, TimeUnit.NANOSECONDS, failure);
    if (failure instanceof ActivityException e) {
      String message =
          e.getMessage() == null ? "activity " + call.type() + " failed" : e.getMessage();
      count(call, e.retryable() ? "retryable" : "failed");
      if (!e.retryable()) {
        return Attempt.done(StepOutcome.Failed.permanent(message));
      }
      Optional<String> exhausted = Optional.empty();
      if (e.resultWhenExhausted().isPresent()) {
        StepOutcome asResult = encoded(call, e.resultWhenExhausted().get());
        if (asResult instanceof StepOutcome.Completed completed) {
          exhausted = Optional.of(completed.output());
        }
      }
      return new Attempt(new StepOutcome.Failed(message, true), e.retryAfter(), exhausted);
    }
    if (failure instanceof InterruptedException) {
      count(call, "retryable");
      return Attempt.retryable("activity " + call.type() + " was interrupted");
    }
    count(call, "failed");
    log.warn(
        "Activity {} of instance {} node {} threw {}",
        call.type(),
        call.instanceId(),
        call.nodeId(),
        failure.toString(),
        failure);
    return Attempt.done(
        StepOutcome.Failed.permanent("activity " + call.type() + " failed: " + describe(failure)));
  }

  private static String describe(Throwable failure) {
    String message = failure.getMessage();
    return failure.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  private Duration attemptTimeout(ActivityCall call) {
    if (call.type().equals("http") || call.type().equals("http_multipart")) {
      Object seconds = call.config().get("timeout_seconds");
      long own = seconds instanceof Number number ? Math.max(1, number.longValue()) : 30;
      return Duration.ofSeconds(own).plus(HTTP_GRACE);
    }
    return settings.attemptTimeout();
  }

  private static String timedOut(ActivityCall call) {
    return "activity "
        + call.type()
        + " timed out after "
        + seconds(call.nodeTimeout().orElseThrow().limit())
        + " s (df.timeout)";
  }

  private static String seconds(Duration duration) {
    return java.math.BigDecimal.valueOf(duration.toMillis(), 3)
        .stripTrailingZeros()
        .toPlainString();
  }

  /** The breaker a call counts against: the host for HTTP, the type otherwise. */
  static String target(ActivityCall call) {
    if (call.type().equals("http") || call.type().equals("http_multipart")) {
      Object url = call.config().get("url");
      if (url instanceof String text) {
        try {
          String host = URI.create(text.strip()).getHost();
          if (host != null && !host.isEmpty()) {
            return "http:" + host.toLowerCase(Locale.ROOT);
          }
        } catch (IllegalArgumentException e) {
          // Not a URL the step will accept either; it fails on its own.
        }
      }
      return "http:invalid-url";
    }
    return "activity:" + call.type();
  }

  private static RetryConfig retryConfig(RetryPolicy policy, int remaining) {
    long initial = Math.max(1, policy.initialDelay().toMillis());
    long max = Math.max(initial, policy.maxDelay().toMillis());
    IntervalFunction backoff =
        IntervalFunction.ofExponentialRandomBackoff(initial, policy.multiplier(), JITTER, max);
    IntervalBiFunction<Attempt> delay =
        (attempt, either) -> {
          long millis = backoff.apply(attempt);
          if (either.isRight() && either.get().retryAfter().isPresent()) {
            millis = Math.max(millis, either.get().retryAfter().get().toMillis());
          }
          return Math.min(millis, max);
        };
    return RetryConfig.<Attempt>custom()
        .maxAttempts(remaining)
        .intervalBiFunction(delay)
        .retryOnResult(Attempt::isRetryable)
        .retryOnException(e -> false)
        .failAfterMaxAttempts(false)
        .build();
  }

  private void count(ActivityCall call, String outcome) {
    counters
        .computeIfAbsent(
            call.type() + "/" + outcome,
            key ->
                meters.counter(
                    "durable.activity.attempts", "type", call.type(), "outcome", outcome))
        .increment();
  }

  private Timer timer(ActivityCall call) {
    return timers.computeIfAbsent(
        call.type(),
        type ->
            Timer.builder("durable.activity.duration")
                .description("Duration of activity attempts")
                .tag("type", type)
                .publishPercentileHistogram()
                .register(meters));
  }

  @Override
  public void close() {
    attempts.shutdownNow();
  }
}
