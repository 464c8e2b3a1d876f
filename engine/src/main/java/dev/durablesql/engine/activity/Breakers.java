package dev.durablesql.engine.activity;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.store.BreakerStore;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Resilience4j circuit breaker per activity target: {@code http:<host>} for HTTP steps, {@code
 * activity:<type>} for other activities. Only failures a retry could fix (timeouts, refused
 * connections, 503s: {@code ActivityException.retryable()}) count against a target; bad input does
 * not. State changes are logged, exported as metrics and written to {@code df_engine.breakers}.
 */
public final class Breakers {
  private static final Logger log = LoggerFactory.getLogger(Breakers.class);

  private final CircuitBreakerRegistry registry;

  /**
   * @param writer where the state rows are written from, so that a slow database never delays a
   *     step (a virtual-thread executor)
   */
  public Breakers(
      ActivitySettings.BreakerSettings settings,
      BreakerStore store,
      MeterRegistry meters,
      Executor writer) {
    requireNonNull(settings, "settings is null");
    requireNonNull(store, "store is null");
    requireNonNull(writer, "writer is null");
    CircuitBreakerConfig config =
        CircuitBreakerConfig.custom()
            .failureRateThreshold(settings.failureRateThreshold())
            .minimumNumberOfCalls(settings.minimumCalls())
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .slidingWindowSize(settings.windowSize())
            .waitDurationInOpenState(settings.openDuration())
            .permittedNumberOfCallsInHalfOpenState(settings.halfOpenCalls())
            .automaticTransitionFromOpenToHalfOpenEnabled(false)
            .recordException(Breakers::isTargetFailure)
            .build();
    this.registry = CircuitBreakerRegistry.of(config);
    registry
        .getEventPublisher()
        .onEntryAdded(added ->
            added
                .getAddedEntry()
                .getEventPublisher()
                .onStateTransition(event -> {
                  CircuitBreaker breaker = added.getAddedEntry();
                  CircuitBreaker.Metrics metrics = breaker.getMetrics();
                  String state = event.getStateTransition().getToState().name();
                  log.warn(
                      "Circuit breaker {} is now {} (failure rate {} % of {} calls)",
                      breaker.getName(),
                      state.toLowerCase(java.util.Locale.ROOT),
                      metrics.getFailureRate(),
                      metrics.getNumberOfBufferedCalls());
                  writer.execute(() ->
                      store.save(
                          breaker.getName(),
                          state.toLowerCase(java.util.Locale.ROOT),
                          metrics.getFailureRate(),
                          metrics.getNumberOfFailedCalls(),
                          metrics.getNumberOfBufferedCalls(),
                          event.getCreationTime().toInstant()));
                }));
    TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(registry)
        .bindTo(requireNonNull(meters, "meters is null"));
  }

  /** The breaker of target {@code name}, created closed on first use. */
  CircuitBreaker of(String name) {
    return registry.circuitBreaker(name);
  }

  private static boolean isTargetFailure(Throwable failure) {
    return failure instanceof dev.durablesql.activity.ActivityException e && e.retryable();
  }
}
