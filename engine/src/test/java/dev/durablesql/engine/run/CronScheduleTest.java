package dev.durablesql.engine.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The classic cron dialect of R-DIFF-4, as the engine computes next ticks. */
class CronScheduleTest {
  private static final Instant WEDNESDAY_NOON = Instant.parse("2026-11-25T12:00:30Z");

  private static Instant next(String expression) {
    return CronSchedule.next(expression, ZoneOffset.UTC, WEDNESDAY_NOON).orElseThrow();
  }

  @Test
  void everyMinuteFiresAtTheNextMinuteBoundary() {
    assertThat(next("* * * * *")).isEqualTo(Instant.parse("2026-11-25T12:01:00Z"));
  }

  @Test
  void zeroAndSevenAreBothSunday() {
    assertThat(next("0 9 * * 0")).isEqualTo(Instant.parse("2026-11-29T09:00:00Z"));
    assertThat(next("0 9 * * 7")).isEqualTo(Instant.parse("2026-11-29T09:00:00Z"));
  }

  @Test
  void aRangeFromSundayRunsForwardThroughTheWeek() {
    assertThat(next("0 9 * * SUN-SAT")).isEqualTo(Instant.parse("2026-11-26T09:00:00Z"));
    assertThat(next("0 9 * * sun-mon")).isEqualTo(Instant.parse("2026-11-29T09:00:00Z"));
    assertThat(next("0 9 * * MON-SUN")).isEqualTo(Instant.parse("2026-11-26T09:00:00Z"));
  }

  @Test
  void oneToFiveAreTheWeekdays() {
    assertThat(next("0 9 * * 1-5")).isEqualTo(Instant.parse("2026-11-26T09:00:00Z"));
  }

  @Test
  void namesAndQuestionMarksAreAccepted() {
    assertThat(next("30 12 ? nov wed")).isEqualTo(Instant.parse("2026-11-25T12:30:00Z"));
  }

  @Test
  void whenBothDayFieldsAreRestrictedEitherMatches() {
    // The 1st of the month or any Friday: Friday the 27th comes first.
    assertThat(next("0 0 1 * 5")).isEqualTo(Instant.parse("2026-11-27T00:00:00Z"));
  }

  @Test
  void aTimeZoneShiftsTheTick() {
    Instant tick =
        CronSchedule.next("0 9 * * *", ZoneId.of("Europe/Paris"), WEDNESDAY_NOON).orElseThrow();

    assertThat(tick).isEqualTo(Instant.parse("2026-11-26T08:00:00Z"));
  }

  @Test
  void anInvalidExpressionIsRefused() {
    assertThatThrownBy(() -> next("61 * * * *")).isInstanceOf(IllegalArgumentException.class);
  }
}
