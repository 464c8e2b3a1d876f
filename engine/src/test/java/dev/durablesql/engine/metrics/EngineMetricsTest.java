package dev.durablesql.engine.metrics;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.http.DashboardServer;
import dev.durablesql.engine.http.HttpSettings;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The engine's metrics as Prometheus scrapes them from /metrics after running workflows. */
class EngineMetricsTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static Workflows workflows;
  private static Engine engine;
  private static String orphan;

  @BeforeAll
  static void startEngineAfterAnotherEngineDied() throws Exception {
    workflows = new Workflows(postgres);
    // An instance whose engine died holding it: the lease still names it, and has lapsed.
    orphan = workflows.start(ALICE, "'SELECT 7 AS orphan'");
    workflows.executeAsSuperuser(
        "UPDATE df_engine.runs SET lease_owner = 'dead-engine', lease_token = gen_random_uuid(),"
            + " lease_until = now() - interval '1 second', epoch = 1 WHERE instance_id = "
            + Workflows.literal(orphan));
    engine = Engine.start(postgres.engineConfig("metered-engine"));
  }

  @AfterAll
  static void stopEngine() {
    engine.close();
  }

  @Test
  void metricsShowStepsInstancesQueueTakeoversAndPoolsPerRole() throws Exception {
    String completed = workflows.start(ALICE, "df.seq('SELECT 1', 'SELECT 2')");
    String failed = workflows.start(ALICE, "'SELECT 1/0'");
    assertThat(workflows.awaitTerminal(completed)).isEqualTo("completed");
    assertThat(workflows.awaitTerminal(failed)).isEqualTo("failed");
    assertThat(workflows.awaitTerminal(orphan)).isEqualTo("completed");

    // An instance that ends in its last step's transaction is visible as ended a moment before
    // the engine, which counts the step when that commit returns, has counted it.
    String metrics =
        await()
            .atMost(Duration.ofSeconds(5))
            .until(
                EngineMetricsTest::scrape,
                scraped ->
                    sample(scraped, "durable_steps_total", "outcome=\"completed\"", "type=\"sql\"")
                        >= 3);

    assertThat(sample(metrics, "durable_steps_total", "outcome=\"started\"", "type=\"sql\""))
        .isGreaterThanOrEqualTo(4);
    assertThat(sample(metrics, "durable_steps_total", "outcome=\"completed\"", "type=\"sql\""))
        .isGreaterThanOrEqualTo(3);
    assertThat(sample(metrics, "durable_steps_total", "outcome=\"failed\"", "type=\"sql\""))
        .isEqualTo(1);
    assertThat(
            sample(
                metrics,
                "durable_steps_duration_seconds_count",
                "outcome=\"completed\"",
                "type=\"sql\""))
        .isGreaterThanOrEqualTo(3);
    assertThat(
            sample(
                metrics,
                "durable_steps_duration_seconds_sum",
                "outcome=\"failed\"",
                "type=\"sql\""))
        .isPositive();
    assertThat(sample(metrics, "durable_steps_retries_total", "type=\"sql\"")).isZero();
    assertThat(sample(metrics, "durable_instances", "status=\"completed\"")).isEqualTo(2);
    assertThat(sample(metrics, "durable_instances", "status=\"failed\"")).isEqualTo(1);
    assertThat(sample(metrics, "durable_instances", "status=\"running\"")).isZero();
    assertThat(sample(metrics, "durable_queue_depth")).isZero();
    assertThat(sample(metrics, "durable_queue_oldest_due_age_seconds")).isZero();
    assertThat(sample(metrics, "durable_lease_takeovers_total")).isEqualTo(1);
    assertThat(
            sample(
                metrics,
                "hikaricp_connections_max",
                "pool=\"df-steps-alice\"",
                "role=\"alice\"",
                "database=\"\""))
        .isEqualTo(8); // max-connections-per-role's default
    assertThat(
            sample(
                metrics,
                "hikaricp_connections_usage_seconds_count",
                "pool=\"df-steps-alice\"",
                "role=\"alice\""))
        .isGreaterThanOrEqualTo(4);
    assertThat(
            sample(
                metrics,
                "hikaricp_connections_max",
                "pool=\"df-management\"",
                "role=\"" + postgres.superuser() + "\""))
        .isEqualTo(6);
  }

  private static String scrape() throws IOException, InterruptedException {
    try (DashboardServer health =
        DashboardServer.start(
            new HttpSettings(
                "127.0.0.1",
                freePort(),
                HttpSettings.Auth.PASSWORD,
                java.util.Optional.empty(),
                java.util.Optional.empty(),
                java.time.Duration.ofMinutes(30)),
            engine)) {
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(health.url() + "metrics")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      return response.body();
    }
  }

  /** The value of the one sample of {@code name} that has all {@code labels}. */
  private static double sample(String metrics, String name, String... labels) {
    List<String> matching =
        metrics
            .lines()
            .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
            .filter(line -> List.of(labels).stream().allMatch(line::contains))
            .toList();
    assertThat(matching).as("samples of %s with %s", name, List.of(labels)).hasSize(1);
    String line = matching.getFirst();
    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
