package dev.durablesql.engine.http;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.PostgresExtension.BOB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.durablesql.engine.Engine;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dashboard's JSON API over real HTTP, with password sign-in: what a role sees and may do is
 * what RLS lets it, POSTs need the CSRF token and a same-origin Origin, and health and metrics
 * answer without a session.
 */
class DashboardApiTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static final ObjectMapper json = new ObjectMapper();
  private static Engine engine;
  private static DashboardServer server;
  private final Workflows workflows = new Workflows(postgres);

  @BeforeAll
  static void start() throws Exception {
    engine = Engine.start(postgres.engineConfig("dashboard-api"));
    server =
        DashboardServer.start(
            new HttpSettings(
                "127.0.0.1",
                freePort(),
                HttpSettings.Auth.PASSWORD,
                Optional.empty(),
                Optional.empty(),
                Duration.ofMinutes(5)),
            engine);
  }

  @AfterAll
  static void stop() {
    server.close();
    engine.close();
  }

  static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static JsonNode body(HttpResponse<String> response) throws Exception {
    return json.readTree(response.body());
  }

  private ApiClient signedIn(String role) throws Exception {
    ApiClient client = new ApiClient(server.url());
    assertThat(client.signIn(role, "any").statusCode()).isEqualTo(200);
    return client;
  }

  private String waitingInstance(String role, String label) throws Exception {
    return workflows.start(
        role,
        "df.seq(df.wait_for_signal('go'), 'SELECT 42 AS answer'), " + Workflows.literal(label));
  }

  @Test
  void healthAndMetricsAnswerWithoutASession() throws Exception {
    ApiClient anonymous = new ApiClient(server.url());

    HttpResponse<String> live = anonymous.get("/health/live");
    HttpResponse<String> ready = anonymous.get("/health/ready");
    HttpResponse<String> metrics = anonymous.get("/metrics");

    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).contains("UP");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
    assertThat(metrics.body()).contains("jvm_memory_used_bytes");
  }

  @Test
  void servesTheDashboardPageWithASecurityPolicy() throws Exception {
    HttpResponse<String> page = new ApiClient(server.url()).get("/");
    HttpResponse<String> script = new ApiClient(server.url()).get("/assets/dashboard.js");
    HttpResponse<String> outside = new ApiClient(server.url()).get("/assets/..%2Fpom.xml");

    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Security-Policy"))
        .hasValueSatisfying(policy -> assertThat(policy).contains("frame-ancestors 'none'"));
    assertThat(script.statusCode()).isEqualTo(200);
    assertThat(outside.statusCode()).isEqualTo(404);
  }

  @Test
  void theApiNeedsASignIn() throws Exception {
    ApiClient anonymous = new ApiClient(server.url());

    assertThat(anonymous.get("/api/instances").statusCode()).isEqualTo(401);
    assertThat(anonymous.session().statusCode()).isEqualTo(401);
  }

  @Test
  void aRoleThatCannotLogInGetsA401WithAClearMessage() throws Exception {
    ApiClient client = new ApiClient(server.url());

    HttpResponse<String> refused = client.signIn("no_such_role", "secret");

    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(body(refused).path("error").asText())
        .contains("PostgreSQL did not accept role 'no_such_role'");
    assertThat(client.cookie()).isEmpty();
  }

  @Test
  void signInSetsAStrictHttpOnlyCookie() throws Exception {
    ApiClient client = new ApiClient(server.url());

    HttpResponse<String> signedIn = client.signIn(ALICE, "any");

    assertThat(signedIn.headers().firstValue("Set-Cookie"))
        .hasValueSatisfying(cookie ->
            assertThat(cookie)
                .matches("durable_session=[A-Za-z0-9_-]{43}; .*")
                .contains("HttpOnly")
                .contains("SameSite=Strict"));
    assertThat(body(signedIn).path("role").asText()).isEqualTo(ALICE);
    assertThat(body(client.session()).path("csrfToken").asText()).hasSize(43);
  }

  @Test
  void listsOnlyTheRolesOwnInstancesWithCountsAndFilters() throws Exception {
    String alices = waitingInstance(ALICE, "list-alice-order");
    String bobs = waitingInstance(BOB, "list-bob-order");
    ApiClient alice = signedIn(ALICE);
    ApiClient bob = signedIn(BOB);

    JsonNode alicePage = body(alice.get("/api/instances?label=ALICE-ORD"));
    JsonNode bobPage = body(bob.get("/api/instances?label=order"));
    JsonNode completedOnly = body(alice.get("/api/instances?label=alice&status=completed"));

    assertThat(alicePage.path("instances").findValuesAsText("id")).containsExactly(alices);
    assertThat(alicePage.path("instances").get(0).path("role").asText()).isEqualTo(ALICE);
    assertThat(
            alicePage.path("counts").path("pending").asLong()
                + alicePage.path("counts").path("running").asLong())
        .isEqualTo(1);
    assertThat(bobPage.path("instances").findValuesAsText("id")).containsExactly(bobs);
    assertThat(completedOnly.path("instances")).isEmpty();
    assertThat(completedOnly.path("counts").path("completed").asLong()).isZero();
  }

  @Test
  void pagesWithTheListingCursor() throws Exception {
    for (int i = 0; i < 3; i++) {
      workflows.start(ALICE, "'SELECT 1', " + Workflows.literal("paged-" + i));
    }
    ApiClient alice = signedIn(ALICE);

    JsonNode first = body(alice.get("/api/instances?label=paged-&limit=2"));
    JsonNode second =
        body(
            alice.get(
                "/api/instances?label=paged-&limit=2&after=" + first.path("nextCursor").asText()));
    HttpResponse<String> broken = alice.get("/api/instances?after=zz");
    HttpResponse<String> badDate = alice.get("/api/instances?createdAfter=yesterday-ish");

    assertThat(first.path("instances")).hasSize(2);
    assertThat(second.path("instances")).hasSize(1);
    assertThat(second.path("nextCursor").isNull()).isTrue();
    assertThat(first.path("instances").findValuesAsText("label"))
        .doesNotContainAnyElementsOf(second.path("instances").findValuesAsText("label"));
    assertThat(broken.statusCode()).isEqualTo(400);
    assertThat(badDate.statusCode()).isEqualTo(400);
  }

  @Test
  void showsAnInstanceAndCompletesItWithASignalFromTheDashboard() throws Exception {
    String id = waitingInstance(ALICE, "signal-me");
    ApiClient alice = signedIn(ALICE);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() ->
            body(alice.get("/api/instances/" + id))
                .path("nodes")
                .findValuesAsText("inferredStatus")
                .contains("running"));

    JsonNode before = body(alice.get("/api/instances/" + id));
    HttpResponse<String> sent =
        alice.postAsDashboard(
            "/api/instances/" + id + "/signal", "{\"name\":\"go\",\"payload\":\"{\\\"ok\\\":1}\"}");
    String status = workflows.awaitTerminal(id);
    JsonNode after = body(alice.get("/api/instances/" + id));

    assertThat(before.path("instance").path("id").asText()).isEqualTo(id);
    assertThat(before.path("nodes").findValuesAsText("type")).contains("THEN", "SIGNAL", "SQL");
    assertThat(sent.statusCode()).isEqualTo(200);
    assertThat(status).isEqualTo("completed");
    assertThat(after.path("instance").path("status").asText()).isEqualTo("completed");
    assertThat(after.path("nodes").findValuesAsText("inferredStatus")).containsOnly("completed");
    assertThat(after.path("signals").get(0).path("name").asText()).isEqualTo("go");
    assertThat(after.path("signals").get(0).path("payload").path("ok").asInt()).isEqualTo(1);
    assertThat(after.path("events").findValuesAsText("kind")).contains("instance_completed");
  }

  @Test
  void cancelsFromTheDashboard() throws Exception {
    String id = waitingInstance(ALICE, "cancel-me");
    ApiClient alice = signedIn(ALICE);

    HttpResponse<String> cancelled =
        alice.postAsDashboard("/api/instances/" + id + "/cancel", "{\"reason\":\"not needed\"}");

    assertThat(cancelled.statusCode()).isEqualTo(200);
    assertThat(body(cancelled).path("result").asText()).contains("cancelled");
    assertThat(workflows.status(id)).isEqualTo("cancelled");
    assertThat(body(alice.get("/api/instances/" + id)).path("instance").path("output").asText())
        .isEqualTo("not needed");
  }

  @Test
  void anotherRoleCanNeitherSeeNorActOnAnInstance() throws Exception {
    String id = waitingInstance(ALICE, "alice-private");
    ApiClient bob = signedIn(BOB);

    HttpResponse<String> read = bob.get("/api/instances/" + id);
    HttpResponse<String> signal =
        bob.postAsDashboard("/api/instances/" + id + "/signal", "{\"name\":\"go\"}");
    HttpResponse<String> cancel = bob.postAsDashboard("/api/instances/" + id + "/cancel", "{}");
    JsonNode list = body(bob.get("/api/instances?label=alice-private"));

    assertThat(read.statusCode()).isEqualTo(404);
    assertThat(signal.statusCode()).isEqualTo(404);
    assertThat(cancel.statusCode()).isEqualTo(404);
    assertThat(list.path("instances")).isEmpty();
    assertThat(workflows.status(id)).isIn("pending", "running");
  }

  @Test
  void postsWithoutTheCsrfTokenOrFromAnotherOriginAreRefused() throws Exception {
    String id = waitingInstance(ALICE, "csrf-target");
    ApiClient alice = signedIn(ALICE);

    HttpResponse<String> noToken = alice.postWithoutToken("/api/instances/" + id + "/cancel", "{}");
    HttpResponse<String> otherSite =
        alice.postFromOtherSite("/api/instances/" + id + "/cancel", "{}");
    HttpResponse<String> otherSiteWithToken =
        alice.postWithTokenFromOtherSite("/api/instances/" + id + "/cancel", "{}");

    assertThat(noToken.statusCode()).isEqualTo(403);
    assertThat(body(noToken).path("error").asText()).contains("X-CSRF-Token");
    assertThat(otherSite.statusCode()).isEqualTo(403);
    assertThat(otherSiteWithToken.statusCode()).isEqualTo(403);
    assertThat(workflows.status(id)).isIn("pending", "running");
  }

  @Test
  void signOutEndsTheSession() throws Exception {
    ApiClient alice = signedIn(ALICE);

    HttpResponse<String> out = alice.postAsDashboard("/api/sign-out", "{}");

    assertThat(out.statusCode()).isEqualTo(200);
    assertThat(alice.get("/api/instances").statusCode()).isEqualTo(401);
  }
}
