package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * df.wait_for_schedule validates classic five-field cron when the workflow is built (SPEC.md §7.8,
 * R-DIFF-4) and stores the expression as written.
 */
class DslCronTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private Connection alice;

  @BeforeEach
  void connect() throws SQLException {
    alice = postgres.connectAs(PostgresExtension.ALICE);
  }

  @AfterEach
  void disconnect() throws SQLException {
    alice.close();
  }

  private static String schedule(String config) {
    return "{\"node_type\":\"WAIT_SCHEDULE\",\"query\":\""
        + config.replace("\\", "\\\\").replace("\"", "\\\"")
        + "\"}";
  }

  @Test
  void validExpressionIsStoredExactlyAsWritten() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.wait_for_schedule(?)", " 0  9\t* * mon-FRI ");

    assertThat(durofut).isEqualTo(schedule("{\"cron_expr\":\" 0  9\\t* * mon-FRI \"}"));
  }

  @Test
  void classicFiveFieldSyntaxIsAccepted() throws SQLException {
    List<String> valid =
        List.of(
            "* * * * *",
            "0 0 1 1 0",
            "59 23 31 12 7",
            "*/15 0-6/2 1,15,31 JAN-jun sun",
            "0 12 ? * MON-SUN",
            "0 12 1 * ?",
            "5/10 * * * *",
            "0 0 * * 1-5",
            "0 0 * * 0,7",
            "0 0 * * SAT-SUN",
            "0 0 * * SUN-SAT",
            "0 0 * dec-DEC *",
            "1,2,3-5,10-20/5 * * * *",
            "*/60 */24 */31 */12 */8");
    Map<String, String> durofuts = new LinkedHashMap<>();
    for (String expression : valid) {
      durofuts.put(expression, Queries.text(alice, "SELECT df.wait_for_schedule(?)", expression));
    }

    Map<String, String> expected = new LinkedHashMap<>();
    for (String expression : valid) {
      expected.put(expression, schedule("{\"cron_expr\":\"" + expression + "\"}"));
    }
    assertThat(durofuts).containsExactlyEntriesOf(expected);
  }

  @Test
  void invalidExpressionsAreRejectedWithTheReason() throws SQLException {
    Map<String, String> reasons = new LinkedHashMap<>();
    reasons.put(
        "",
        "the expression is empty; write five fields: minute hour day-of-month month"
            + " day-of-week");
    reasons.put(
        "@hourly",
        "shorthands such as @hourly are not supported; write five fields:"
            + " minute hour day-of-month month day-of-week");
    reasons.put(
        "* * * *", "expected 5 fields (minute hour day-of-month month day-of-week)," + " found 4");
    reasons.put(
        "0 0 * * * 2030",
        "expected 5 fields (minute hour day-of-month month" + " day-of-week), found 6");
    reasons.put("60 * * * *", "minute field: value 60 is out of range 0-59");
    reasons.put("* 24 * * *", "hour field: value 24 is out of range 0-23");
    reasons.put("* * 0 * *", "day-of-month field: value 0 is out of range 1-31");
    reasons.put("* * 32 * *", "day-of-month field: value 32 is out of range 1-31");
    reasons.put("* * * 13 *", "month field: value 13 is out of range 1-12");
    reasons.put("* * * * 8", "day-of-week field: value 8 is out of range 0-7");
    reasons.put("99999999999 * * * *", "minute field: value 99999999999 is out of range 0-59");
    reasons.put(
        "* * * * FRY", "day-of-week field: unknown day name 'FRY' (use SUN to SAT or 0" + " to 7)");
    reasons.put("* * * JUNE *", "month field: 'JUNE' is not a number or a three-letter name");
    reasons.put(
        "* * * FOO *", "month field: unknown month name 'FOO' (use JAN to DEC or 1 to" + " 12)");
    reasons.put(
        "MON * * * *",
        "minute field: 'MON' is not a number (names are allowed only for"
            + " months and days of the week)");
    reasons.put(
        "? * * * *",
        "minute field: '?' is allowed only in the day-of-month and" + " day-of-week fields");
    reasons.put(
        "* * * ? *",
        "month field: '?' is allowed only in the day-of-month and" + " day-of-week fields");
    reasons.put("* * ?/2 * *", "day-of-month field: '?/2': '?' cannot have a step");
    reasons.put("*/0 * * * *", "minute field: step 0 in '*/0' is out of range 1-60");
    reasons.put("*/61 * * * *", "minute field: step 61 in '*/61' is out of range 1-60");
    reasons.put("*/x * * * *", "minute field: step 'x' in '*/x' is not a number");
    reasons.put("1,,2 * * * *", "minute field: empty element in a list");
    reasons.put("1, * * * *", "minute field: empty element in a list");
    reasons.put("5-1 * * * *", "minute field: range '5-1' starts after it ends");
    reasons.put("* * * * MON-0", "day-of-week field: range 'MON-0' starts after it ends");
    reasons.put("1-2-3 * * * *", "minute field: cannot parse '1-2-3'");
    reasons.put("-1 * * * *", "minute field: cannot parse '-1'");
    reasons.put(
        "* * L * *",
        "day-of-month field: 'L' is not classic cron: L, W and # are not" + " supported");
    reasons.put(
        "* * 15W * *",
        "day-of-month field: '15W' is not classic cron: L, W and # are not" + " supported");
    reasons.put(
        "* * * * 5#3",
        "day-of-week field: '5#3' is not classic cron: L, W and # are not" + " supported");
    Map<String, String> errors = new LinkedHashMap<>();
    for (String expression : reasons.keySet()) {
      errors.put(
          expression, DslStatements.errorOf(alice, "SELECT df.wait_for_schedule(?)", expression));
    }

    Map<String, String> expected = new LinkedHashMap<>();
    reasons.forEach((expression, reason) ->
        expected.put(expression, "Invalid cron expression '" + expression + "': " + reason));
    assertThat(errors).containsExactlyEntriesOf(expected);
  }

  @Test
  void timeZoneFormStoresTheZoneAfterTheExpression() throws SQLException {
    List<String> durofuts =
        Queries.rows(
                alice,
                "SELECT df.wait_for_schedule('0 9 * * 1-5', 'Europe/Paris'),"
                    + " df.wait_for_schedule(cron_expr => '*/5 * * * *', time_zone => 'UTC')")
            .get(0);

    assertThat(durofuts)
        .containsExactly(
            schedule("{\"cron_expr\":\"0 9 * * 1-5\",\"time_zone\":\"Europe/Paris\"}"),
            schedule("{\"cron_expr\":\"*/5 * * * *\",\"time_zone\":\"UTC\"}"));
  }

  @Test
  void timeZoneMustBeAZoneNameThatTheEngineKnows() throws SQLException {
    Map<String, String> errors = new LinkedHashMap<>();
    for (String zone : List.of("Mars/Olympus", "europe/paris", "", "posix/Europe/Paris", "CEST")) {
      errors.put(
          zone, DslStatements.errorOf(alice, "SELECT df.wait_for_schedule('* * * * *', ?)", zone));
    }

    assertThat(errors)
        .hasSize(5)
        .allSatisfy((zone, error) ->
            assertThat(error)
                .isEqualTo(
                    "Invalid time zone '"
                        + zone
                        + "': use a name from pg_timezone_names such as 'Europe/Paris' or"
                        + " 'UTC'"));
  }

  @Test
  void timeZoneFormValidatesTheExpressionFirst() throws SQLException {
    String error = DslStatements.errorOf(alice, "SELECT df.wait_for_schedule('* *', 'Nowhere')");

    assertThat(error)
        .isEqualTo(
            "Invalid cron expression '* *': expected 5 fields (minute hour day-of-month month"
                + " day-of-week), found 2");
  }

  @Test
  void nullArgumentsGiveNull() throws SQLException {
    List<String> results =
        Queries.rows(
                alice,
                "SELECT df.wait_for_schedule(NULL), df.wait_for_schedule(NULL, 'UTC'),"
                    + " df.wait_for_schedule('* * * * *', NULL)")
            .get(0);

    assertThat(results).hasSize(3).containsOnlyNulls();
  }
}
