package dev.durablesql.activities.http;

import static dev.durablesql.activities.http.LocalServer.respond;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpExchange;
import dev.durablesql.activity.Activity;
import dev.durablesql.activity.ActivityContext;
import dev.durablesql.activity.ActivityException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.text.MessageFormat;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ResourceBundle;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code embed} activity against an OpenAI-compatible stub on 127.0.0.1. The stub embeds text
 * {@code "t<n>"} as {@code [n, 0.5]} (other texts as {@code [length, 0.5]}), so the order of the
 * result shows through the first component, and can list its {@code data} in reverse index order.
 */
class EmbedActivityTest {
  private static final String API_KEY = "sk-test-7c1e4b9d2f3a8e6c5b0d1a2f3e4c5b6a";

  private LocalServer server;
  private EmbedActivity activity;

  @BeforeEach
  void start() throws IOException {
    server = LocalServer.http();
    activity = new EmbedActivity();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private String baseUrl() {
    return "http://127.0.0.1:" + server.port();
  }

  /** A context with the stub as base-url, the test key and a default model. */
  private FakeContext context(Object input) {
    return new FakeContext(config(input, null, Map.of()))
        .withSetting("base-url", baseUrl())
        .withSetting("api-key", API_KEY)
        .withSetting("model", "text-embedding-3-small");
  }

  private static Map<String, Object> config(Object input, String model, Map<String, ?> options) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("input", input);
    config.put("model", model);
    config.put("options", options);
    return config;
  }

