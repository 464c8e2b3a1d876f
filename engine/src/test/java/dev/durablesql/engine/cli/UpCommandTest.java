package dev.durablesql.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code durable up} end to end, in its own JVM: it prints how to connect, a first workflow runs as
 * the demo role, SIGTERM stops PostgreSQL and the engine within 10 s, and a second {@code up} on
 * the same directory reuses the cluster with its data.
 */
class UpCommandTest {

  @Test
  void upRunsAWorkflowStopsOnSigtermAndReusesItsCluster(@TempDir Path folder) throws Exception {
    Path dataDirectory = folder.resolve("cluster");
    int pgPort = freePort();
    String url = "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres";

    int httpPort = freePort();
    Process first =
        up(
            folder.resolve("first.log"),
            dataDirectory,
            pgPort,
            "--http-port",
            Integer.toString(httpPort));
    String printed = awaitReady(first, folder.resolve("first.log"));
    java.net.http.HttpResponse<String> health =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + httpPort + "/health/ready"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    java.net.http.HttpResponse<String> dashboard =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + httpPort + "/api/session"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    String id;
    try (Connection app = DriverManager.getConnection(url, "app", "");
        Statement statement = app.createStatement()) {
      id = single(statement, "SELECT df.start('SELECT 42 AS answer')");
      assertThat(single(statement, "SELECT df.await_instance('" + id + "')"))
          .isEqualTo("completed");
      assertThat(single(statement, "SELECT df.result('" + id + "')")).contains("42");
    }
    long stopping = System.nanoTime();
    first.destroy(); // SIGTERM
    boolean stopped = first.waitFor(10, TimeUnit.SECONDS);
    Duration stopTime = Duration.ofNanos(System.nanoTime() - stopping);

    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("UP");
    assertThat(dashboard.body()).contains("\"role\":\"app\"").contains("\"auth\":\"off\"");
    assertThat(printed)
        .contains("http://127.0.0.1:" + httpPort + "/health/ready")
        .contains(
            "dashboard      http://127.0.0.1:" + httpPort + "/ (no sign-in, acts as role app)")
        .contains("psql \"postgresql://app@127.0.0.1:" + pgPort + "/postgres\"")
        .contains("jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres?user=app");
    assertThat(stopped).as("stopped within 10 s").isTrue();
    assertThat(stopTime).isLessThan(Duration.ofSeconds(10));
    assertThat(isListening(pgPort)).as("PostgreSQL stopped").isFalse();

    Process second = up(folder.resolve("second.log"), dataDirectory, pgPort);
    try {
      awaitReady(second, folder.resolve("second.log"));
      try (Connection app = DriverManager.getConnection(url, "app", "");
          Statement statement = app.createStatement()) {
        assertThat(single(statement, "SELECT df.status('" + id + "')")).isEqualTo("completed");
      }
    } finally {
      second.destroy();
      second.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static Process up(Path log, Path dataDirectory, int pgPort, String... more)
      throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                "dev.durablesql.engine.cli.DurableCli",
                "up",
                "--data-dir",
                dataDirectory.toString(),
                "--pg-port",
                Integer.toString(pgPort)));
    command.addAll(List.of(more));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
  }

  private static String awaitReady(Process process, Path log) {
    return await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              assertThat(process.isAlive())
                  .as("durable up is running: " + Files.readString(log))
                  .isTrue();
              return Files.readString(log);
            },
            text -> text.contains("Ctrl-C stops"));
  }

  private static String single(Statement statement, String sql) throws Exception {
    try (ResultSet row = statement.executeQuery(sql)) {
      row.next();
      return row.getString(1);
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }

  private static boolean isListening(int port) {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
