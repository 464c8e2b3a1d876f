package dev.durablesql.engine.surface;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/** Runs DSL statements that are expected to fail and reads the server's own error text. */
final class DslStatements {
  private DslStatements() {}

  /**
   * The primary message of the error the statement raises (without the hint and context that the
   * driver appends), or {@code null} when it succeeds.
   */
  static String errorOf(Connection connection, String sql, Object... parameters)
      throws SQLException {
    try {
      Queries.rows(connection, sql, parameters);
      return null;
    } catch (PSQLException e) {
      ServerErrorMessage server = e.getServerErrorMessage();
      if (server == null) {
        throw e;
      }
      return server.getMessage();
    }
  }

  /** Puts df on the search path, as users of the operators do (SPEC.md §4). */
  static void useDfOperators(Connection connection) throws SQLException {
    Queries.execute(connection, "SET search_path = \"$user\", public, df");
  }

  /**
   * Creates public.pretend_helper(helper, returned): marks the non-future guard setting as
   * df.setvar and df.await_instance do (R-DSL-6) and returns the given text.
   */
  static void createPretendHelper(Connection connection) throws SQLException {
    Queries.execute(
        connection,
        """
        CREATE OR REPLACE FUNCTION public.pretend_helper(helper text, returned text) RETURNS text
        LANGUAGE sql VOLATILE AS $$
          SELECT set_config('df.non_future_helper', helper || E'\\n' || statement_timestamp(), true);
          SELECT returned
        $$\
        """);
  }

  /**
   * Runs a repeatable schema file again, as the installer does when its text changed (CREATE OR
   * REPLACE everything, create what is missing).
   */
  static void reapplySchemaFile(DataSource owner, String fileName)
      throws SQLException, IOException {
    String text;
    try (InputStream in =
        DslStatements.class.getClassLoader().getResourceAsStream("df/" + fileName)) {
      if (in == null) {
        throw new IllegalStateException("schema file df/" + fileName + " is not on the classpath");
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    try (Connection connection = owner.getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute(text);
    }
  }
}
