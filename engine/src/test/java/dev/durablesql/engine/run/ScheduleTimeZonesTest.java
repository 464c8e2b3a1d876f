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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The time zones of df.wait_for_schedule (R-DIFF-4): every name the SQL function accepts (it checks
 * them against pg_timezone_names) is one the engine can compute ticks in.
 */
class ScheduleTimeZonesTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

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
