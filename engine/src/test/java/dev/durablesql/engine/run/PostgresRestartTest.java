package dev.durablesql.engine.run;

import static dev.durablesql.engine.testing.Durofut.sleep;
import static dev.durablesql.engine.testing.Durofut.sql;
import static dev.durablesql.engine.testing.Durofut.then;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.embedded.EmbeddedCluster;
import dev.durablesql.engine.schema.SchemaInstaller;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * PostgreSQL restarted (fast shutdown) while workflows run: the engine reconnects, steps that were
 * cut off are retried, and every workflow completes with its step applied once.
 */
class PostgresRestartTest {

  @Test
  void workflowsCompleteAfterPostgresRestartsUnderTheEngine(@TempDir Path folder) throws Exception {
    Path data = folder.resolve("pg");
    EmbeddedCluster cluster = EmbeddedCluster.start(data, 0);
    int port = cluster.port();
    String url = cluster.jdbcUrl("postgres");
    try {
      PGSimpleDataSource admin = new PGSimpleDataSource();
      admin.setUrl(url);
      admin.setUser("postgres");
      new SchemaInstaller(admin).install();
      execute(
          url,
          "postgres",
          "CREATE ROLE restart_user LOGIN; SELECT df.grant_usage('restart_user');"
              + " CREATE TABLE public.applied (id text); GRANT ALL ON public.applied TO restart_user;");
      int count = 20;
      execute(
          url,
          "restart_user",
          "SELECT df.start(" + quote(workflow()) + ") FROM generate_series(1, " + count + ")");
      EngineConfig config =
          EngineConfig.defaults(url)
              .withUser("postgres")
              .withEngineName("restart-engine")
              .withLease(Duration.ofSeconds(3), Duration.ofMillis(500))
              .withRetries(
                  new EngineConfig.Retries(5, Duration.ofMillis(500), Duration.ofSeconds(2)));
      try (Engine engine = Engine.start(config)) {
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> count(url, "SELECT count(*) FROM public.applied") > 0);

        cluster.close();
        cluster = EmbeddedCluster.start(data, port);

        try {
          await()
              .atMost(Duration.ofSeconds(90))
              .pollInterval(Duration.ofMillis(500))
              .until(() ->
                  count(url, "SELECT count(*) FROM df.instances WHERE status = 'completed'")
                      == count);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          dumpState(url);
          throw e;
        }
      }
      assertThat(count(url, "SELECT count(*) FROM df.instances WHERE status <> 'completed'"))
          .isZero();
      assertThat(count(url, "SELECT count(DISTINCT id) FROM public.applied")).isEqualTo(count);
      assertThat(count(url, "SELECT count(*) FROM public.applied")).isEqualTo(count);
    } finally {
      cluster.close();
    }
  }

  /** For the record when the wait times out: the instances' state and the engine's threads. */
  private static void dumpState(String url) {
    try (Connection connection =
            DriverManager.getConnection(
                url + "?connectTimeout=5&socketTimeout=10", "postgres", "");
        Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery(
                "SELECT i.id, i.status, r.lease_owner, r.lease_until, r.wake_at,"
                    + " (SELECT string_agg(n.node_type || ':' || n.status, ',') FROM df.nodes n"
                    + " WHERE n.instance_id = i.id) FROM df.instances i"
                    + " LEFT JOIN df_engine.runs r ON r.instance_id = i.id"
                    + " WHERE i.status <> 'completed'")) {
      while (rows.next()) {
        System.out.println(
            "STATE "
                + rows.getString(1)
                + " "
                + rows.getString(2)
                + " owner="
                + rows.getString(3)
                + " until="
                + rows.getString(4)
                + " wake="
                + rows.getString(5)
                + " nodes="
                + rows.getString(6));
      }
    } catch (java.sql.SQLException e) {
      System.out.println("STATE unavailable: " + e.getMessage());
    }
    Thread.getAllStackTraces()
        .forEach((thread, stack) -> {
          if (thread.getName().startsWith("df-")) {
            System.out.println("THREAD " + thread.getName() + " " + thread.getState());
            for (StackTraceElement frame : stack) {
              System.out.println("    at " + frame);
            }
          }
        });
  }

  private static String workflow() {
    return then(
        sql("SELECT pg_sleep(0.2)"),
        then(sleep(1), sql("INSERT INTO public.applied VALUES ('{sys_instance_id}')")));
  }

  private static String quote(String text) {
    return "'" + text.replace("'", "''") + "'";
  }

  private static void execute(String url, String user, String sql) throws Exception {
    try (Connection connection = DriverManager.getConnection(url, user, "");
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }

  private static int count(String url, String sql) {
    // Timeouts, so that a poll that catches the server mid-restart cannot hang the test.
    try (Connection connection =
            DriverManager.getConnection(
                url + "?connectTimeout=5&socketTimeout=10&loginTimeout=10", "postgres", "");
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(sql)) {
      row.next();
      return row.getInt(1);
    } catch (java.sql.SQLException e) {
      return -1; // the server is restarting
    }
  }
}
