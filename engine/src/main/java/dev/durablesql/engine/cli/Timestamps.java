package dev.durablesql.engine.cli;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/** Timestamps as the monitoring commands print them: local time for people, ISO-8601 in JSON. */
final class Timestamps {
  private static final DateTimeFormatter TEXT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

  private Timestamps() {}

  static OffsetDateTime read(ResultSet row, String column) throws SQLException {
    return row.getObject(column, OffsetDateTime.class);
  }

  /** In this machine's time zone, to the millisecond; empty for null. */
  static String text(OffsetDateTime at) {
    return at == null ? "" : at.atZoneSameInstant(ZoneId.systemDefault()).format(TEXT);
  }

  /** ISO-8601 with the offset PostgreSQL sent (UTC), or null. */
  static String json(OffsetDateTime at) {
    return at == null ? null : at.toString();
  }
}
