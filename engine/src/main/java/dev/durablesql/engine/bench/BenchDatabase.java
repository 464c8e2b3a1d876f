package dev.durablesql.engine.bench;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * The benchmark's database: the role the workflows run as, the table the steps update, and the
 * server counters (commits, WAL bytes) read before and after a workload.
 */
final class BenchDatabase {
  static final String ROLE = "durable_bench";

  private final String url;
  private final Properties admin;

  BenchDatabase(String url, Properties admin) {
    this.url = requireNonNull(url, "url is null");
    this.admin = requireNonNull(admin, "admin is null");
  }

  /** Creates the role and table if missing and resets the rows (ids 1..rows, v = 0). */
  void prepare(int rows) throws SQLException {
    try (Connection connection = admin();
        Statement statement = connection.createStatement()) {
      statement.execute(
          "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '"
              + ROLE
              + "') THEN CREATE ROLE "
              + ROLE
              + " LOGIN; END IF; END $$");
      statement.execute("SELECT df.grant_usage('" + ROLE + "')");
      statement.execute("ALTER ROLE " + ROLE + " SET search_path = \"$user\", public, df");
      statement.execute(
          "CREATE TABLE IF NOT EXISTS public.bench_rows (id int PRIMARY KEY, v bigint NOT NULL)");
      statement.execute("GRANT SELECT, UPDATE ON public.bench_rows TO " + ROLE);
      statement.execute("TRUNCATE public.bench_rows");
      statement.execute(
          "INSERT INTO public.bench_rows SELECT g, 0 FROM generate_series(1, " + rows + ") g");
    }
  }

  /** Deletes the benchmark's finished instances so that workloads start from the same state. */
  void clearInstances() throws SQLException {
    try (Connection connection = admin();
        Statement statement = connection.createStatement()) {
      statement.execute(
          "BEGIN; SET CONSTRAINTS ALL DEFERRED;"
              + " DELETE FROM df.nodes WHERE submitted_by = '"
              + ROLE
              + "'::regrole; DELETE FROM df.instances WHERE submitted_by = '"
              + ROLE
              + "'::regrole; COMMIT;");
    }
  }

  Connection admin() throws SQLException {
    return DriverManager.getConnection(url, admin);
  }

  Connection asBenchRole() throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", ROLE);
    properties.setProperty("ApplicationName", "durable-sql:bench-client");
    return DriverManager.getConnection(url, properties);
  }

  /** Commits of this database and WAL bytes of the server so far. */
  Counters counters() throws SQLException {
    try (Connection connection = admin();
        Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname ="
                    + " current_database()), (SELECT wal_bytes FROM pg_stat_wal)")) {
      row.next();
      return new Counters(row.getLong(1), row.getLong(2));
    }
  }

  /** How many of the benchmark role's instances are completed, and how many failed. */
  long[] finished() throws SQLException {
    try (Connection connection = admin();
        PreparedStatement statement =
            connection.prepareStatement(
                "SELECT count(*) FILTER (WHERE status = 'completed'),"
                    + " count(*) FILTER (WHERE status IN ('failed', 'cancelled'))"
                    + " FROM df.instances WHERE submitted_by = ?::regrole")) {
      statement.setString(1, ROLE);
      try (ResultSet row = statement.executeQuery()) {
        row.next();
        return new long[] {row.getLong(1), row.getLong(2)};
      }
    }
  }

  record Counters(long commits, long walBytes) {
    Counters minus(Counters before) {
      return new Counters(commits - before.commits, walBytes - before.walBytes);
    }
  }
}
