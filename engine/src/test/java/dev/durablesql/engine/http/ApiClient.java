package dev.durablesql.engine.http;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A browser-like client of the dashboard's API for tests: it keeps the session cookie it is given
 * and can send the CSRF token, an Origin, or neither.
 */
final class ApiClient {
  private static final Pattern CSRF = Pattern.compile("\"csrfToken\":\"([^\"]+)\"");
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String baseUrl;
  private String cookie;
  private String csrfToken;

  ApiClient(String baseUrl) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
  }

  /** Signs in with a role name and password; returns the answer (200 when signed in). */
  HttpResponse<String> signIn(String role, String password)
      throws IOException, InterruptedException {
    HttpResponse<String> response =
        send(
            post("/api/session", "{\"role\":\"" + role + "\",\"password\":\"" + password + "\"}")
                .build());
    remember(response);
    return response;
  }

  /** GET /api/session: the session, or a new one where sign-in is off or by header. */
  HttpResponse<String> session(String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder request = request("/api/session").GET();
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    HttpResponse<String> response = send(request.build());
    remember(response);
    return response;
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return send(request(path).GET().build());
  }

  /** A POST carrying the session's CSRF token and this server as Origin, as the dashboard sends. */
  HttpResponse<String> postAsDashboard(String path, String json)
      throws IOException, InterruptedException {
    return send(
        post(path, json).header("X-CSRF-Token", csrfToken).header("Origin", baseUrl).build());
  }

  /** A POST as another site's page would send it: the cookie, but no token and its own Origin. */
  HttpResponse<String> postFromOtherSite(String path, String json)
      throws IOException, InterruptedException {
    return send(post(path, json).header("Origin", "https://evil.example").build());
  }

  /** A POST with the token but another site's Origin. */
  HttpResponse<String> postWithTokenFromOtherSite(String path, String json)
      throws IOException, InterruptedException {
    return send(
        post(path, json)
            .header("X-CSRF-Token", csrfToken)
            .header("Origin", "https://evil.example")
            .build());
  }

  /** A POST without the CSRF token and without Origin (a script outside a browser). */
  HttpResponse<String> postWithoutToken(String path, String json)
      throws IOException, InterruptedException {
    return send(post(path, json).build());
  }

  Optional<String> cookie() {
    return Optional.ofNullable(cookie);
  }

  private HttpRequest.Builder post(String path, String json) {
    return request(path)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json));
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30));
    if (cookie != null) {
      builder.header("Cookie", cookie);
    }
    return builder;
  }

  private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private void remember(HttpResponse<String> response) {
    response
        .headers()
        .firstValue("Set-Cookie")
        .ifPresent(value -> cookie = value.substring(0, value.indexOf(';')));
    Matcher token = CSRF.matcher(response.body());
    if (token.find()) {
      csrfToken = token.group(1);
    }
  }
}
