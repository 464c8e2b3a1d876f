package dev.durablesql.engine.activity;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.durablesql.engine.Engine;
import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.StubServer;
import dev.durablesql.engine.testing.StubServer.Reply;
import dev.durablesql.engine.testing.Workflows;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * HTTP steps end to end (SPEC.md §11, R-DIFF-2, R-DIFF-8): df.http and df.http_multipart started
 * from SQL, run by an engine against a real local server. The server is on 127.0.0.1, so these
 * engines run in allow-all mode; the SSRF filter itself is tested in HttpPolicyTest.
 */
class HttpActivityTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Workflows workflows;
  private static StubServer server;
  private static Engine engine;

  @BeforeAll
  static void start() throws Exception {
    workflows = new Workflows(postgres);
    workflows.executeAsSuperuser(
        "GRANT EXECUTE ON FUNCTION df.http(text,text,text,jsonb,integer) TO alice;"
            + " GRANT EXECUTE ON FUNCTION df.http_multipart(text,text,jsonb,jsonb,integer)"
            + " TO alice;");
    server = new StubServer();
    engine =
        Engine.start(
            postgres
                .engineConfig("http-engine")
                .withRetries(
                    new EngineConfig.Retries(3, Duration.ofMillis(20), Duration.ofSeconds(2)))
                .withActivities(
                    ActivitySettings.defaults()
                        .withValue("http.policy", "allow-all")
                        // One host serves every test here: keep its breaker out of the way.
                        .withBreakers(
                            new ActivitySettings.BreakerSettings(
                                100, 10_000, 10_000, Duration.ofSeconds(1), 1))));
  }

  @AfterAll
  static void stop() {
    engine.close();
    server.close();
  }

  private String http(String path, String method, String body, String headers, int timeout) {
    return "df.http("
        + literal(server.baseUrl() + path)
        + ", "
        + literal(method)
        + ", "
        + (body == null ? "NULL" : literal(body))
        + ", "
        + (headers == null ? "NULL" : literal(headers) + "::jsonb")
        + ", "
        + timeout
        + ")";
  }

  private JsonNode run(String future) throws Exception {
    String id = workflows.start(ALICE, future);
    assertThat(workflows.awaitTerminal(id)).as(() -> result(id)).isEqualTo("completed");
    return JSON.readTree(workflows.result(id));
  }

  private static String result(String id) {
    try {
      return workflows.queryAsSuperuser(
          "SELECT string_agg(node_type || ': ' || coalesce(result::text, ''), ' | ')"
              + " FROM df.nodes WHERE instance_id = ?",
          id);
    } catch (java.sql.SQLException e) {
      return e.toString();
    }
  }

  private String failure(String future) throws Exception {
    String id = workflows.start(ALICE, future);
    assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    return result(id);
  }

  @Test
  void aGetCompletesWithTheResponseEnvelope() throws Exception {
    server.script("/get", Reply.of(200, "{\"hello\":\"world\"}").withHeader("X-Answer", "42"));

    JsonNode envelope = run(http("/get", "GET", null, null, 5));

    assertThat(envelope.get("status").asInt()).isEqualTo(200);
    assertThat(envelope.get("body").asText()).isEqualTo("{\"hello\":\"world\"}");
    assertThat(envelope.get("encoding").asText()).isEqualTo("text");
    assertThat(envelope.get("ok").asBoolean()).isTrue();
    assertThat(envelope.get("headers").get("x-answer").asText()).isEqualTo("42");
    assertThat(envelope.has("duration_ms")).isTrue();
    StubServer.Request request = server.requests("/get").getLast();
    assertThat(request.method()).isEqualTo("GET");
    assertThat(request.headers()).doesNotContainKey("idempotency-key");
  }

  @Test
  void aPostSendsItsSubstitutedBodyHeadersAndAnIdempotencyKey() throws Exception {
    server.script("/post", Reply.of(201, "created"));

    JsonNode envelope =
        run(
            "df.seq(df.as('SELECT 7 AS n, ''x y'' AS word', 'row'), "
                + http(
                    "/post?n=$row.n",
                    "POST",
                    "{\"n\": $row.n, \"word\": \"$row.word\"}",
                    "{\"X-Word\": \"$row.word\", \"X-Count\": 3}",
                    5)
                + ")");

    assertThat(envelope.get("status").asInt()).isEqualTo(201);
    StubServer.Request request = server.requests("/post").getLast();
    assertThat(request.method()).isEqualTo("POST");
    assertThat(request.bodyText()).isEqualTo("{\"n\": 7, \"word\": \"x y\"}");
    assertThat(request.headers()).containsEntry("x-word", "x y").doesNotContainKey("x-count");
    assertThat(request.headers().get("idempotency-key")).matches("[0-9a-f-]{36}");
  }

  @Test
  void aBinaryResponseComesBackAsBase64() throws Exception {
    byte[] bytes = {0, 1, 2, (byte) 0xff, (byte) 0xfe};
    server.script(
        "/binary",
        new Reply(200, java.util.Map.of("Content-Type", "application/octet-stream"), bytes, 0));

    JsonNode envelope = run(http("/binary", "GET", null, null, 5));

    assertThat(envelope.get("encoding").asText()).isEqualTo("base64");
    assertThat(Base64.getDecoder().decode(envelope.get("body").asText())).isEqualTo(bytes);
  }

  @Test
  void aRedirectIsNotFollowed() throws Exception {
    server.script("/moved", Reply.of(302, "").withHeader("Location", "http://169.254.169.254/"));

    JsonNode envelope = run(http("/moved", "GET", null, null, 5));

    assertThat(envelope.get("status").asInt()).isEqualTo(302);
    assertThat(envelope.get("headers").get("location").asText())
        .isEqualTo("http://169.254.169.254/");
  }

  @Test
  void aNotFoundCompletesWithOkFalse() throws Exception {
    server.script("/missing", Reply.of(404, "nope"));

    JsonNode envelope = run(http("/missing", "GET", null, null, 5));

    assertThat(envelope.get("status").asInt()).isEqualTo(404);
    assertThat(envelope.get("ok").asBoolean()).isFalse();
    assertThat(server.requests("/missing")).hasSize(1);
  }

  @Test
  void anInternalServerErrorFailsTheNodeWithoutRetry() throws Exception {
    server.script("/broken", Reply.of(500, "database on fire"));

    String error = failure(http("/broken", "POST", "x", null, 5));

    assertThat(error).contains("returned HTTP 500").contains("database on fire");
    assertThat(server.requests("/broken")).hasSize(1);
  }

  @Test
  void aServiceUnavailableIsRetriedUntilItSucceeds() throws Exception {
    server.script("/flaky", Reply.of(503, "busy"), Reply.of(200, "fine"));

    JsonNode envelope = run(http("/flaky", "GET", null, null, 5));

    assertThat(envelope.get("status").asInt()).isEqualTo(200);
    assertThat(server.requests("/flaky")).hasSize(2);
  }

  @Test
  void eachRetryOfAPostGetsItsOwnIdempotencyKey() throws Exception {
    server.script("/retry-post", Reply.of(502, "bad gateway"), Reply.of(200, "ok"));

    run(http("/retry-post", "POST", "x", null, 5));

    var requests = server.requests("/retry-post");
    assertThat(requests).hasSize(2);
    assertThat(requests.get(0).headers().get("idempotency-key"))
        .isNotEqualTo(requests.get(1).headers().get("idempotency-key"));
  }

  @Test
  void tooManyRequestsHonoursRetryAfterThenCompletesWithOkFalseWhenAttemptsRunOut()
      throws Exception {
    server.script("/limited", Reply.of(429, "slow down").withHeader("Retry-After", "1"));

    long started = System.nanoTime();
    JsonNode envelope = run("df.retry(" + http("/limited", "GET", null, null, 5) + ", 2, 0.01)");
    long elapsedMillis = (System.nanoTime() - started) / 1_000_000;

    assertThat(envelope.get("status").asInt()).isEqualTo(429);
    assertThat(envelope.get("ok").asBoolean()).isFalse();
    assertThat(server.requests("/limited")).hasSize(2);
    // The policy asked for 10 ms; only the server's Retry-After explains a wait of a second.
    assertThat(elapsedMillis).isGreaterThanOrEqualTo(1_000);
  }

  @Test
  void aSlowServerTimesOutAndTheNodeFailsAfterItsAttempts() throws Exception {
    server.script("/slow", Reply.of(200, "late").delayedBy(3_000));

    String error = failure("df.retry(" + http("/slow", "GET", null, null, 1) + ", 1)");

    assertThat(error).containsIgnoringCase("timed out");
  }

  @Test
  void dfTimeoutLimitsTheWholeNode() throws Exception {
    server.script("/slower", Reply.of(200, "late").delayedBy(4_000));

    String error = failure("df.timeout(" + http("/slower", "GET", null, null, 30) + ", 0.5)");

    assertThat(error).contains("timed out after");
  }

  @Test
  void multipartPartsArriveInOrderWithTheirNamesAndFiles() throws Exception {
    server.script("/upload", Reply.of(200, "stored"));
    String data =
        Base64.getEncoder().encodeToString("report body".getBytes(StandardCharsets.UTF_8));

    JsonNode envelope =
        run(
            "df.seq(df.as('SELECT ''q3.txt'' AS file', 'f'), df.http_multipart("
                + literal(server.baseUrl() + "/upload")
                + ", 'POST', "
                + literal(
                    "[{\"name\":\"meta\",\"data_b64\":\""
                        + Base64.getEncoder().encodeToString("{}".getBytes(StandardCharsets.UTF_8))
                        + "\",\"content_type\":\"application/json\"},"
                        + "{\"name\":\"file\",\"data_b64\":\""
                        + data
                        + "\",\"filename\":\"$f.file\",\"content_type\":\"text/plain\"}]")
                + "::jsonb))");

    assertThat(envelope.get("status").asInt()).isEqualTo(200);
    StubServer.Request request = server.requests("/upload").getLast();
    assertThat(request.headers().get("content-type")).startsWith("multipart/form-data; boundary=");
    String body = request.bodyText();
    assertThat(body).contains("name=\"meta\"").contains("filename=\"q3.txt\"");
    assertThat(body).contains("report body");
    assertThat(body.indexOf("name=\"meta\"")).isLessThan(body.indexOf("name=\"file\""));
  }

  @Test
  void aMultipartPartMixingAReferenceWithTextFails() throws Exception {
    String error =
        failure(
            "df.http_multipart("
                + literal(server.baseUrl() + "/upload")
                + ", 'POST', '[{\"name\":\"a\",\"data_b64\":\"x$y\"}]'::jsonb)");

    assertThat(error).contains("whole-value reference");
  }

  @Test
  void theHttpResultIsAddressableByLaterSteps() throws Exception {
    server.script("/json", Reply.of(200, "{\"id\": 5}"));

    JsonNode rows =
        run(
            "df.seq(df.as("
                + http("/json", "GET", null, null, 5)
                + ", 'resp'), 'SELECT $resp.status AS status, ($resp.body)::jsonb ->> ''id'' AS id')");

    assertThat(rows.get("rows").get(0).get("status").asInt()).isEqualTo(200);
    assertThat(rows.get("rows").get(0).get("id").asText()).isEqualTo("5");
  }

  @Test
  void metricsCountActivityAttemptsAndShowBreakerStates() throws Exception {
    server.script("/counted", Reply.of(200, "ok"));
    run(http("/counted", "GET", null, null, 5));

    try (var health =
        dev.durablesql.engine.http.DashboardServer.start(
            new dev.durablesql.engine.http.HttpSettings(
                "127.0.0.1",
                freePort(),
                dev.durablesql.engine.http.HttpSettings.Auth.PASSWORD,
                java.util.Optional.empty(),
                java.util.Optional.empty(),
                java.time.Duration.ofMinutes(30)),
            engine)) {
      var response =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create(health.url() + "metrics"))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
      assertThat(response.body())
          .containsPattern(
              "durable_activity_attempts_total\\{[^}]*outcome=\"completed\"[^}]*type=\"http\"")
          .containsPattern("resilience4j_circuitbreaker_state\\{[^}]*name=\"http:127.0.0.1\"")
          .contains("durable_activity_duration_seconds")
          .contains("jvm_memory_used_bytes");
    }
  }

  private static int freePort() throws java.io.IOException {
    try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Test
  void anUnknownActivityTypeFailsNamingTheKnownOnes() throws Exception {
    String error = failure("df.activity('no-such-thing', '{}')");

    assertThat(error).contains("unknown activity type 'no-such-thing'").contains("http");
  }
}
