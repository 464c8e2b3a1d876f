package dev.durablesql.engine.cli;

import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Renders a result set like psql's aligned format, with a row count footer. */
final class TextTable {
  private TextTable() {}

  static String render(ResultSet rows) throws SQLException {
    ResultSetMetaData meta = rows.getMetaData();
    int columns = meta.getColumnCount();
    List<String> header = new ArrayList<>();
    for (int c = 0; c < columns; c++) {
      header.add(meta.getColumnLabel(c + 1));
    }
    List<List<String>> table = new ArrayList<>();
    while (rows.next()) {
      List<String> row = new ArrayList<>();
      for (int c = 0; c < columns; c++) {
        String value = rows.getString(c + 1);
        row.add(value == null ? "" : value);
      }
      table.add(row);
    }
    return render(header, table);
  }

  /** The same table from values already read; every row has as many cells as the header. */
  static String render(List<String> header, List<List<String>> table) {
    int columns = header.size();
    int[] widths = new int[columns];
    for (int c = 0; c < columns; c++) {
      widths[c] = header.get(c).length();
    }
    for (List<String> row : table) {
      for (int c = 0; c < columns; c++) {
        widths[c] = Math.max(widths[c], row.get(c).length());
      }
    }
    StringBuilder out = new StringBuilder();
    line(out, header, widths);
    for (int c = 0; c < columns; c++) {
      out.append(c == 0 ? "-" : "+-").append("-".repeat(widths[c])).append('-');
    }
    out.append('\n');
    for (List<String> row : table) {
      line(out, row, widths);
    }
    out.append('(')
        .append(table.size())
        .append(table.size() == 1 ? " row)" : " rows)")
        .append("\n\n");
    return out.toString();
  }

  private static void line(StringBuilder out, List<String> cells, int[] widths) {
    for (int c = 0; c < cells.size(); c++) {
      out.append(c == 0 ? " " : " | ")
          .append(cells.get(c))
          .append(" ".repeat(widths[c] - cells.get(c).length()));
    }
    out.append('\n');
  }
}
