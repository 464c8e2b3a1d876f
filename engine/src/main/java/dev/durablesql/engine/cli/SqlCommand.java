package dev.durablesql.engine.cli;

import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.EngineException;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code durable sql -c "SQL"}: runs SQL and prints the result as a table, for hosts without psql.
 */
@Command(
    name = "sql",
    mixinStandardHelpOptions = true,
    description =
        "Runs SQL (one or more statements, autocommit) and prints each result as a table.")
final class SqlCommand implements Callable<Integer> {
  @Mixin ConfigOptions configOptions;
  @Mixin ConnectionOptions connection;
  @Spec CommandSpec spec;

  @Option(
      names = {"-c", "--command"},
      required = true,
      paramLabel = "SQL",
      description = "The SQL to run.")
  String sql;

  @Override
  public Integer call() {
    EngineConfig config = EngineSettings.engineConfig(configOptions.load(connection.assignments()));
    PrintWriter out = spec.commandLine().getOut();
    try (Connection db = EngineSettings.connect(config);
        Statement statement = db.createStatement()) {
      statement.setEscapeProcessing(false);
      boolean isRows = statement.execute(sql);
      while (true) {
        if (isRows) {
          try (ResultSet rows = statement.getResultSet()) {
            out.print(TextTable.render(rows));
          }
        } else if (statement.getUpdateCount() == -1) {
          break;
        }
        printWarnings(out, statement.getWarnings());
        statement.clearWarnings();
        isRows = statement.getMoreResults();
      }
      out.flush();
      return 0;
    } catch (SQLException e) {
      throw new EngineException(e.getMessage(), e);
    }
  }

  private static void printWarnings(PrintWriter out, SQLWarning warning) {
    for (SQLWarning w = warning; w != null; w = w.getNextWarning()) {
      out.println("NOTICE:  " + w.getMessage());
    }
  }
}
