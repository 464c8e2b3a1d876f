package dev.durablesql.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.testing.PostgresExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class DurableCliTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int durable(String... args) {
    return DurableCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  void sqlPrintsTheResultAsATable() {
    int exit =
        durable(
            "sql",
            "--url",
            postgres.jdbcUrl(),
            "--user",
            postgres.superuser(),
            "-c",
            "SELECT 42 AS answer, 'x' AS letter");

    assertThat(exit).isZero();
    assertThat(out.toString())
        .contains(" answer | letter")
        .contains(" 42     | x")
        .contains("(1 row)");
  }

  @Test
  void installReportsThatTheSchemaIsCurrent() {
    int exit = durable("install", "--url", postgres.jdbcUrl(), "--user", postgres.superuser());

    assertThat(exit).isZero();
    assertThat(out.toString()).containsPattern("df schema at V\\d{3}: 0 file\\(s\\) applied");
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }

  @Test
  void anUnreachableDatabaseIsOneLineWithoutAStackTrace() throws Exception {
    int port = freePort();

    int exit =
        durable("sql", "--url", "jdbc:postgresql://127.0.0.1:" + port + "/x", "-c", "SELECT 1");

    assertThat(exit).isEqualTo(1);
    assertThat(err.toString()).startsWith("durable: cannot connect to").doesNotContain("\tat ");
    assertThat(err.toString().lines()).hasSize(1);
  }

  @Test
  void anEngineWithoutInstallOnADatabaseWithoutTheSchemaSaysWhatToRun() throws Exception {
    try (var admin = postgres.connectToDatabase("postgres");
        var statement = admin.createStatement()) {
      statement.execute("CREATE DATABASE cli_no_schema");
    }
    String url = postgres.jdbcUrl().substring(0, postgres.jdbcUrl().lastIndexOf('/') + 1);

    int exit =
        durable(
            "engine",
            "--url",
            url + "cli_no_schema",
            "--user",
            postgres.superuser(),
            "--no-install");

    assertThat(exit).isEqualTo(1);
    assertThat(err.toString())
        .contains("the df schema is not installed")
        .contains("durable install");
  }

  @Test
  void aMissingUrlSaysHowToGiveOne() {
    int exit = durable("engine");

    assertThat(exit).isEqualTo(1);
    assertThat(err.toString()).contains("no database given: pass --url");
  }

  @Test
  void aBadSettingValueIsRefusedBeforeAnythingStarts() {
    int exit = durable("engine", "--url", postgres.jdbcUrl(), "--set", "lease-duration=soon");

    assertThat(exit).isEqualTo(1);
    assertThat(err.toString()).contains("lease-duration").contains("is not a duration");
  }

  @Test
  void benchPrintsAResultLinePerFigure() {
    int exit =
        durable(
            "bench",
            "--url",
            postgres.jdbcUrl(),
            "--user",
            postgres.superuser(),
            "--workload",
            "W1",
            "--w1-workflows",
            "50",
            "--clients",
            "2",
            "--set",
            "log-level=warn");

    assertThat(exit).isZero();
    assertThat(out.toString())
        .containsPattern("RESULT durable-sql W1 workflows=50 wall_s=[0-9.]+ workflows/s=[0-9]+");
  }

  @Test
  void anUnknownFlagIsAUsageError() {
    int exit = durable("engine", "--frobnicate");

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("--frobnicate");
  }

  @Test
  void configShowsEffectiveValuesAndTheirSources() {
    int exit = durable("config", "--set", "max-user-connections=17", "--set", "password=hunter2");

    assertThat(exit).isZero();
    assertThat(out.toString())
        .containsPattern("max-user-connections\\s+10\\s+17\\s+--set")
        .doesNotContain("hunter2")
        .contains("****");
  }

  @Test
  void upRefusesAPortInUseWithOneClearLine(@TempDir Path folder) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int exit =
          durable(
              "up",
              "--data-dir",
              folder.resolve("pg").toString(),
              "--pg-port",
              Integer.toString(taken.getLocalPort()));

      assertThat(exit).isEqualTo(1);
      assertThat(err.toString()).contains("is already in use").contains("--pg-port");
    }
  }

  @Test
  void upRefusesADataDirectoryThatIsNotACluster(@TempDir Path folder) throws Exception {
    Path notACluster = Files.createDirectories(folder.resolve("stuff"));
    Files.writeString(notACluster.resolve("notes.txt"), "not a database");

    int exit =
        durable(
            "up", "--data-dir", notACluster.toString(), "--pg-port", Integer.toString(freePort()));

    assertThat(exit).isEqualTo(1);
    assertThat(err.toString()).contains("is not a PostgreSQL data directory");
  }
}
