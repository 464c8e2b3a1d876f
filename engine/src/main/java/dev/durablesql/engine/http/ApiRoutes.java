package dev.durablesql.engine.http;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.durablesql.engine.dashboard.DashboardException;
import dev.durablesql.engine.dashboard.DashboardQueries;
import dev.durablesql.engine.dashboard.InstanceFilter;
import dev.durablesql.engine.http.HttpSettings.Auth;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JSON API under {@code /api} that the dashboard's pages call. Every request but sign-in needs
 * a session; every POST also needs the session's CSRF token and a same-origin (or no) {@code
 * Origin}. Queries and actions run as the session's role ({@link DashboardQueries}).
 */
final class ApiRoutes {
  private static final Logger log = LoggerFactory.getLogger(ApiRoutes.class);
  static final String SESSION_COOKIE = "durable_session";

  private final HttpSettings settings;
  private final Sessions sessions;
  private final PasswordCheck passwords;
  private final DashboardQueries queries;
  private final ObjectMapper json;

  ApiRoutes(
      HttpSettings settings,
      Sessions sessions,
      PasswordCheck passwords,
      DashboardQueries queries,
      ObjectMapper json) {
    this.settings = requireNonNull(settings, "settings is null");
    this.sessions = requireNonNull(sessions, "sessions is null");
    this.passwords = requireNonNull(passwords, "passwords is null");
    this.queries = requireNonNull(queries, "queries is null");
    this.json = requireNonNull(json, "json is null");
  }

  void register(HttpRouting.Builder routing) {
    routing
        .get(
            "/api/session",
            (request, response) -> answer(response, () -> session(request, response)))
        .post(
            "/api/session",
            (request, response) -> answer(response, () -> signIn(request, response)))
        .post(
            "/api/sign-out",
            (request, response) -> answer(response, () -> signOut(request, response)))
        .get("/api/instances", (request, response) -> answer(response, () -> instances(request)))
        .get(
            "/api/instances/{id}", (request, response) -> answer(response, () -> instance(request)))
        .post(
            "/api/instances/{id}/signal",
            (request, response) -> answer(response, () -> signal(request)))
        .post(
            "/api/instances/{id}/cancel",
            (request, response) -> answer(response, () -> cancel(request)))
        .any(
            "/api/*",
            (request, response) ->
                answer(
                    response,
                    () -> {
                      throw new ApiError(404, "no such API endpoint: " + request.path().path());
                    }));
  }

