package dev.durablesql.engine.surface;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** Short ways to run one statement of the SQL surface and read what it returns. */
final class Queries {
  private Queries() {}

  /** The first column of the first row as text, or null (also when there is no row). */
  static String text(Connection connection, String sql, Object... parameters) throws SQLException {
    List<List<String>> rows = rows(connection, sql, parameters);
    return rows.isEmpty() ? null : rows.get(0).get(0);
  }

  static String text(DataSource dataSource, String sql, Object... parameters) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      return text(connection, sql, parameters);
    }
  }

  static long number(Connection connection, String sql, Object... parameters) throws SQLException {
    return Long.parseLong(text(connection, sql, parameters));
  }

  static long number(DataSource dataSource, String sql, Object... parameters) throws SQLException {
    return Long.parseLong(text(dataSource, sql, parameters));
  }

  /** Every row, each as its columns' text. */
  static List<List<String>> rows(Connection connection, String sql, Object... parameters)
      throws SQLException {
    try (PreparedStatement statement = prepare(connection, sql, parameters);
        ResultSet result = statement.executeQuery()) {
      int columns = result.getMetaData().getColumnCount();
      List<List<String>> rows = new ArrayList<>();
      while (result.next()) {
        List<String> row = new ArrayList<>(columns);
        for (int column = 1; column <= columns; column++) {
          row.add(result.getString(column));
        }
        rows.add(row);
      }
      return rows;
    }
  }

  static List<List<String>> rows(DataSource dataSource, String sql, Object... parameters)
      throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      return rows(connection, sql, parameters);
    }
  }

  /** The first column of every row. */
  static List<String> column(Connection connection, String sql, Object... parameters)
      throws SQLException {
    return rows(connection, sql, parameters).stream().map(row -> row.get(0)).toList();
  }

  static List<String> column(DataSource dataSource, String sql, Object... parameters)
      throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      return column(connection, sql, parameters);
    }
  }

  static void execute(Connection connection, String sql, Object... parameters) throws SQLException {
    try (PreparedStatement statement = prepare(connection, sql, parameters)) {
      statement.execute();
    }
  }

  static void execute(DataSource dataSource, String sql, Object... parameters) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      execute(connection, sql, parameters);
    }
  }

  private static PreparedStatement prepare(Connection connection, String sql, Object... parameters)
      throws SQLException {
    PreparedStatement statement = connection.prepareStatement(sql);
    try {
      for (int index = 0; index < parameters.length; index++) {
        statement.setObject(index + 1, parameters[index]);
      }
      return statement;
    } catch (SQLException e) {
      statement.close();
      throw e;
    }
  }
}
