package dev.durablesql.engine.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * df.wait_for_schedule (R-DIFF-4) checks its cron expression and time zone in SQL, when the
 * workflow is built; the engine computes the ticks in Java, later. Whatever the SQL function
 * accepts, the engine must be able to use.
 */
class ScheduleAgreementTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  /** Field values, the usual and the odd, that random expressions are made of. */
  private static final String[] FIELDS = {
    "*", "?", "0", "5", "*/5", "1-5", "5-1", "1,2,3", "1-10/3", "7", "5/10", "00", "1-1", "3-3/2",
    "*/1", "1,*", "12", "jan-dec", "MAR-FEB"
  };

  private static final String[] DAYS_OF_WEEK = {
    "*",
    "?",
    "0",
    "7",
    "0-6",
    "1-7",
    "0-7",
    "SUN",
    "sun",
    "SAT",
    "SUN-SAT",
    "sun-sat/2",
    "SUN-MON",
    "SAT-SUN",
    "MON-SUN",
    "Sun-Wed",
    "THU-SUN",
    "SUN-SUN",
    "SUN-7",
    "0-SAT",
    "MON-FRI",
    "mon,sun",
    "*/2",
    "SUN/2",
    "WED-SUN/2",
    "FRI-MON",
    "1-5,SUN-TUE"
  };

  @Test
  void everyCronExpressionTheSqlFunctionAcceptsIsOneTheEngineCanSchedule() throws SQLException {
    Random random = new Random(20261125);
    Instant now = Instant.parse("2026-11-25T12:00:30Z");
    List<String> accepted = new ArrayList<>();
    List<String> unusable = new ArrayList<>();
    try (Connection connection = postgres.dataSource().getConnection();
        PreparedStatement schedule =
            connection.prepareStatement("SELECT df.wait_for_schedule(?)")) {
      for (int i = 0; i < 3_000; i++) {
        String expression =
            String.join(
                " ",
                FIELDS[random.nextInt(FIELDS.length)],
                FIELDS[random.nextInt(FIELDS.length)],
                FIELDS[random.nextInt(FIELDS.length)],
                FIELDS[random.nextInt(FIELDS.length)],
                DAYS_OF_WEEK[random.nextInt(DAYS_OF_WEEK.length)]);
        schedule.setString(1, expression);
        try {
          schedule.executeQuery().close();
        } catch (SQLException refused) {
          continue; // Refused when the workflow is built, with a message: never reaches the engine.
        }
        accepted.add(expression);
        try {
          CronSchedule.next(expression, ZoneOffset.UTC, now);
        } catch (IllegalArgumentException e) {
          unusable.add(expression + ": " + e.getMessage());
        }
      }
    }

    assertThat(accepted).hasSizeGreaterThan(300);
    assertThat(unusable).isEmpty();
  }

  @Test
  void everyTimeZoneTheSqlFunctionAcceptsIsOneTheEngineCanUse() throws SQLException {
    List<String> accepted = new ArrayList<>();
    try (Connection connection = postgres.dataSource().getConnection();
        PreparedStatement names =
            connection.prepareStatement("SELECT name FROM pg_timezone_names ORDER BY name");
        PreparedStatement schedule =
            connection.prepareStatement("SELECT df.wait_for_schedule('0 9 * * *', ?)");
        ResultSet rows = names.executeQuery()) {
      while (rows.next()) {
        schedule.setString(1, rows.getString(1));
        try {
          schedule.executeQuery().close();
          accepted.add(rows.getString(1));
        } catch (SQLException refused) {
          // Refused when the workflow is built, with a message: never reaches the engine.
        }
      }
    }

    List<String> unusable = new ArrayList<>();
    for (String name : accepted) {
      try {
        CronSchedule.zone(name);
      } catch (DateTimeException e) {
        unusable.add(name);
      }
    }
    assertThat(accepted).contains("Europe/Paris", "UTC", "EST", "ROC");
    assertThat(unusable).isEmpty();
  }

  @Test
  void theNamesJavaLacksMeanWhatTheyMeanInPostgreSql() {
    Instant now = Instant.parse("2026-07-01T00:00:00Z");

    assertThat(CronSchedule.zone("EST").getRules().getOffset(now).getTotalSeconds())
        .isEqualTo(-5 * 3600);
    assertThat(CronSchedule.zone("MST").getRules().getOffset(now).getTotalSeconds())
        .isEqualTo(-7 * 3600);
    assertThat(CronSchedule.zone("HST").getRules().getOffset(now).getTotalSeconds())
        .isEqualTo(-10 * 3600);
    assertThat(CronSchedule.zone("ROC")).isEqualTo(ZoneId.of("Asia/Taipei"));
    assertThat(CronSchedule.zone("Europe/Paris")).isEqualTo(ZoneId.of("Europe/Paris"));
  }
}
