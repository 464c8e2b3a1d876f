package dev.durablesql.engine.embedded;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedClusterTest {
  @TempDir Path temporary;

  @Test
  void newClusterInEmptyDirectoryAcceptsConnectionsAsPostgres() throws Exception {
    Path dataDirectory = Files.createDirectory(temporary.resolve("pg"));

    try (EmbeddedCluster cluster = EmbeddedCluster.start(dataDirectory, 0)) {

      assertThat(cluster.isNewCluster()).isTrue();
      assertThat(show(cluster, "server_version")).startsWith("17");
      assertThat(show(cluster, "server_encoding")).isEqualTo("UTF8");
      assertThat(dataDirectory.resolve("PG_VERSION"))
          .content(UTF_8)
          .isEqualToIgnoringNewLines("17");
    }
  }

  @Test
  void missingDirectoryIsCreatedWithItsParents() throws Exception {
    Path dataDirectory = temporary.resolve("home/.durable-sql/pg17");

    try (EmbeddedCluster cluster = EmbeddedCluster.start(dataDirectory, 0)) {

      assertThat(cluster.dataDirectory()).isEqualTo(dataDirectory.toAbsolutePath());
      assertThat(show(cluster, "server_version")).startsWith("17");
    }
  }

  @Test
  void dataSurvivesCloseAndRestartInSameDirectory() throws Exception {
    Path dataDirectory = temporary.resolve("pg");
    try (EmbeddedCluster first = EmbeddedCluster.start(dataDirectory, 0)) {
      execute(first, "CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept VALUES (42)");
    }

    try (EmbeddedCluster second = EmbeddedCluster.start(dataDirectory, 0)) {

      assertThat(second.isNewCluster()).isFalse();
      assertThat(query(second, "SELECT id FROM kept")).isEqualTo("42");
    }
  }

  @Test
  void listensOnlyOnLoopbackWithDurableSettings() throws Exception {
    try (EmbeddedCluster cluster = EmbeddedCluster.start(temporary.resolve("pg"), 0)) {

      assertThat(show(cluster, "listen_addresses")).isEqualTo("127.0.0.1");
      assertThat(show(cluster, "unix_socket_directories")).isEmpty();
      assertThat(show(cluster, "max_connections")).isEqualTo("200");
      assertThat(show(cluster, "fsync")).isEqualTo("on");
      assertThat(show(cluster, "synchronous_commit")).isEqualTo("on");
      assertThat(cluster.jdbcUrl("postgres"))
          .isEqualTo("jdbc:postgresql://127.0.0.1:" + cluster.port() + "/postgres");
    }
  }

  @Test
  void serverLogGoesBesideTheDataDirectory() throws Exception {
    Path dataDirectory = temporary.resolve("pg");

    try (EmbeddedCluster cluster = EmbeddedCluster.start(dataDirectory, 0)) {

      assertThat(cluster.serverLog()).isEqualTo(temporary.resolve("pg.log").toAbsolutePath());
      assertThat(cluster.serverLog()).content(UTF_8).contains("database system is ready");
    }
  }

  @Test
  void directoryHoldingOtherFilesIsRefused() throws IOException {
    Path dataDirectory = Files.createDirectory(temporary.resolve("notes"));
    Files.writeString(dataDirectory.resolve("todo.txt"), "buy milk");

    assertThatThrownBy(() -> EmbeddedCluster.start(dataDirectory, 0))
        .isInstanceOf(EmbeddedClusterException.class)
        .hasMessage(
            dataDirectory.toAbsolutePath()
                + " is not a PostgreSQL data directory (no PG_VERSION); pass an empty or new"
                + " --data-dir");
    assertThat(dataDirectory.resolve("todo.txt")).hasContent("buy milk");
  }

  @Test
  void clusterOfAnotherVersionIsRefused() throws IOException {
    Path dataDirectory = Files.createDirectory(temporary.resolve("pg16"));
    Files.writeString(dataDirectory.resolve("PG_VERSION"), "16\n");

    assertThatThrownBy(() -> EmbeddedCluster.start(dataDirectory, 0))
        .isInstanceOf(EmbeddedClusterException.class)
        .hasMessageContaining("holds a PostgreSQL 16 cluster, but durable runs PostgreSQL 17");
  }

  @Test
  void portInUseIsRefusedBeforeTheDirectoryIsTouched() throws IOException {
    Path dataDirectory = temporary.resolve("pg");
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));

      assertThatThrownBy(() -> EmbeddedCluster.start(dataDirectory, taken.getLocalPort()))
          .isInstanceOf(EmbeddedClusterException.class)
          .hasMessage(
              "port "
                  + taken.getLocalPort()
                  + " on 127.0.0.1 is already in use; stop whatever listens there or choose"
                  + " another port with --pg-port");
    }
    assertThat(dataDirectory).doesNotExist();
  }

  @Test
  void serverThatCannotStartFailsFastWithTheEndOfItsLog() throws IOException {
    Path dataDirectory = temporary.resolve("pg");
    EmbeddedCluster.start(dataDirectory, 0).close();
    Files.writeString(
        dataDirectory.resolve("postgresql.conf"),
        "shared_buffers = plenty\n",
        StandardOpenOption.APPEND);

    long startNanos = System.nanoTime();
    assertThatThrownBy(() -> EmbeddedCluster.start(dataDirectory, 0))
        .isInstanceOf(EmbeddedClusterException.class)
        .hasMessageContaining("PostgreSQL 17 in " + dataDirectory.toAbsolutePath())
        .hasMessageContaining("see the server log " + temporary.resolve("pg.log").toAbsolutePath())
        .hasMessageContaining("invalid value for parameter \"shared_buffers\": \"plenty\"");

    assertThat(Duration.ofNanos(System.nanoTime() - startNanos)).isLessThan(Duration.ofSeconds(10));
    assertThat(dataDirectory.resolve("postmaster.pid")).doesNotExist();
  }

  @Test
  void closeIsIdempotentAndStopsTheServer() throws Exception {
    EmbeddedCluster cluster = EmbeddedCluster.start(temporary.resolve("pg"), 0);
    String url = cluster.jdbcUrl("postgres");

    long startNanos = System.nanoTime();
    cluster.close();
    cluster.close();

    assertThat(Duration.ofNanos(System.nanoTime() - startNanos)).isLessThan(Duration.ofSeconds(10));
    assertThatThrownBy(() -> DriverManager.getConnection(url, "postgres", "").close())
        .isInstanceOf(SQLException.class);
    assertThat(LoopbackPort.isFree(cluster.port())).isTrue();
    assertThat(cluster.dataDirectory().resolve("PG_VERSION")).exists();
  }

  @Test
  void closeWithOpenSessionsIsQuick() throws Exception {
    EmbeddedCluster cluster = EmbeddedCluster.start(temporary.resolve("pg"), 0);
    try (Connection open = connect(cluster);
        Statement statement = open.createStatement()) {
      statement.execute("BEGIN; CREATE TABLE pending (id int)");

      long startNanos = System.nanoTime();
      cluster.close();

      assertThat(Duration.ofNanos(System.nanoTime() - startNanos))
          .isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void restartWorksAfterTheServerWasKilled() throws Exception {
    Path dataDirectory = temporary.resolve("pg");
    int port;
    try (EmbeddedCluster first = EmbeddedCluster.start(dataDirectory, 0)) {
      port = first.port();
      execute(first, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)");
      ProcessHandle server = ProcessHandle.of(pidOf(dataDirectory)).orElseThrow();
      server.destroyForcibly(); // SIGKILL: postmaster.pid stays behind
      server.onExit().get(10, TimeUnit.SECONDS);
    }
    assertThat(dataDirectory.resolve("postmaster.pid")).exists();

    try (EmbeddedCluster second = EmbeddedCluster.start(dataDirectory, port)) {

      assertThat(query(second, "SELECT id FROM kept")).isEqualTo("7");
    }
  }

  @Test
  void restartStopsTheServerThatAKilledRunLeftBehind() throws Exception {
    Path dataDirectory = temporary.resolve("pg");
    int port = LoopbackPort.pickFree();
    Process abandoned = startAbandonedRun(dataDirectory, port);
    abandoned.destroyForcibly(); // SIGKILL: no shutdown hook runs, the server keeps running
    abandoned.onExit().get(10, TimeUnit.SECONDS);
    assertThat(LoopbackPort.isFree(port)).isFalse();
    long leftover = pidOf(dataDirectory);

    try (EmbeddedCluster cluster = EmbeddedCluster.start(dataDirectory, port)) {

      assertThat(query(cluster, "SELECT 1")).isEqualTo("1");
      assertThat(pidOf(dataDirectory)).isNotEqualTo(leftover);
      assertThat(cluster.isNewCluster()).isFalse();
    }
  }

  @Test
  void secondStartOnARunningDirectoryIsRefusedAndLeavesTheFirstRunning() throws Exception {
    Path dataDirectory = temporary.resolve("pg");
    try (EmbeddedCluster first = EmbeddedCluster.start(dataDirectory, 0)) {

      assertThatThrownBy(() -> EmbeddedCluster.start(dataDirectory, first.port()))
          .isInstanceOf(EmbeddedClusterException.class)
          .hasMessageContaining(
              " is in use by the running process " + ProcessHandle.current().pid() + " (this one)");
      assertThatThrownBy(() -> EmbeddedCluster.start(dataDirectory, 0))
          .isInstanceOf(EmbeddedClusterException.class)
          .hasMessageContaining(" is in use by the running process ");
      assertThat(query(first, "SELECT 1")).isEqualTo("1");
    }
  }

  @Test
  void stalePidFileNamingAnotherProgramIsRemoved() throws Exception {
    Path dataDirectory = temporary.resolve("pg");
    EmbeddedCluster.start(dataDirectory, 0).close();
    writePidFile(dataDirectory, ProcessHandle.current().pid()); // this JVM: alive, not postgres

    try (EmbeddedCluster cluster = EmbeddedCluster.start(dataDirectory, 0)) {

      assertThat(query(cluster, "SELECT 1")).isEqualTo("1");
    }
  }

  @Test
  void stalePidFileNamingAZombieIsRemoved() throws Exception {
    Path dataDirectory = temporary.resolve("pg");
    EmbeddedCluster.start(dataDirectory, 0).close();
    // The background sleep exits at once; its parent then becomes "sleep 60", which never reaps.
    Process parent = new ProcessBuilder("sh", "-c", "sleep 0 & exec sleep 60").start();
    try {
      long zombie =
          await()
              .atMost(Duration.ofSeconds(10))
              .until(
                  () ->
                      parent
                          .children()
                          .map(ProcessHandle::pid)
                          .filter(ProcessStatus::isZombie)
                          .findFirst(),
                  Optional::isPresent)
              .orElseThrow();
      writePidFile(dataDirectory, zombie);

      try (EmbeddedCluster cluster = EmbeddedCluster.start(dataDirectory, 0)) {

        assertThat(query(cluster, "SELECT 1")).isEqualTo("1");
      }
    } finally {
      parent.destroyForcibly();
    }
  }

  private static Process startAbandonedRun(Path dataDirectory, int port) throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process =
        new ProcessBuilder(
                java.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                AbandonedRun.class.getName(),
                dataDirectory.toString(),
                Integer.toString(port))
            .redirectErrorStream(true)
            .start();
    StringBuilder output = new StringBuilder();
    BufferedReader lines =
        new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8));
    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
      if (line.startsWith(AbandonedRun.READY)) {
        return process; // the pipe stays open; nothing more is written before the kill
      }
      output.append(line).append(System.lineSeparator());
    }
    throw new AssertionError("The abandoned run ended before its cluster was ready:\n" + output);
  }

  private static void writePidFile(Path dataDirectory, long pid) throws IOException {
    // The layout PostgreSQL writes: pid, directory, start time, port, socket dir, address, shmem.
    Files.writeString(
        dataDirectory.resolve("postmaster.pid"),
        String.join(
            "\n",
            Long.toString(pid),
            dataDirectory.toString(),
            Long.toString(Instant.now().getEpochSecond()),
            "5432",
            "",
            "127.0.0.1",
            "  5432001 2147483646",
            "ready   ",
            ""),
        UTF_8);
  }

  private static long pidOf(Path dataDirectory) {
    return Postmaster.fromPidFile(dataDirectory).orElseThrow().pid();
  }

  static Connection connect(EmbeddedCluster cluster) throws SQLException {
    return DriverManager.getConnection(cluster.jdbcUrl("postgres"), cluster.superuser(), "");
  }

  static String show(EmbeddedCluster cluster, String setting) throws SQLException {
    return query(cluster, "SHOW " + setting);
  }

  static String query(EmbeddedCluster cluster, String sql) throws SQLException {
    try (Connection connection = connect(cluster);
        Statement statement = connection.createStatement();
        ResultSet result = statement.executeQuery(sql)) {
      assertThat(result.next()).as("a row from %s", sql).isTrue();
      return result.getString(1);
    }
  }

  static void execute(EmbeddedCluster cluster, String sql) throws SQLException {
    try (Connection connection = connect(cluster);
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }
}
