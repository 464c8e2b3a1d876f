package dev.durablesql.engine.http;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.PostgresExtension.BOB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.config.ConfigException;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The two other ways in: no sign-in (the loopback default of durable up), which answers only to
 * loopback host names, and a trusted header set by an authenticating proxy, honoured only when
 * configured.
 */
class DashboardSignInModesTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static Engine engine;
  private static DashboardServer open;
  private static DashboardServer proxied;
  private static DashboardServer password;
  private final Workflows workflows = new Workflows(postgres);

  @BeforeAll
  static void start() throws Exception {
    engine = Engine.start(postgres.engineConfig("dashboard-modes"));
    open =
        DashboardServer.start(
            settings(HttpSettings.Auth.OFF, Optional.empty(), Optional.of(ALICE)), engine);
    proxied =
        DashboardServer.start(
            settings(
                HttpSettings.Auth.TRUSTED_HEADER,
                Optional.of("X-Forwarded-User"),
                Optional.empty()),
            engine);
    password =
        DashboardServer.start(
            settings(HttpSettings.Auth.PASSWORD, Optional.empty(), Optional.empty()), engine);
  }

  private static HttpSettings settings(
      HttpSettings.Auth auth, Optional<String> header, Optional<String> role) throws Exception {
    return new HttpSettings(
        "127.0.0.1", DashboardApiTest.freePort(), auth, header, role, Duration.ofMinutes(5));
  }

  @AfterAll
  static void stop() {
    open.close();
    proxied.close();
    password.close();
    engine.close();
  }

  /**
   * The status line of a raw HTTP/1.1 GET with the given Host header (java.net.http does not let
   * tests set it).
   */
  private static String getWithHost(DashboardServer server, String path, String host)
      throws Exception {
    URI uri = URI.create(server.url());
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      return in.readLine();
    }
  }

  @Test
  void withoutSignInTheDashboardActsAsTheConfiguredRole() throws Exception {
    String id = workflows.start(ALICE, "'SELECT 1', 'open-mode'");
    ApiClient client = new ApiClient(open.url());

    HttpResponse<String> session = client.session();
    HttpResponse<String> list = client.get("/api/instances?label=open-mode");
    HttpResponse<String> signIn = client.signIn(BOB, "any");

    assertThat(session.statusCode()).isEqualTo(200);
    assertThat(session.body()).contains("\"role\":\"alice\"").contains("\"auth\":\"off\"");
    assertThat(list.body()).contains(id);
    assertThat(signIn.statusCode()).isEqualTo(400);
  }

  @Test
  void withoutSignInOnlyLoopbackHostNamesAreAnswered() throws Exception {
    String rebound = getWithHost(open, "/api/session", "attacker.example:8087");
    String loopback = getWithHost(open, "/api/session", "localhost:8087");
    String guarded = getWithHost(password, "/health/live", "dashboard.example.com");

    assertThat(rebound).startsWith("HTTP/1.1 421");
    assertThat(loopback).startsWith("HTTP/1.1 200");
    assertThat(guarded).startsWith("HTTP/1.1 200");
  }

  @Test
  void withoutSignInPostsStillNeedTheCsrfToken() throws Exception {
    String id = workflows.start(ALICE, "df.seq(df.wait_for_signal('go'), 'SELECT 1'), 'open-csrf'");
    ApiClient client = new ApiClient(open.url());
    client.session();

    HttpResponse<String> forged =
        client.postFromOtherSite("/api/instances/" + id + "/cancel", "{}");
    HttpResponse<String> scripted =
        client.postWithoutToken("/api/instances/" + id + "/cancel", "{}");
    HttpResponse<String> real = client.postAsDashboard("/api/instances/" + id + "/cancel", "{}");

    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(scripted.statusCode()).isEqualTo(403);
    assertThat(real.statusCode()).isEqualTo(200);
  }

  @Test
  void aTrustedHeaderNamesTheRoleAndASessionFollowsIt() throws Exception {
    String alices = workflows.start(ALICE, "'SELECT 1', 'proxied-alice'");
    ApiClient client = new ApiClient(proxied.url());

    HttpResponse<String> none = client.session();
    HttpResponse<String> asAlice = client.session("X-Forwarded-User", ALICE);
    HttpResponse<String> asBob = client.session("X-Forwarded-User", BOB);
    HttpResponse<String> withoutHeader = client.get("/api/instances");

    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.body()).contains("X-Forwarded-User");
    assertThat(asAlice.body()).contains("\"role\":\"alice\"");
    assertThat(asBob.body()).contains("\"role\":\"bob\"");
    assertThat(withoutHeader.statusCode()).isEqualTo(401);
    assertThat(new ApiClient(password.url()).session("X-Forwarded-User", ALICE).statusCode())
        .as("the header means nothing unless configured")
        .isEqualTo(401);
    assertThat(alices).isNotBlank();
  }

  @Test
  void signInOffIsRefusedOffLoopbackAndNeedsARole() {
    assertThatThrownBy(() ->
            new HttpSettings(
                "0.0.0.0",
                8087,
                HttpSettings.Auth.OFF,
                Optional.empty(),
                Optional.of(ALICE),
                Duration.ofMinutes(5)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("loopback");
    assertThatThrownBy(() ->
            new HttpSettings(
                "127.0.0.1",
                8087,
                HttpSettings.Auth.OFF,
                Optional.empty(),
                Optional.empty(),
                Duration.ofMinutes(5)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dashboard.role");
    assertThatThrownBy(() ->
            new HttpSettings(
                "127.0.0.1",
                8087,
                HttpSettings.Auth.TRUSTED_HEADER,
                Optional.empty(),
                Optional.empty(),
                Duration.ofMinutes(5)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dashboard.trusted-header");
  }
}
