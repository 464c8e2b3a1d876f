package dev.durablesql.activities.sql;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;

/**
 * Rewrites PostgreSQL's ISO text output of {@code timestamptz}, {@code timestamp} and {@code date}
 * as RFC 3339 / ISO-8601 text. Infinite and BC values keep their PostgreSQL text.
 */
final class DateTimeText {
  private DateTimeText() {}

  /** {@code 2024-06-15 14:30:00.5+02} becomes {@code 2024-06-15T12:30:00.500+00:00}. */
  static String timestampWithTimeZone(String text) {
    if (isInfiniteOrBc(text)) {
      return text;
    }
    int timeStart = text.indexOf(' ') + 1;
    int offsetStart = indexOfSign(text, timeStart);
    LocalDateTime local =
        LocalDateTime.of(
            parseDate(text.substring(0, timeStart - 1)),
            parseTime(text.substring(timeStart, offsetStart)));
    // The session's TimeZone decides the offset PostgreSQL prints; the result is always UTC.
    LocalDateTime utc = local.minusSeconds(parseOffsetSeconds(text.substring(offsetStart)));
    return format(utc) + "+00:00";
  }

  /** {@code 2024-06-15 12:30:00.123456} becomes {@code 2024-06-15T12:30:00.123456}. */
  static String timestamp(String text) {
    if (isInfiniteOrBc(text)) {
      return text;
    }
    int space = text.indexOf(' ');
    return format(
        LocalDateTime.of(
            parseDate(text.substring(0, space)), parseTime(text.substring(space + 1))));
  }

  /** {@code 2024-06-15} stays as it is; years past 9999 get a {@code +} sign. */
  static String date(String text) {
    if (isInfiniteOrBc(text)) {
      return text;
    }
    return formatDate(parseDate(text));
  }

  private static boolean isInfiniteOrBc(String text) {
    return text.equals("infinity") || text.equals("-infinity") || text.endsWith(" BC");
  }

  private static int indexOfSign(String text, int from) {
    for (int i = from; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '+' || c == '-') {
        return i;
      }
    }
    throw new IllegalArgumentException("no UTC offset in " + text);
  }

  /** Parses {@code YYYY-MM-DD}, where the year may have more than four digits. */
  private static LocalDate parseDate(String text) {
    int firstDash = text.indexOf('-');
    int secondDash = text.indexOf('-', firstDash + 1);
    return LocalDate.of(
        Integer.parseInt(text.substring(0, firstDash)),
        Integer.parseInt(text.substring(firstDash + 1, secondDash)),
        Integer.parseInt(text.substring(secondDash + 1)));
  }

  /** Parses {@code HH:MM:SS[.fraction]}. */
  private static LocalTime parseTime(String text) {
    int dot = text.indexOf('.');
    String wholeSeconds = dot < 0 ? text : text.substring(0, dot);
    String[] fields = wholeSeconds.split(":", -1);
    if (fields.length != 3) {
      throw new IllegalArgumentException("not a time: " + text);
    }
    int nanos = 0;
    if (dot >= 0) {
      String fraction = text.substring(dot + 1);
      if (fraction.isEmpty() || fraction.length() > 9) {
        throw new IllegalArgumentException("not a time fraction: " + text);
      }
      nanos = Integer.parseInt(fraction + "0".repeat(9 - fraction.length()));
    }
    return LocalTime.of(
        Integer.parseInt(fields[0]),
        Integer.parseInt(fields[1]),
        Integer.parseInt(fields[2]),
        nanos);
  }

  /** Parses {@code +HH}, {@code +HH:MM} or {@code +HH:MM:SS} (seconds come with historic zones). */
  private static int parseOffsetSeconds(String text) {
    String[] fields = text.substring(1).split(":", -1);
    if (fields.length > 3) {
      throw new IllegalArgumentException("not a UTC offset: " + text);
    }
    int seconds = 0;
    int unit = 3600;
    for (String field : fields) {
      seconds += Integer.parseInt(field) * unit;
      unit /= 60;
    }
    return text.charAt(0) == '-' ? -seconds : seconds;
  }

  private static String format(LocalDateTime dateTime) {
    StringBuilder out = new StringBuilder(formatDate(dateTime.toLocalDate()));
    out.append('T');
    appendTwoDigits(out, dateTime.getHour()).append(':');
    appendTwoDigits(out, dateTime.getMinute()).append(':');
    appendTwoDigits(out, dateTime.getSecond());
    appendFraction(out, dateTime.getNano());
    return out.toString();
  }

  private static String formatDate(LocalDate date) {
    StringBuilder out = new StringBuilder();
    int year = date.getYear();
    if (year > 9999) {
      out.append('+').append(year);
    } else if (year < 0) {
      appendPadded(out.append('-'), -year, 4);
    } else {
      appendPadded(out, year, 4);
    }
    out.append('-');
    appendTwoDigits(out, date.getMonthValue()).append('-');
    appendTwoDigits(out, date.getDayOfMonth());
    return out.toString();
  }

  /** Like chrono's AutoSi: none when zero, else the fewest of 3, 6 or 9 digits that are exact. */
  private static void appendFraction(StringBuilder out, int nanos) {
    if (nanos == 0) {
      return;
    }
    if (nanos % 1_000_000 == 0) {
      appendPadded(out.append('.'), nanos / 1_000_000, 3);
    } else if (nanos % 1_000 == 0) {
      appendPadded(out.append('.'), nanos / 1_000, 6);
    } else {
      appendPadded(out.append('.'), nanos, 9);
    }
  }

  private static StringBuilder appendTwoDigits(StringBuilder out, int value) {
    return appendPadded(out, value, 2);
  }

  private static StringBuilder appendPadded(StringBuilder out, int value, int width) {
    String digits = Integer.toString(value);
    return out.append("0".repeat(Math.max(0, width - digits.length()))).append(digits);
  }
}