  /** An answer other than 200, with the message shown to the user. */
  private static final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    ApiError(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  @FunctionalInterface
  private interface Endpoint {
    JsonNode call() throws Exception;
  }

  private void answer(ServerResponse response, Endpoint endpoint) {
    int status = 200;
    JsonNode body;
    try {
      body = endpoint.call();
    } catch (ApiError e) {
      status = e.status;
      body = error(e.getMessage());
    } catch (DashboardException e) {
      status =
          switch (e.kind()) {
            case NOT_FOUND -> 404;
            case INVALID -> 400;
            case UNAVAILABLE -> 503;
            case FAILED -> 500;
          };
      body = error(e.getMessage());
    } catch (JsonProcessingException e) {
      status = 400;
      body = error("the request body is not valid JSON: " + e.getOriginalMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      status = 503;
      body = error("the engine is stopping");
    } catch (Exception e) {
      log.error("Dashboard API request failed", e);
      status = 500;
      body = error("internal error: " + e);
    }
    response.status(status);
    response.header(HeaderNames.CONTENT_TYPE, "application/json");
    response.header(HeaderNames.CACHE_CONTROL, "no-store");
    try {
      response.send(json.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a dashboard API answer", e);
    }
  }

  private ObjectNode error(String message) {
    ObjectNode body = json.createObjectNode();
    body.put("error", message);
    body.put("auth", settings.auth().text());
    return body;
  }

  // --- sessions

  private JsonNode session(ServerRequest request, ServerResponse response) {
    Optional<Session> current = currentSession(request);
    if (current.isPresent()) {
      return describe(current.get());
    }
    return switch (settings.auth()) {
      case PASSWORD -> throw new ApiError(401, "sign in with your PostgreSQL role and password");
      case OFF -> describe(start(request, response, settings.role().orElseThrow()));
      case TRUSTED_HEADER ->
          describe(
              start(
                  request,
                  response,
                  headerRole(request)
                      .orElseThrow(() ->
                          new ApiError(
                              401,
                              "the request has no "
                                  + settings.trustedHeader().orElseThrow()
                                  + " header: sign in through your proxy"))));
    };
  }

  private JsonNode signIn(ServerRequest request, ServerResponse response) throws Exception {
    if (settings.auth() != Auth.PASSWORD) {
      throw new ApiError(
          400,
          "sign-in with a password is off here (dashboard.auth=" + settings.auth().text() + ")");
    }
    requireSameOrigin(request);
    JsonNode body = body(request);
    String role = body.path("role").asText("").strip();
    String password = body.path("password").asText("");
    if (role.isEmpty()) {
      throw new ApiError(400, "give a role name");
    }
    if (!passwords.accepts(role, password)) {
      throw new ApiError(
          401,
          "PostgreSQL did not accept role '"
              + role
              + "' with this password (or the role may not log in)");
    }
    RequestChecks.cookie(request, SESSION_COOKIE).ifPresent(sessions::remove);
    return describe(start(request, response, role));
  }

  private JsonNode signOut(ServerRequest request, ServerResponse response) {
    Session session = postSession(request);
    sessions.remove(session.id());
    response.header(
        HeaderNames.SET_COOKIE, SESSION_COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    ObjectNode body = json.createObjectNode();
    body.put("signedOut", true);
    return body;
  }

  private Session start(ServerRequest request, ServerResponse response, String role) {
    Session session;
    try {
      session = sessions.create(role);
    } catch (IllegalStateException e) {
      throw new ApiError(503, e.getMessage());
    }
    boolean secure =
        request.isSecure()
            || request
                .headers()
                .first(HeaderNames.X_FORWARDED_PROTO)
                .filter("https"::equalsIgnoreCase)
                .isPresent();
    response.header(
        HeaderNames.SET_COOKIE,
        SESSION_COOKIE
            + "="
            + session.id()
            + "; Path=/; HttpOnly; SameSite=Strict"
            + (secure ? "; Secure" : ""));
    return session;
  }

  private ObjectNode describe(Session session) {
    ObjectNode body = json.createObjectNode();
    body.put("role", session.role());
    body.put("csrfToken", session.csrfToken());
    body.put("auth", settings.auth().text());
    return body;
  }

  /**
   * The request's live session; with a trusted header, only while the header still names the
   * session's role (the proxy's word wins).
   */
  private Optional<Session> currentSession(ServerRequest request) {
    Optional<Session> session =
        sessions.find(RequestChecks.cookie(request, SESSION_COOKIE).orElse(null));
    if (settings.auth() == Auth.TRUSTED_HEADER) {
      Optional<String> role = headerRole(request);
      return session.filter(s -> role.isPresent() && role.get().equals(s.role()));
    }
    return session;
  }

  private Optional<String> headerRole(ServerRequest request) {
    return request
        .headers()
        .first(HeaderNames.create(settings.trustedHeader().orElseThrow()))
        .map(String::strip)
        .filter(role -> !role.isEmpty());
  }

  private Session requireSession(ServerRequest request) {
    return currentSession(request)
        .orElseThrow(() -> new ApiError(401, "not signed in, or the session has lapsed"));
  }

  /** The session of a state-changing request, after the CSRF checks. */
  private Session postSession(ServerRequest request) {
    requireSameOrigin(request);
    Session session = requireSession(request);
    if (!RequestChecks.hasCsrfToken(request, session)) {
      throw new ApiError(
          403, "missing or wrong " + RequestChecks.CSRF_HEADER.defaultCase() + " header");
    }
    return session;
  }

  private static void requireSameOrigin(ServerRequest request) {
    if (!RequestChecks.isSameOrigin(request)) {
      throw new ApiError(403, "cross-origin request refused");
    }
  }

  // --- instances

  private JsonNode instances(ServerRequest request) {
    Session session = requireSession(request);
    InstanceFilter filter =
        new InstanceFilter(
            parameter(request, "status"),
            parameter(request, "label"),
            parameter(request, "role"),
            parameter(request, "createdAfter"),
            parameter(request, "createdBefore"),
            parameter(request, "after"),
            parameter(request, "limit").map(ApiRoutes::limit).orElse(50));
    return queries.instances(session.role(), filter);
  }

  private JsonNode instance(ServerRequest request) {
    Session session = requireSession(request);
    return queries.instance(session.role(), request.path().pathParameters().get("id"));
  }

  private JsonNode signal(ServerRequest request) throws IOException {
    Session session = postSession(request);
    JsonNode body = body(request);
    JsonNode payload = body.path("payload");
    String text =
        payload.isTextual()
            ? payload.asText()
            : payload.isMissingNode() ? "{}" : payload.toString();
    String answer =
        queries.signal(
            session.role(),
            request.path().pathParameters().get("id"),
            body.path("name").asText(""),
            text);
    return result(answer);
  }

  private JsonNode cancel(ServerRequest request) throws IOException {
    Session session = postSession(request);
    JsonNode body = body(request);
    String answer =
        queries.cancel(
            session.role(),
            request.path().pathParameters().get("id"),
            body.path("reason").asText(""));
    return result(answer);
  }

  private ObjectNode result(String answer) {
    ObjectNode body = json.createObjectNode();
    body.put("result", answer);
    return body;
  }

  private JsonNode body(ServerRequest request) throws IOException {
    byte[] bytes = request.content().inputStream().readAllBytes();
    if (bytes.length == 0) {
      return json.createObjectNode();
    }
    return json.readTree(new String(bytes, StandardCharsets.UTF_8));
  }

  private static Optional<String> parameter(ServerRequest request, String name) {
    return request.query().contains(name)
        ? Optional.of(request.query().get(name))
        : Optional.empty();
  }

  private static int limit(String text) {
    try {
      return Integer.parseInt(text.strip());
    } catch (NumberFormatException e) {
      throw new ApiError(400, "limit must be a whole number, was '" + text + "'");
    }
  }
}
