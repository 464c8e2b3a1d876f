package dev.durablesql.activities.http;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Reads a {@code Retry-After} header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
final class RetryAfter {
  private RetryAfter() {}

  /**
   * The delay a {@code Retry-After} value asks for.
   *
   * @param now the instant an HTTP-date is measured from
   * @return the delay, zero for a date in the past, empty for a value that is neither form
   */
  static Optional<Duration> parse(String value, Instant now) {
    String text = value.strip();
    if (!text.isEmpty() && text.length() <= 12 && text.chars().allMatch(Character::isDigit)) {
      return Optional.of(Duration.ofSeconds(Long.parseLong(text)));
    }
    try {
      Instant at = ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      Duration delay = Duration.between(now, at);
      return Optional.of(delay.isNegative() ? Duration.ZERO : delay);
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
