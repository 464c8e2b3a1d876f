package dev.durablesql.activities.sql;

import java.math.BigDecimal;

/**
 * Rewrites PostgreSQL's text output of an {@code interval}, in whichever {@code IntervalStyle} the
 * session uses, as the ISO-8601 duration that {@code IntervalStyle = iso_8601} prints: {@code
 * P1Y2M3DT4H5M6.5S}, {@code PT0S} for zero, and every part keeping its own sign ({@code
 * P-1Y-2M3D}).
 */
final class IntervalText {
  private static final long MICROS_PER_SECOND = 1_000_000L;
  private static final long MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND;
  private static final long MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE;

  private IntervalText() {}

  /**
   * The ISO-8601 form of {@code text}.
   *
   * @throws IllegalArgumentException when {@code text} is not an interval's text output
   */
  static String toIso8601(String text) {
    if (text.startsWith("P")) {
      return text; // already IntervalStyle iso_8601
    }
    Parts parts = new Parts();
    if (text.startsWith("@")) {
      readVerbose(text, parts);
    } else {
      readPostgresOrSqlStandard(text, parts);
    }
    return format(parts);
  }

  /** An interval as PostgreSQL stores it: months, days and microseconds, each with its sign. */
  private static final class Parts {
    long months;
    long days;
    long micros;

    void add(long amount, String unit) {
      switch (unitOf(unit)) {
        case "year" -> months = Math.addExact(months, Math.multiplyExact(amount, 12));
        case "mon" -> months = Math.addExact(months, amount);
        case "day" -> days = Math.addExact(days, amount);
        case "hour" -> micros = Math.addExact(micros, Math.multiplyExact(amount, MICROS_PER_HOUR));
        case "min" -> micros = Math.addExact(micros, Math.multiplyExact(amount, MICROS_PER_MINUTE));
        default -> throw new IllegalArgumentException("not an interval unit: " + unit);
      }
    }

    void negate() {
      months = -months;
      days = -days;
      micros = -micros;
    }
  }

  /** {@code postgres_verbose}: {@code @ 1 year 2 mons 4 hours 6.5 secs ago}, or {@code @ 0}. */
  private static void readVerbose(String text, Parts parts) {
    String[] tokens = text.substring(1).strip().split(" +", -1);
    boolean ago = false;
    for (int i = 0; i < tokens.length; i++) {
      String token = tokens[i];
      if (token.equals("ago")) {
        ago = true;
      } else if (i + 1 == tokens.length) {
        if (!token.equals("0")) {
          throw new IllegalArgumentException("interval number without a unit: " + token);
        }
      } else {
        String unit = tokens[++i];
        if (unit.startsWith("sec")) {
          parts.micros = Math.addExact(parts.micros, secondsToMicros(token));
        } else {
          parts.add(Long.parseLong(token), unit);
        }
      }
    }
    if (ago) {
      parts.negate();
    }
  }

  /**
   * {@code postgres}: {@code 1 year -2 mons +3 days -04:05:06.5}; {@code sql_standard}: {@code
   * 1-2}, {@code -3 4:05:06} (one leading sign for all parts), {@code +1-2 -3 +4:05:06} or {@code
   * 0}.
   */
  private static void readPostgresOrSqlStandard(String text, Parts parts) {
    String[] tokens = text.strip().split(" +", -1);
    boolean sqlStandard = text.chars().noneMatch(Character::isLetter);
    boolean allNegative = sqlStandard && tokens[0].startsWith("-");
    for (int i = 0; i < tokens.length; i++) {
      String token = tokens[i];
      boolean negative = token.startsWith("-") || (allNegative && !token.startsWith("+"));
      String unsigned = token.startsWith("-") || token.startsWith("+") ? token.substring(1) : token;
      if (unsigned.contains(":")) {
        long micros = timeToMicros(unsigned);
        parts.micros = Math.addExact(parts.micros, negative ? -micros : micros);
      } else if (!sqlStandard) {
        if (i + 1 == tokens.length) {
          throw new IllegalArgumentException("interval number without a unit: " + token);
        }
        parts.add(Long.parseLong(token), tokens[++i]);
      } else if (unsigned.contains("-")) {
        int dash = unsigned.indexOf('-');
        long months =
            Math.addExact(
                Math.multiplyExact(Long.parseLong(unsigned.substring(0, dash)), 12),
                Long.parseLong(unsigned.substring(dash + 1)));
        parts.months = Math.addExact(parts.months, negative ? -months : months);
      } else {
        long days = Long.parseLong(unsigned);
        parts.days = Math.addExact(parts.days, negative ? -days : days);
      }
    }
  }

  /** {@code H:MM:SS[.fraction]}, unsigned; hours may exceed 24. */
  private static long timeToMicros(String text) {
    String[] fields = text.split(":", -1);
    if (fields.length != 3) {
      throw new IllegalArgumentException("not an interval time: " + text);
    }
    long minutes =
        Math.addExact(Math.multiplyExact(Long.parseLong(fields[0]), 60), Long.parseLong(fields[1]));
    return Math.addExact(
        Math.multiplyExact(minutes, MICROS_PER_MINUTE), secondsToMicros(fields[2]));
  }

  private static long secondsToMicros(String seconds) {
    return new BigDecimal(seconds).movePointRight(6).longValueExact();
  }

  private static String unitOf(String word) {
    for (String unit : new String[] {"year", "mon", "day", "hour", "min"}) {
      if (word.equals(unit) || word.equals(unit + "s")) {
        return unit;
      }
    }
    return word;
  }

  /** PostgreSQL's EncodeInterval for INTSTYLE_ISO_8601. */
  private static String format(Parts parts) {
    if (parts.months == 0 && parts.days == 0 && parts.micros == 0) {
      return "PT0S";
    }
    StringBuilder out = new StringBuilder("P");
    appendPart(out, parts.months / 12, 'Y');
    appendPart(out, parts.months % 12, 'M');
    appendPart(out, parts.days, 'D');
    if (parts.micros != 0) {
      out.append('T');
      appendPart(out, parts.micros / MICROS_PER_HOUR, 'H');
      appendPart(out, parts.micros % MICROS_PER_HOUR / MICROS_PER_MINUTE, 'M');
      long micros = parts.micros % MICROS_PER_MINUTE;
      if (micros != 0) {
        out.append(micros < 0 ? "-" : "").append(Math.abs(micros) / MICROS_PER_SECOND);
        long fraction = Math.abs(micros) % MICROS_PER_SECOND;
        if (fraction != 0) {
          String digits = Long.toString(fraction + MICROS_PER_SECOND).substring(1);
          out.append('.').append(digits.replaceFirst("0+$", ""));
        }
        out.append('S');
      }
    }
    return out.toString();
  }

  private static void appendPart(StringBuilder out, long value, char designator) {
    if (value != 0) {
      out.append(value).append(designator);
    }
  }
}
