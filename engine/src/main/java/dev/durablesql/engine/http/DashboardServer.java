package dev.durablesql.engine.http;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.durablesql.engine.Engine;
import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.EngineException;
import dev.durablesql.engine.dashboard.DashboardQueries;
import dev.durablesql.engine.http.HttpSettings.Auth;
import dev.durablesql.engine.step.RoleConnections;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerResponse;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's HTTP server, on Helidon SE's web server (every request on its own virtual thread):
 * {@code /health/live}, {@code /health/ready} (the database answers and its df schema is current),
 * {@code /metrics} (Prometheus text) and the dashboard, its pages and its JSON API
 * (docs/dashboard.md). The dashboard's queries log in as the signed-in role through a small pool of
 * its own, apart from the step connections.
 */
public final class DashboardServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DashboardServer.class);

  /** The Prometheus text exposition format that Micrometer's registry writes. */
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private static final String CONTENT_SECURITY_POLICY =
      "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none';"
          + " form-action 'self'; frame-ancestors 'none'";

  /** Dashboard connections: at most this many at once, across roles and per role. */
  private static final int MAX_CONNECTIONS = 8;

  private static final int MAX_CONNECTIONS_PER_ROLE = 2;

  private final WebServer server;
  private final RoleConnections connections;
  private final String host;

  private DashboardServer(WebServer server, RoleConnections connections, String host) {
    this.server = server;
    this.connections = connections;
    this.host = host;
  }

  /** Starts the server of {@code engine}; a disabled one (port 0) when {@code settings} say so. */
  public static DashboardServer start(HttpSettings settings, Engine engine) {
    return start(
        settings,
        engine.config(),
        engine::isReady,
        () -> engine.meters().scrape(),
        InstantSource.system());
  }

  static DashboardServer start(
      HttpSettings settings,
      EngineConfig config,
      BooleanSupplier ready,
      Supplier<String> metrics,
      InstantSource clock) {
    requireNonNull(settings, "settings is null");
    if (!settings.isEnabled()) {
      return new DashboardServer(null, null, settings.bind());
    }
    ObjectMapper json = new ObjectMapper();
    RoleConnections connections =
        new RoleConnections(
            config.jdbcUrl(),
            MAX_CONNECTIONS,
            MAX_CONNECTIONS_PER_ROLE,
            Duration.ofSeconds(10),
            config.roleSecretsDirectory(),
            RoleConnections.Purpose.DASHBOARD);
    ApiRoutes api =
        new ApiRoutes(
            settings,
            new Sessions(settings.sessionTimeout(), clock),
            new PasswordCheck(config.jdbcUrl()),
            new DashboardQueries(connections, json, Duration.ofSeconds(10)),
            json);
    Assets assets = new Assets();
    try {
      WebServer server =
          WebServer.builder()
              .host(settings.bind())
              .port(settings.port())
              .shutdownHook(false)
              .shutdownGracePeriod(Duration.ofMillis(200))
              .maxPayloadSize(1_048_576)
              .routing(routing -> routes(routing, settings, ready, metrics, assets, api))
              .build()
              .start();
      log.info(
          "Dashboard on http://{}:{}/ (sign-in: {})",
          settings.bind(),
          server.port(),
          settings.auth().text());
      return new DashboardServer(server, connections, settings.bind());
    } catch (RuntimeException e) {
      connections.close();
      if (causedByBind(e)) {
        throw new EngineException(
            "HTTP port "
                + settings.port()
                + " on "
                + settings.bind()
                + " is already in use; stop whatever listens there or choose another --http-port",
            e);
      }
      throw new EngineException(
          "cannot start the HTTP server on " + settings.bind() + ":" + settings.port(), e);
    }
  }

  private static void routes(
      HttpRouting.Builder routing,
      HttpSettings settings,
      BooleanSupplier ready,
      Supplier<String> metrics,
      Assets assets,
      ApiRoutes api) {
    routing.addFilter((chain, request, response) -> {
      response.header(HeaderNames.X_CONTENT_TYPE_OPTIONS, "nosniff");
      response.header("X-Frame-Options", "DENY");
      response.header("Referrer-Policy", "no-referrer");
      response.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
      // Without sign-in, only loopback names: a rebound DNS name of another site is refused.
      if (settings.auth() == Auth.OFF && !RequestChecks.hasLoopbackHost(request)) {
        text(
            response,
            421,
            "text/plain; charset=utf-8",
            "This dashboard has sign-in off and answers only to 127.0.0.1, localhost or [::1].\n");
        return;
      }
      chain.proceed();
    });
    routing
        .get("/health/live", (request, response) -> status(response, true))
        .get("/health/ready", (request, response) -> status(response, ready.getAsBoolean()))
        .get("/metrics", (request, response) -> text(response, 200, PROMETHEUS_TEXT, metrics.get()))
        .get("/", (request, response) -> asset(response, assets, "index.html"))
        .get(
            "/assets/{name}",
            (request, response) ->
                asset(response, assets, request.path().pathParameters().get("name")));
    api.register(routing);
  }

  private static void status(ServerResponse response, boolean up) {
    text(
        response,
        up ? 200 : 503,
        "application/json",
        up ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}");
  }

  private static void asset(ServerResponse response, Assets assets, String name) {
    assets
        .find(name)
        .ifPresentOrElse(
            asset -> {
              response.header(HeaderNames.CONTENT_TYPE, asset.contentType());
              response.header(HeaderNames.CACHE_CONTROL, "no-cache");
              response.send(asset.bytes());
            },
            () -> text(response, 404, "text/plain; charset=utf-8", "Not found\n"));
  }

  private static void text(ServerResponse response, int status, String type, String body) {
    response.status(status);
    response.header(HeaderNames.CONTENT_TYPE, type);
    response.send(body.getBytes(StandardCharsets.UTF_8));
  }

  private static boolean causedByBind(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof BindException) {
        return true;
      }
    }
    return false;
  }

  /** The address served, such as {@code http://127.0.0.1:8087/}; empty when disabled. */
  public String url() {
    if (server == null) {
      return "";
    }
    String shown = host.contains(":") ? "[" + host + "]" : host;
    return "http://" + shown + ":" + server.port() + "/";
  }

  /** The port served; 0 when disabled. */
  public int port() {
    return server == null ? 0 : server.port();
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop();
      connections.close();
    }
  }
}
