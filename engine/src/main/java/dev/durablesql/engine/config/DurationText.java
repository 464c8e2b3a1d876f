package dev.durablesql.engine.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads and writes durations as people type them: 30s, 5m, 1h, 250ms, 2d, a plain 30 or PT30S. */
public final class DurationText {
  private static final Pattern SHORT = Pattern.compile("(\\d{1,18})(ms|s|m|h|d)?");

  private DurationText() {}

  /**
   * The duration {@code text} stands for, or empty when it is not one; a plain number is seconds.
   */
  public static Optional<Duration> parse(String text) {
    String trimmed = text.strip().toLowerCase(Locale.ROOT);
    Matcher matcher = SHORT.matcher(trimmed);
    try {
      if (matcher.matches()) {
        long amount = Long.parseLong(matcher.group(1));
        String unit = matcher.group(2) == null ? "s" : matcher.group(2);
        return Optional.of(
            switch (unit) {
              case "ms" -> Duration.ofMillis(amount);
              case "s" -> Duration.ofSeconds(amount);
              case "m" -> Duration.ofMinutes(amount);
              case "h" -> Duration.ofHours(amount);
              case "d" -> Duration.ofDays(amount);
              default -> throw new IllegalStateException("unit " + unit + " matched but unhandled");
            });
      }
      if (trimmed.startsWith("p") || trimmed.startsWith("-p") || trimmed.startsWith("+p")) {
        return Optional.of(Duration.parse(trimmed));
      }
    } catch (ArithmeticException | DateTimeParseException e) {
      // Too large for a Duration, or not ISO-8601 after all: not a duration we can use.
      return Optional.empty();
    }
    return Optional.empty();
  }

  /**
   * The shortest exact short form of {@code duration}, such as {@code 1h}, {@code 90s} or {@code
   * 250ms}.
   */
  static String format(Duration duration) {
    if (duration.isNegative() || duration.getNano() % 1_000_000 != 0) {
      return duration.toString();
    }
    if (duration.getNano() != 0) {
      return duration.toMillis() + "ms";
    }
    long seconds = duration.getSeconds();
    if (seconds != 0 && seconds % 3600 == 0) {
      return seconds / 3600 + "h";
    }
    if (seconds != 0 && seconds % 60 == 0) {
      return seconds / 60 + "m";
    }
    return seconds + "s";
  }
}
