package dev.durablesql.activities.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RetryAfterTest {
  private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");

  @Test
  void readsDelaySeconds() {
    assertThat(RetryAfter.parse("120", NOW)).contains(Duration.ofMinutes(2));
    assertThat(RetryAfter.parse(" 0 ", NOW)).contains(Duration.ZERO);
  }

  @Test
  void readsAnHttpDateRelativeToNow() {
    assertThat(RetryAfter.parse("Sat, 01 Mar 2025 12:01:30 GMT", NOW))
        .contains(Duration.ofSeconds(90));
  }

  @Test
  void aDateInThePastMeansNoDelay() {
    assertThat(RetryAfter.parse("Sat, 01 Mar 2025 11:00:00 GMT", NOW)).contains(Duration.ZERO);
  }

  @Test
  void ignoresValuesThatAreNeitherForm() {
    assertThat(RetryAfter.parse("-5", NOW)).isEmpty();
    assertThat(RetryAfter.parse("soon", NOW)).isEmpty();
    assertThat(RetryAfter.parse("1.5", NOW)).isEmpty();
    assertThat(RetryAfter.parse("99999999999999999999", NOW)).isEmpty();
  }
}
