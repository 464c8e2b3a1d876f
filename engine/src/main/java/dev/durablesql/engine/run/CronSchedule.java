package dev.durablesql.engine.run;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The next tick of a df.wait_for_schedule expression (R-DIFF-4): classic five-field cron (minute,
 * hour, day of month, month, day of week 0–7 with 0 and 7 Sunday, names allowed; a day matches if
 * either restricted day field matches), computed with cron-utils' UNIX definition, strictly after
 * {@code now}, in the given zone.
 */
final class CronSchedule {
  private static final CronParser UNIX =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  /**
   * The names in PostgreSQL's pg_timezone_names that df.wait_for_schedule accepts and Java's ZoneId
   * does not know, with what they name: three fixed offsets (tzdata links them to zones without
   * daylight saving time) and tzdata's old alias for Taipei.
   */
  private static final Map<String, String> POSTGRES_ONLY_ZONES =
      Map.of("EST", "-05:00", "MST", "-07:00", "HST", "-10:00", "ROC", "Asia/Taipei");

  private static final Pattern SUNDAY_STARTING_A_RANGE = Pattern.compile("SUN(?=-)");

  private CronSchedule() {}

  /**
   * The time zone df.wait_for_schedule named, as a name in pg_timezone_names.
   *
   * @throws java.time.DateTimeException when Java cannot use it either way
   */
  static ZoneId zone(String name) {
    return ZoneId.of(POSTGRES_ONLY_ZONES.getOrDefault(name, name));
  }

  /**
   * @throws IllegalArgumentException when the expression is not valid five-field cron
   */
  static Optional<Instant> next(String expression, ZoneId zone, Instant now) {
    String normalized = normalize(expression);
    ExecutionTime times = ExecutionTime.forCron(UNIX.parse(normalized));
    return times.nextExecution(ZonedDateTime.ofInstant(now, zone)).map(ZonedDateTime::toInstant);
  }

  /**
   * {@code ?} means {@code *}; names are upper-cased, as cron-utils expects them. A day-of-week
   * range that starts on Sunday ({@code SUN-SAT}) starts at 0: cron-utils reads {@code SUN} as 7
   * and would refuse the range as running backwards, where crontab(5) and df.wait_for_schedule read
   * it as the whole week.
   */
  static String normalize(String expression) {
    String[] fields =
        expression.trim().replace('?', '*').toUpperCase(Locale.ROOT).split("\\s+", -1);
    if (fields.length == 5) {
      fields[4] = SUNDAY_STARTING_A_RANGE.matcher(fields[4]).replaceAll("0");
    }
    return String.join(" ", fields);
  }
}
