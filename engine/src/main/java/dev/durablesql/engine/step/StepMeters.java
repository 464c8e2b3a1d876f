package dev.durablesql.engine.step;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;

/**
 * The metrics of one type of step: {@code durable.steps{type, outcome}} counts steps started and
 * how they ended (completed, failed, or abandoned: lease lost, engine stopping), {@code
 * durable.steps.duration{type, outcome}} times them with their retries and backoff, and {@code
 * durable.steps.retries{type}} counts failed attempts that are tried again. Meters are made once.
 */
final class StepMeters {
  static final String STARTED = "started";
  static final String COMPLETED = "completed";
  static final String FAILED = "failed";
  static final String ABANDONED = "abandoned";

  private final Counter started;
  private final Map<String, Counter> ended;
  private final Map<String, Timer> durations;
  private final Counter retries;

  StepMeters(MeterRegistry meters, String type) {
    requireNonNull(meters, "meters is null");
    requireNonNull(type, "type is null");
    this.started = counter(meters, type, STARTED);
    this.ended =
        Map.of(
            COMPLETED, counter(meters, type, COMPLETED),
            FAILED, counter(meters, type, FAILED),
            ABANDONED, counter(meters, type, ABANDONED));
    this.durations =
        Map.of(
            COMPLETED, timer(meters, type, COMPLETED),
            FAILED, timer(meters, type, FAILED),
            ABANDONED, timer(meters, type, ABANDONED));
    this.retries =
        Counter.builder("durable.steps.retries")
            .description("Failed step attempts that are tried again")
            .tag("type", type)
            .register(meters);
  }

  private static Counter counter(MeterRegistry meters, String type, String outcome) {
    return Counter.builder("durable.steps")
        .description("Steps started, and how they ended after their retries")
        .tag("type", type)
        .tag("outcome", outcome)
        .register(meters);
  }

  private static Timer timer(MeterRegistry meters, String type, String outcome) {
    return Timer.builder("durable.steps.duration")
        .description("Duration of steps, retries and their delays included")
        .tag("type", type)
        .tag("outcome", outcome)
        .publishPercentileHistogram()
        .register(meters);
  }

  void started() {
    started.increment();
  }

  /** A step ended with {@code outcome} (completed, failed or abandoned) after {@code took}. */
  void ended(String outcome, Duration took) {
    ended.get(outcome).increment();
    durations.get(outcome).record(took);
  }

  void retried() {
    retries.increment();
  }
}
