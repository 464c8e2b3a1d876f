package dev.durablesql.engine.activity;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.PostgresExtension.BOB;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.StubServer;
import dev.durablesql.engine.testing.StubServer.Reply;
import dev.durablesql.engine.testing.Workflows;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The gates in front of every HTTP request, end to end: the privilege re-check (R-HTTP-4 gate 1),
 * the host policy modes and the SSRF address filter on resolved addresses (R-DIFF-8), and the
 * circuit breaker per host. Address ranges one by one are covered in activities-http's tests.
 */
class HttpPolicyTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static Workflows workflows;
  private static StubServer server;

  @BeforeAll
  static void start() throws Exception {
    workflows = new Workflows(postgres);
    workflows.executeAsSuperuser(
        "GRANT EXECUTE ON FUNCTION df.http(text,text,text,jsonb,integer) TO alice");
    server = new StubServer();
    for (String path : new String[] {"/ok", "/listed", "/bare", "/disabled", "/bob", "/revoked"}) {
      server.script(path, Reply.of(200, "fine"));
    }
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static Engine engine(ActivitySettings activities) {
    return Engine.start(
        postgres
            .engineConfig("policy-engine")
            .withRetries(new EngineConfig.Retries(1, Duration.ofMillis(10), Duration.ofMillis(10)))
            .withActivities(activities));
  }

  private static ActivitySettings policy(String mode, String allowlist) {
    return ActivitySettings.defaults()
        .withValue("http.policy", mode)
        .withValue("http.allowlist", allowlist);
  }

  private static String get(String url) {
    return "df.http(" + literal(url) + ", 'GET')";
  }

  private static String outcome(String role, String future) throws SQLException {
    String id = workflows.start(role, future);
    String status = workflows.awaitTerminal(id);
    return status
        + ": "
        + workflows.queryAsSuperuser(
            "SELECT result #>> '{}' FROM df.nodes WHERE instance_id = ? AND node_type = 'HTTP'",
            id);
  }

  @Test
  void inAllowlistModeAListedNameThatResolvesToLoopbackIsBlocked() throws Exception {
    try (Engine engine = engine(policy("allowlist", "localhost"))) {
      String outcome = outcome(ALICE, get("http://localhost:" + server.port() + "/listed"));

      assertThat(outcome).startsWith("failed: ").contains("Blocked").contains("restricted");
    }
    assertThat(server.requests("/listed")).isEmpty();
  }

  @Test
  void inAllowlistModeAnUnlistedHostAndABareAddressAreRefusedBeforeAnyLookup() throws Exception {
    try (Engine engine = engine(policy("allowlist", "api.example.com, *.example.org:443"))) {
      assertThat(outcome(ALICE, get("http://elsewhere.example.net/x")))
          .startsWith("failed: ")
          .contains("not in the allowed hosts");
      assertThat(outcome(ALICE, get("http://127.0.0.1:" + server.port() + "/bare")))
          .startsWith("failed: ")
          .contains("bare IP");
      assertThat(outcome(ALICE, get("http://169.254.169.254/latest/meta-data")))
          .startsWith("failed: ");
    }
    assertThat(server.requests("/bare")).isEmpty();
  }

  @Test
  void disabledModeRefusesToBuildHttpNodesAndToRunStoredOnes() throws Exception {
    String stored =
        workflows.start(
            ALICE, "df.seq('SELECT pg_sleep(0.5)', " + get(server.baseUrl() + "/disabled") + ")");
    try (Engine engine = engine(policy("disabled", null))) {
      assertThatThrownBy(() -> workflows.start(ALICE, get(server.baseUrl() + "/disabled")))
          .hasMessageContaining("disabled");
      assertThat(workflows.awaitTerminal(stored)).isEqualTo("failed");
    }
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT result #>> '{}' FROM df.nodes WHERE instance_id = ? AND node_type = 'HTTP'",
                stored))
        .contains("disabled");
    assertThat(server.requests("/disabled")).isEmpty();
    // The next engine's policy is published again, so building works once more.
    try (Engine engine = engine(policy("allow-all", null))) {
      assertThat(outcome(ALICE, get(server.baseUrl() + "/disabled"))).startsWith("completed");
    }
  }

  @Test
  void aRoleWithoutTheHttpGrantCannotRunARawHttpNode() throws Exception {
    String raw =
        "{\"node_type\":\"HTTP\",\"query\":"
            + new com.fasterxml.jackson.databind.ObjectMapper()
                .writeValueAsString(
                    "{\"url\":\""
                        + server.baseUrl()
                        + "/bob\",\"method\":\"GET\",\"body\":null,"
                        + "\"headers\":null,\"timeout_seconds\":5}")
            + "}";
    int before = server.requests("/bob").size();
    try (Engine engine = engine(policy("allow-all", null))) {
      assertThatThrownBy(() -> workflows.start(BOB, get(server.baseUrl() + "/bob")))
          .hasMessageContaining("permission denied");
      String outcome;
      try {
        outcome = outcome(BOB, literal(raw));
      } catch (SQLException refusedAtStart) {
        outcome = "failed: " + refusedAtStart.getMessage();
      }
      assertThat(outcome).startsWith("failed: ").contains("does not have EXECUTE privilege");
    }
    assertThat(server.requests("/bob")).hasSize(before);
  }

  @Test
  void revokingTheGrantAfterTheStartBlocksTheNextRequest() throws Exception {
    workflows.executeAsSuperuser(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'policy_carol')"
            + " THEN CREATE ROLE policy_carol LOGIN; END IF; END $$;"
            + " SELECT df.grant_usage('policy_carol');"
            + " GRANT EXECUTE ON FUNCTION df.http(text,text,text,jsonb,integer) TO policy_carol");
    int before = server.requests("/revoked").size();
    String id;
    try (var connection = postgres.connectAs("policy_carol");
        var statement = connection.createStatement();
        var row =
            statement.executeQuery(
                "SELECT df.start(df.seq(df.wait_for_signal('go'), "
                    + get(server.baseUrl() + "/revoked")
                    + "))")) {
      row.next();
      id = row.getString(1);
    }
    workflows.executeAsSuperuser(
        "REVOKE EXECUTE ON FUNCTION df.http(text,text,text,jsonb,integer) FROM policy_carol");
    try (Engine engine = engine(policy("allow-all", null))) {
      workflows.executeAsSuperuser("SELECT df.signal('" + id + "', 'go')");
      assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    }
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT result #>> '{}' FROM df.nodes WHERE instance_id = ? AND node_type = 'HTTP'",
                id))
        .contains("does not have EXECUTE privilege");
    assertThat(server.requests("/revoked")).hasSize(before);
  }

  @Test
  void aHostsBreakerOpensAfterFailuresFailsFastThenLetsATrialCallThrough() throws Exception {
    server.script("/down", Reply.of(503, "down"));
    ActivitySettings activities =
        policy("allow-all", null)
            .withBreakers(new ActivitySettings.BreakerSettings(50, 2, 2, Duration.ofSeconds(1), 1));
    try (Engine engine = engine(activities)) {
      assertThat(outcome(ALICE, get(server.baseUrl() + "/down"))).startsWith("failed: ");
      assertThat(outcome(ALICE, get(server.baseUrl() + "/down"))).startsWith("failed: ");
      int calls = server.requests("/down").size();

      String fastFailure = outcome(ALICE, get(server.baseUrl() + "/down"));

      assertThat(fastFailure).contains("circuit breaker http:127.0.0.1 is open");
      assertThat(server.requests("/down")).hasSize(calls);
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  workflows.queryAsSuperuser(
                      "SELECT state FROM df.breakers() WHERE name = 'http:127.0.0.1'"),
              "open"::equals);

      server.script("/down", Reply.of(200, "back"));
      // Until the breaker's open duration (1 s) has passed, calls fail fast without reaching the
      // server; then one trial call gets through and succeeds.
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> outcome(ALICE, get(server.baseUrl() + "/down")).startsWith("completed"));
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  workflows.queryAsSuperuser(
                      "SELECT state FROM df.breakers() WHERE name = 'http:127.0.0.1'"),
              "closed"::equals);
    }
  }
}