  /** Serves the embeddings endpoint like OpenAI, listing data in reverse order when asked. */
  private void serveEmbeddings(boolean reverse) {
    server.handle(
        "/v1/embeddings",
        (request, exchange) -> {
          Map<?, ?> body = (Map<?, ?>) parse(request.body());
          List<String> texts = new ArrayList<>();
          if (body.get("input") instanceof String text) {
            texts.add(text);
          } else {
            for (Object text : (List<?>) body.get("input")) {
              texts.add((String) text);
            }
          }
          List<Object> data = new ArrayList<>();
          for (int i = 0; i < texts.size(); i++) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("object", "embedding");
            item.put("index", i);
            String text = texts.get(i);
            double first =
                text.matches("t[0-9]+") ? Double.parseDouble(text.substring(1)) : text.length();
            item.put("embedding", List.of(first, 0.5));
            data.add(item);
          }
          if (reverse) {
            Collections.reverse(data);
          }
          Map<String, Object> response = new LinkedHashMap<>();
          response.put("object", "list");
          response.put("data", data);
          response.put("model", body.get("model") + "-2024");
          response.put(
              "usage", Map.of("prompt_tokens", texts.size(), "total_tokens", texts.size()));
          respondJson(exchange, 200, json(response));
        });
  }

  private void serveError(int status, String body) {
    server.handle("/v1/embeddings", (request, exchange) -> respondJson(exchange, status, body));
  }

  private static void respondJson(HttpExchange exchange, int status, String body)
      throws IOException {
    respond(exchange, status, "application/json", body.getBytes(UTF_8));
  }

  private static String json(Object value) {
    StringBuilder out = new StringBuilder();
    JsonWriter.append(out, value);
    return out.toString();
  }

  private static Object parse(byte[] body) {
    try {
      return JsonReader.parse(new String(body, UTF_8));
    } catch (JsonReader.Malformed e) {
      throw new AssertionError("the request body is not JSON: " + e.getMessage(), e);
    }
  }

  private ActivityException failure(FakeContext context) {
    ActivityException failure =
        catchThrowableOfType(ActivityException.class, () -> activity.execute(context));
    assertThat(failure).as("the step should fail").isNotNull();
    assertThat(failure.getMessage()).doesNotContain(API_KEY);
    assertThat(context.logged()).noneMatch(line -> line.contains(API_KEY));
    return failure;
  }

  @Test
  void isTheEmbedTypeFoundByTheServiceLoader() {
    List<String> types =
        ServiceLoader.load(Activity.class).stream()
            .filter(provider -> provider.type() == EmbedActivity.class)
            .map(provider -> provider.get().type())
            .toList();

    assertThat(types).containsExactly("embed");
  }

  @Test
  void embedsOneTextAsOneEmbedding() throws Exception {
    serveEmbeddings(false);
    FakeContext context = context("t7");

    Map<String, Object> result = activity.execute(context);

    assertThat(result.keySet()).containsExactly("model", "embeddings", "dimensions", "usage");
    assertThat(result.get("model")).isEqualTo("text-embedding-3-small-2024");
    assertThat(result.get("embeddings")).isEqualTo(List.of(List.of(7.0, 0.5)));
    assertThat(result.get("dimensions")).isEqualTo(2);
    assertThat(result.get("usage")).isEqualTo(Map.of("prompt_tokens", 1L, "total_tokens", 1L));
    assertThat(json(result))
        .isEqualTo(
            "{\"model\":\"text-embedding-3-small-2024\",\"embeddings\":[[7.0,0.5]],"
                + "\"dimensions\":2,\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1}}");
    LocalServer.Received request = server.takeRequest();
    assertThat(request.method()).isEqualTo("POST");
    assertThat(request.path()).isEqualTo("/v1/embeddings");
    assertThat(request.header("Content-Type")).isEqualTo("application/json");
    assertThat(request.header("Idempotency-Key")).isEqualTo(context.idempotencyKey());
    assertThat(parse(request.body()))
        .isEqualTo(Map.of("model", "text-embedding-3-small", "input", "t7"));
  }

  @Test
  void sendsTheApiKeyAsABearerToken() throws Exception {
    serveEmbeddings(false);

    activity.execute(context("t1"));

    assertThat(server.takeRequest().header("Authorization")).isEqualTo("Bearer " + API_KEY);
  }

  @Test
  void sendsNoAuthorizationWithoutAnApiKey() throws Exception {
    serveEmbeddings(false);
    FakeContext context =
        new FakeContext(config("t1", "nomic-embed-text", null)).withSetting("base-url", baseUrl());

    Map<String, Object> result = activity.execute(context);

    assertThat(server.takeRequest().headers()).doesNotContainKey("Authorization");
    assertThat(result.get("model")).isEqualTo("nomic-embed-text-2024");
  }

  @Test
  void embedsABatchGivenAsJsonTextInInputOrder() throws Exception {
    serveEmbeddings(true);

    Map<String, Object> result = activity.execute(context("[\"t0\", \"t1\", \"t2\"]"));

    assertThat(result.get("embeddings"))
        .isEqualTo(List.of(List.of(0.0, 0.5), List.of(1.0, 0.5), List.of(2.0, 0.5)));
    assertThat(result.get("dimensions")).isEqualTo(2);
    assertThat(parse(server.takeRequest().body()))
        .isEqualTo(Map.of("model", "text-embedding-3-small", "input", List.of("t0", "t1", "t2")));
  }

  @Test
  void embedsABatchGivenAsAList() throws Exception {
    serveEmbeddings(false);

    Map<String, Object> result = activity.execute(context(List.of("t4", "t5")));

    assertThat(result.get("embeddings")).isEqualTo(List.of(List.of(4.0, 0.5), List.of(5.0, 0.5)));
  }

  @Test
  void splitsABatchLargerThanMaxBatchAndKeepsTheOrder() throws Exception {
    serveEmbeddings(true);
    FakeContext context =
        context("[\"t0\",\"t1\",\"t2\",\"t3\",\"t4\"]").withSetting("max-batch", "2");

    Map<String, Object> result = activity.execute(context);

    assertThat(result.get("embeddings"))
        .isEqualTo(
            List.of(
                List.of(0.0, 0.5),
                List.of(1.0, 0.5),
                List.of(2.0, 0.5),
                List.of(3.0, 0.5),
                List.of(4.0, 0.5)));
    assertThat(result.get("usage")).isEqualTo(Map.of("prompt_tokens", 5L, "total_tokens", 5L));
    List<LocalServer.Received> requests = server.requests();
    assertThat(requests)
        .extracting(request -> (Object) ((Map<?, ?>) parse(request.body())).get("input"))
        .containsExactly(List.of("t0", "t1"), List.of("t2", "t3"), List.of("t4"));
    assertThat(requests)
        .extracting(request -> request.header("Idempotency-Key"))
        .containsExactly(
            context.idempotencyKey() + "-1",
            context.idempotencyKey() + "-2",
            context.idempotencyKey() + "-3");
  }

  @Test
  void anEmptyBatchSendsNoRequest() throws Exception {
    Map<String, Object> result = activity.execute(context("[]"));

    assertThat(json(result))
        .isEqualTo(
            "{\"model\":\"text-embedding-3-small\",\"embeddings\":[],\"dimensions\":0,"
                + "\"usage\":{\"prompt_tokens\":0,\"total_tokens\":0}}");
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void aTextThatOnlyLooksLikeAnArrayIsEmbeddedAsIs() throws Exception {
    serveEmbeddings(false);

    activity.execute(context("[1] draft"));

    assertThat(((Map<?, ?>) parse(server.takeRequest().body())).get("input"))
        .isEqualTo("[1] draft");
  }

  @Test
  void refusesABatchWithAnElementThatIsNotAString() {
    ActivityException failure = failure(context("[\"t0\", 3]"));

    assertThat(failure.retryable()).isFalse();
    assertThat(failure.getMessage())
        .isEqualTo(
            "embed: input element 1 is a number, not a string; a batch must be a JSON array of"
                + " strings");
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void passesOptionsThroughAndUsesTheGivenModel() throws Exception {
    serveEmbeddings(false);
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("dimensions", 256);
    options.put("encoding_format", "float");
    options.put("user", "alice");
    FakeContext context =
        new FakeContext(config("t1", "text-embedding-3-large", options))
            .withSetting("base-url", baseUrl());

    activity.execute(context);

    assertThat(new String(server.takeRequest().body(), UTF_8))
        .isEqualTo(
            "{\"model\":\"text-embedding-3-large\",\"input\":\"t1\",\"dimensions\":256,"
                + "\"encoding_format\":\"float\",\"user\":\"alice\"}");
  }

  @Test
  void refusesAnEncodingFormatOtherThanFloat() {
    FakeContext context =
        new FakeContext(config("t1", null, Map.of("encoding_format", "base64")))
            .withSetting("base-url", baseUrl())
            .withSetting("model", "m");

    ActivityException failure = failure(context);

    assertThat(failure.retryable()).isFalse();
    assertThat(failure.getMessage())
        .isEqualTo(
            "embed: options.encoding_format must be \"float\" (the result holds JSON numbers), was"
                + " \"base64\"");
  }

  @Test
  void refusesOptionsThatSetTheModel() {
    FakeContext context =
        new FakeContext(config("t1", null, Map.of("model", "x")))
            .withSetting("base-url", baseUrl())
            .withSetting("model", "m");

    assertThat(failure(context).getMessage())
        .isEqualTo(
            "embed: options must not set \"model\": pass the model as df.embed's second"
                + " argument");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/", "/v1", "/v1/", "/v1/embeddings"})
  void reachesV1EmbeddingsFromEveryFormOfTheBaseUrl(String suffix) throws Exception {
    serveEmbeddings(false);
    FakeContext context = context("t1").withSetting("base-url", baseUrl() + suffix);

    activity.execute(context);

    assertThat(server.takeRequest().path()).isEqualTo("/v1/embeddings");
  }

  @Test
  void failsWithoutABaseUrl() {
    FakeContext context = new FakeContext(config("t1", "m", null)).withSetting("api-key", API_KEY);

    ActivityException failure = failure(context);

    assertThat(failure.retryable()).isFalse();
    assertThat(failure.getMessage())
        .isEqualTo(
            "embed: no endpoint configured: set embed.base-url in the engine configuration"
                + " (DURABLE_EMBED_BASE_URL)");
  }

  @Test
  void failsWithoutAModelNamingBothWaysToGiveOne() {
    FakeContext context =
        new FakeContext(config("t1", null, null)).withSetting("base-url", baseUrl());

    ActivityException failure = failure(context);

    assertThat(failure.retryable()).isFalse();
    assertThat(failure.getMessage())
        .startsWith("embed: no model given: pass one as df.embed's second argument")
        .contains("embed.model", "DURABLE_EMBED_MODEL");
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void aRefusedKeyFailsForGoodWithoutShowingIt() {
    // OpenAI shows the start and the end of the key; the full key is echoed here to test that too.
    serveError(
        401,
        "{\"error\":{\"message\":\"Incorrect API key provided: "
            + API_KEY
            + ".\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");

    ActivityException failure = failure(context("t1"));

    assertThat(failure.retryable()).isFalse();
    assertThat(failure.getMessage())
        .isEqualTo(
            "embed: the endpoint refused the API key (HTTP 401: Incorrect API key provided: ***.);"
                + " check embed.api-key (DURABLE_EMBED_API_KEY); not retried");
  }

  @Test
  void aForbiddenRequestWithoutAKeySaysHowToSetOne() {
    serveError(403, "{\"error\":\"forbidden\"}");
    FakeContext context =
        new FakeContext(config("t1", "m", null)).withSetting("base-url", baseUrl());

    ActivityException failure = failure(context);

    assertThat(failure.getMessage())
        .startsWith("embed: the endpoint refused the API key (HTTP 403: forbidden); no API key")
        .contains("DURABLE_EMBED_API_KEY");
  }

  @Test
  void aClientErrorShowsTheEndpointsMessageWithTheKeyRedacted() {
    serveError(
        400,
        "{\"error\":{\"message\":\"'$.input' is invalid (your key "
            + API_KEY
            + ")\",\"type\":\"invalid_request_error\"}}");

    ActivityException failure = failure(context("t1"));

    assertThat(failure.retryable()).isFalse();
    assertThat(failure.getMessage())
        .isEqualTo(
            "embed: POST "
                + baseUrl()
                + "/v1/embeddings returned HTTP 400: '$.input' is invalid (your key ***); not"
                + " retried");
  }

  @Test
  void aLongErrorBodyIsCutTo512Bytes() {
    serveError(404, "x".repeat(600));

    ActivityException failure = failure(context("t1"));

    assertThat(failure.getMessage())
        .contains("returned HTTP 404: " + "x".repeat(512) + " [truncated, 600 bytes total]");
  }

  @Test
  void tooManyRequestsIsRetryableAfterTheServersDelay() {
    server.handle(
        "/v1/embeddings",
        (request, exchange) -> {
          exchange.getResponseHeaders().set("Retry-After", "7");
          respondJson(
              exchange, 429, "{\"error\":{\"message\":\"Rate limit reached for requests\"}}");
        });

    ActivityException failure = failure(context("t1"));

    assertThat(failure.retryable()).isTrue();
    assertThat(failure.retryAfter()).contains(Duration.ofSeconds(7));
    assertThat(failure.getMessage())
        .isEqualTo(
            "embed: POST "
                + baseUrl()
                + "/v1/embeddings returned HTTP 429 (too many requests): Rate limit reached for"
                + " requests; a later attempt may succeed");
  }

  @Test
  void anUnavailableEndpointIsRetryable() {
    serveError(503, "{\"error\":{\"message\":\"overloaded\"}}");

    ActivityException failure = failure(context("t1"));

    assertThat(failure.retryable()).isTrue();
    assertThat(failure.retryAfter()).isEmpty();
    assertThat(failure.getMessage()).contains("returned HTTP 503");
  }

  @Test
  void anInternalServerErrorFailsForGood() {
    serveError(500, "{\"error\":{\"message\":\"boom\"}}");

    ActivityException failure = failure(context("t1"));

    assertThat(failure.retryable()).isFalse();
    assertThat(failure.getMessage())
        .isEqualTo(
            "embed: POST "
                + baseUrl()
                + "/v1/embeddings returned HTTP 500: {\"error\":{\"message\":\"boom\"}}; not"
                + " retried");
  }

  @Test
  void aKeyEchoedInAServerErrorIsRedactedEvenWhereTheBodyIsCut() {
    // The key starts 10 bytes before the 512-byte cut of the error body.
    serveError(500, "k".repeat(502) + API_KEY + "tail");

    ActivityException failure = failure(context("t1"));

    assertThat(failure.getMessage())
        .contains("k".repeat(502) + "*** [truncated, " + (502 + API_KEY.length() + 4))
        .doesNotContain(API_KEY.substring(0, 10));
  }

  @Test
  void aResponseThatIsNotJsonFailsForGood() {
    server.handle(
        "/v1/embeddings",
        (request, exchange) ->
            respond(exchange, 200, "text/html", "<html>gateway</html>".getBytes(UTF_8)));

    ActivityException failure = failure(context("t1"));

    assertThat(failure.retryable()).isFalse();
    assertThat(failure.getMessage())
        .startsWith("embed: malformed response from " + baseUrl() + "/v1/embeddings: ")
        .endsWith("; not retried");
  }

  @Test
  void aResponseWithTheWrongNumberOfEmbeddingsFailsForGood() {
    serveError(200, "{\"data\":[{\"index\":0,\"embedding\":[1.0]}],\"model\":\"m\",\"usage\":{}}");

    ActivityException failure = failure(context("[\"t0\",\"t1\"]"));

    assertThat(failure.retryable()).isFalse();
    assertThat(failure.getMessage())
        .isEqualTo(
            "embed: malformed response from "
                + baseUrl()
                + "/v1/embeddings: the response has 1 embeddings for 2 inputs; not retried");
  }

  @Test
  void aRedirectIsNotFollowed() {
    server.handle(
        "/v1/embeddings",
        (request, exchange) -> {
          exchange.getResponseHeaders().set("Location", "https://elsewhere.example/v1/embeddings");
          respond(exchange, 307, null, new byte[0]);
        });

    ActivityException failure = failure(context("t1"));

    assertThat(failure.retryable()).isFalse();
    assertThat(failure.getMessage())
        .contains("returned HTTP 307: an empty body; redirects are not followed");
    assertThat(server.requests()).hasSize(1);
  }

  @Test
  void aTimeoutCappedByTheDeadlineIsRetryable() {
    server.handle("/v1/embeddings", (request, exchange) -> server.awaitRelease());
    FakeContext context = context("t1").withDeadline(Instant.now().plusMillis(300));

    ActivityException failure = failure(context);

    assertThat(failure.retryable()).isTrue();
    assertThat(failure.getMessage()).contains("timed out after");
  }

  @Test
  void aRefusedConnectionIsRetryable() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    FakeContext context = context("t1").withSetting("base-url", "http://127.0.0.1:" + closedPort);

    ActivityException failure = failure(context);

    assertThat(failure.retryable()).isTrue();
    assertThat(failure.getMessage()).contains("cannot connect");
  }

  @Test
  void neitherResultNorLogsShowTheKey() throws Exception {
    serveEmbeddings(false);
    FakeContext context = context("[\"t1\",\"t2\"]").withSetting("max-batch", "1");

    Map<String, Object> result = activity.execute(context);

    assertThat(json(result)).doesNotContain(API_KEY);
    assertThat(context.logged())
        .isNotEmpty()
        .noneMatch(line -> line.contains(API_KEY))
        .anyMatch(line ->
            line.startsWith("INFO embed: 2 input(s) embedded by " + baseUrl() + "/v1/embeddings")
                && line.contains("2 request(s)"));
  }

  @Test
  void rejectsAMalformedSetting() {
    FakeContext context = context("t1").withSetting("max-batch", "many");

    assertThatThrownBy(() -> activity.execute(context))
        .isInstanceOf(ActivityException.class)
        .hasMessage(
            "embed: embed.max-batch (DURABLE_EMBED_MAX_BATCH) must be a whole number of inputs"
                + " per request, at least 1, was 'many'");
  }

  /** One attempt of a step: config and settings as given, a deadline a minute away. */
  private static final class FakeContext implements ActivityContext {
    private final Map<String, Object> config;
    private final Map<String, String> settings = new HashMap<>();
    private final List<String> logged = Collections.synchronizedList(new ArrayList<>());
    private Instant deadline = Instant.now().plusSeconds(60);

    FakeContext(Map<String, Object> config) {
      this.config = Collections.unmodifiableMap(config);
    }

    FakeContext withSetting(String name, String value) {
      settings.put(name, value);
      return this;
    }

    FakeContext withDeadline(Instant value) {
      deadline = value;
      return this;
    }

    List<String> logged() {
      return List.copyOf(logged);
    }

    @Override
    public String instanceId() {
      return "0a1b2c3d";
    }

    @Override
    public String nodeId() {
      return "4e5f6a7b";
    }

    @Override
    public int attempt() {
      return 1;
    }

    @Override
    public String submittedBy() {
      return "alice";
    }

    @Override
    public Map<String, Object> config() {
      return config;
    }

    @Override
    public String idempotencyKey() {
      return "0a1b2c3d-4e5f6a7b-1";
    }

    @Override
    public Instant deadline() {
      return deadline;
    }

    @Override
    public Optional<String> setting(String name) {
      return Optional.ofNullable(settings.get(name));
    }

    @Override
    public System.Logger logger() {
      return new System.Logger() {
        @Override
        public String getName() {
          return "embed-test";
        }

        @Override
        public boolean isLoggable(Level level) {
          return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
          logged.add(level + " " + message);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
          logged.add(level + " " + MessageFormat.format(format, params));
        }
      };
    }
  }
}
