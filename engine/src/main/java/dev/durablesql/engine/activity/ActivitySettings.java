package dev.durablesql.engine.activity;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * How the engine runs activities: where plugins come from, the values activities read with {@code
 * ActivityContext.setting}, the default time limit of one attempt, and the circuit breakers.
 *
 * @param pluginsDirectory the folder of plugin jars; empty means built-in activities only
 * @param values engine settings activities may read, by canonical name ({@code http.policy}, {@code
 *     embed.api-key}, {@code plugin.checksum.key}); unset settings are absent
 * @param attemptTimeout the longest one attempt of an activity may take when its node sets no
 *     shorter {@code df.timeout}
 */
public record ActivitySettings(
    Optional<Path> pluginsDirectory,
    Map<String, String> values,
    Duration attemptTimeout,
    BreakerSettings breakers) {

  public ActivitySettings {
    requireNonNull(pluginsDirectory, "pluginsDirectory is null");
    values = Map.copyOf(requireNonNull(values, "values is null"));
    requireNonNull(attemptTimeout, "attemptTimeout is null");
    requireNonNull(breakers, "breakers is null");
    if (attemptTimeout.isNegative() || attemptTimeout.isZero()) {
      throw new IllegalArgumentException("attemptTimeout must be positive, was " + attemptTimeout);
    }
  }

  /** Built-in activities only, HTTP in allowlist mode with an empty list, 5-minute attempts. */
  public static ActivitySettings defaults() {
    return new ActivitySettings(
        Optional.empty(), Map.of(), Duration.ofMinutes(5), BreakerSettings.defaults());
  }

  public ActivitySettings withPluginsDirectory(Path value) {
    return new ActivitySettings(Optional.ofNullable(value), values, attemptTimeout, breakers);
  }

  /** A copy where {@code name} is {@code value}; a {@code null} value unsets it. */
  public ActivitySettings withValue(String name, String value) {
    Map<String, String> copy = new java.util.HashMap<>(values);
    if (value == null) {
      copy.remove(name);
    } else {
      copy.put(name, value);
    }
    return new ActivitySettings(pluginsDirectory, copy, attemptTimeout, breakers);
  }

  public ActivitySettings withBreakers(BreakerSettings value) {
    return new ActivitySettings(pluginsDirectory, values, attemptTimeout, value);
  }

  /** The value of setting {@code name} for activities of {@code type}, if it is set. */
  Optional<String> value(String type, String name) {
    String key = canonical(name);
    String builtIn = values.get(namespace(type) + "." + key);
    if (builtIn != null) {
      return Optional.of(builtIn);
    }
    return Optional.ofNullable(values.get("plugin." + canonical(type) + "." + key));
  }

  /** Setting names are case-blind and treat {@code _} as {@code -}, as the engine's config does. */
  private static String canonical(String name) {
    return name.strip().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  /** Both HTTP activity types read the {@code http.*} settings. */
  private static String namespace(String type) {
    return type.equals("http_multipart") ? "http" : type;
  }

  /**
   * When a target's circuit breaker opens and for how long.
   *
   * @param failureRateThreshold percentage of failed calls in the window that opens the breaker
   * @param minimumCalls calls a window needs before the rate counts
   * @param windowSize calls in the sliding window
   * @param openDuration how long an open breaker fails calls fast before it lets trial calls
   *     through
   * @param halfOpenCalls trial calls in the half-open state
   */
  public record BreakerSettings(
      int failureRateThreshold,
      int minimumCalls,
      int windowSize,
      Duration openDuration,
      int halfOpenCalls) {

    public BreakerSettings {
      requireNonNull(openDuration, "openDuration is null");
      if (failureRateThreshold < 1 || failureRateThreshold > 100) {
        throw new IllegalArgumentException(
            "breaker failure rate threshold must be 1..100 %, was " + failureRateThreshold);
      }
      if (minimumCalls < 1 || windowSize < minimumCalls || halfOpenCalls < 1) {
        throw new IllegalArgumentException(
            "breaker windows need minimumCalls >= 1, windowSize >= minimumCalls and"
                + " halfOpenCalls >= 1");
      }
    }

    /** 50 % of the last 20 calls (at least 10) opens a breaker for 30 s; 3 trial calls. */
    public static BreakerSettings defaults() {
      return new BreakerSettings(50, 10, 20, Duration.ofSeconds(30), 3);
    }
  }
}
