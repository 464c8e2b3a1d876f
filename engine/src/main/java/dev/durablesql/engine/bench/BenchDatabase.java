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
  static final String OTHER_ROLE = "durable_bench_other";

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
    clearInstances(ROLE);
  }

  /** Deletes every instance of {@code role}, finished or not. */
  void clearInstances(String role) throws SQLException {
    try (Connection connection = admin();
        Statement statement = connection.createStatement()) {
      statement.execute(
          "BEGIN; SET CONSTRAINTS ALL DEFERRED;"
              + " DELETE FROM df.nodes WHERE submitted_by = '"
              + role
              + "'::regrole; DELETE FROM df.instances WHERE submitted_by = '"
              + role
              + "'::regrole; COMMIT;");
    }
  }

  /**
   * A second workflow role, {@value #OTHER_ROLE}, for the fairness workload; {@link #prepare} must
   * have run.
   */
  void prepareOtherRole() throws SQLException {
    try (Connection connection = admin();
        Statement statement = connection.createStatement()) {
      statement.execute(
          "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '"
              + OTHER_ROLE
              + "') THEN CREATE ROLE "
              + OTHER_ROLE
              + " LOGIN; END IF; END $$");
      statement.execute("SELECT df.grant_usage('" + OTHER_ROLE + "')");
      statement.execute("GRANT SELECT, UPDATE ON public.bench_rows TO " + OTHER_ROLE);
    }
  }

  /** Sets (or with {@code null} removes) the quota of {@code role} in df.settings (R-EXT-7). */
  void setQuota(String role, Integer maxRunning) throws SQLException {
    try (Connection connection = admin();
        PreparedStatement statement =
            connection.prepareStatement(
                maxRunning == null
                    ? "DELETE FROM df.settings WHERE name = ?"
                    : "INSERT INTO df.settings VALUES (?, ?)"
                        + " ON CONFLICT (name) DO UPDATE SET value = excluded.value")) {
      statement.setString(1, "max_running_instances:" + role);
      if (maxRunning != null) {
        statement.setString(2, maxRunning.toString());
      }
      statement.executeUpdate();
    }
  }

  /** The first column of the first row of {@code sql}, run as the admin role, as a number. */
  long count(String sql) throws SQLException {
    try (Connection connection = admin();
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(sql)) {
      row.next();
      return row.getLong(1);
    }
  }

  Connection admin() throws SQLException {
    return DriverManager.getConnection(url, admin);
  }

  Connection asBenchRole() throws SQLException {
    return asRole(ROLE);
  }

  Connection asRole(String role) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", role);
    properties.setProperty("ApplicationName", "durable-sql:bench-client");
    return DriverManager.getConnection(url, properties);
  }

  /**
   * Commits of this database, and WAL bytes of the whole server so far, both as pg_stat_wal counts
   * them and as the WAL position (pg_current_wal_lsn) tells.
   */
  Counters counters() throws SQLException {
    try (Connection connection = admin();
        Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname ="
                    + " current_database()), (SELECT wal_bytes FROM pg_stat_wal),"
                    + " pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")) {
      row.next();
      return new Counters(row.getLong(1), row.getLong(2), row.getLong(3));
    }
  }

  record Counters(long commits, long walBytes, long walPosition) {
    Counters minus(Counters before) {
      return new Counters(
          commits - before.commits, walBytes - before.walBytes, walPosition - before.walPosition);
    }
  }
}
