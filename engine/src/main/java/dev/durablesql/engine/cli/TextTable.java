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
    List<String[]> table = new ArrayList<>();
    String[] header = new String[columns];
    int[] widths = new int[columns];
    for (int c = 0; c < columns; c++) {
      header[c] = meta.getColumnLabel(c + 1);
      widths[c] = header[c].length();
    }
    while (rows.next()) {
      String[] row = new String[columns];
      for (int c = 0; c < columns; c++) {
        String value = rows.getString(c + 1);
        row[c] = value == null ? "" : value;
        widths[c] = Math.max(widths[c], row[c].length());
      }
      table.add(row);
    }
    StringBuilder out = new StringBuilder();
    line(out, header, widths);
    for (int c = 0; c < columns; c++) {
      out.append(c == 0 ? "-" : "+-")
          .append("-".repeat(widths[c]))
          .append(c == columns - 1 ? "-" : "-");
    }
    out.append('\n');
    for (String[] row : table) {
      line(out, row, widths);
    }
    out.append('(')
        .append(table.size())
        .append(table.size() == 1 ? " row)" : " rows)")
        .append("\n\n");
    return out.toString();
  }

  private static void line(StringBuilder out, String[] cells, int[] widths) {
    for (int c = 0; c < cells.length; c++) {
      out.append(c == 0 ? " " : " | ")
          .append(cells[c])
          .append(" ".repeat(widths[c] - cells[c].length()));
    }
    out.append('\n');
  }
}
