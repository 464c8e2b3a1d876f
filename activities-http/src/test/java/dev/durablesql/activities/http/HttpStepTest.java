package dev.durablesql.activities.http;

import static dev.durablesql.activities.http.LocalServer.respond;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HTTP steps against a real server on 127.0.0.1. URLs name {@code pinned.test}, which only the test
 * resolver knows, so every request also shows that the connection goes to the vetted address
 * instead of a second lookup. Allow-all mode lets the steps reach loopback; the address filter has
 * its own tests in {@link AddressGuardTest} and below.
 */
class HttpStepTest {
  private static final String KEY = "idem-8f3a2c1d-0001";
  private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final byte[] PNG = png();

  private LocalServer server;
  private Resolvers.Table resolver;
  private HttpStep step;

  @BeforeEach
  void start() throws Exception {
    server = LocalServer.http();
    resolver = new Resolvers.Table("pinned.test", "127.0.0.1");
    step = step(HttpSettings.defaults(HostPolicy.allowAll()));
  }

  @AfterEach
  void stop() {
    step.close();
    server.close();
  }

  private HttpStep step(HttpSettings settings) throws Exception {
    return new HttpStep(settings, resolver, SSLContext.getDefault(), InstantSource.fixed(NOW));
  }

  private String url(String path) {
    return "http://pinned.test:" + server.port() + path;
  }

  private HttpCall.Plain call(String method, String path) {
    return new HttpCall.Plain(url(path), method, null, null, TIMEOUT);
  }

  private static HttpEnvelope completed(HttpOutcome outcome) {
    assertThat(outcome).isInstanceOf(HttpOutcome.Completed.class);
    return ((HttpOutcome.Completed) outcome).envelope();
  }

  private static String failed(HttpOutcome outcome) {
    assertThat(outcome).isInstanceOf(HttpOutcome.Failed.class);
    return ((HttpOutcome.Failed) outcome).message();
  }

  private static HttpOutcome.Transient retryable(HttpOutcome outcome) {
    assertThat(outcome).isInstanceOf(HttpOutcome.Transient.class);
    return (HttpOutcome.Transient) outcome;
  }

  @Test
  void getReturnsTheEnvelopeWithAJsonBodyAsText() throws Exception {
    server.handle(
        "/json",
        (request, exchange) ->
            respond(exchange, 200, "application/json", "{\"a\":[1,2]}".getBytes(UTF_8)));

    HttpEnvelope envelope = completed(step.execute(call("GET", "/json"), KEY));

    assertThat(envelope.status()).isEqualTo(200);
    assertThat(envelope.ok()).isTrue();
    assertThat(envelope.encoding()).isEqualTo("text");
    assertThat(envelope.body()).isEqualTo("{\"a\":[1,2]}");
    assertThat(envelope.headers()).containsEntry("content-type", "application/json");
    assertThat(envelope.durationMs()).isNotNegative();
  }

  @ParameterizedTest
  @ValueSource(strings = {"GET", "POST", "PUT", "DELETE", "PATCH", "patch"})
  void sendsTheMethodAndTheBodyVerbatim(String method) throws Exception {
    server.handle(
        "/echo", (request, exchange) -> respond(exchange, 200, "text/plain", request.body()));
    HttpCall call = new HttpCall.Plain(url("/echo"), method, "{\"name\":\"grüße\"}", null, TIMEOUT);

    HttpEnvelope envelope = completed(step.execute(call, KEY));

    LocalServer.Received received = server.takeRequest();
    assertThat(received.method()).isEqualTo(method.toUpperCase(Locale.ROOT));
    assertThat(new String(received.body(), UTF_8)).isEqualTo("{\"name\":\"grüße\"}");
    assertThat(received.header("Content-Type")).isNull();
    assertThat(envelope.body()).isEqualTo("{\"name\":\"grüße\"}");
  }

  @Test
  void sendsStringHeadersOnlyWithTheDefaultUserAgent() throws Exception {
    server.handle("/h", (request, exchange) -> respond(exchange, 204, null, new byte[0]));
    Map<String, Object> headers = new HashMap<>();
    headers.put("X-Text", "yes");
    headers.put("Authorization", "Bearer abc");
    headers.put("X-Number", 5);
    headers.put("X-Flag", true);
    headers.put("X-Null", null);
    headers.put("X-Object", Map.of("a", "b"));
    headers.put("Connection", "close");

    completed(step.execute(new HttpCall.Plain(url("/h"), "GET", null, headers, TIMEOUT), KEY));

    LocalServer.Received received = server.takeRequest();
    assertThat(received.header("X-Text")).isEqualTo("yes");
    assertThat(received.header("Authorization")).isEqualTo("Bearer abc");
    assertThat(received.headers()).doesNotContainKeys("X-number", "X-flag", "X-null", "X-object");
    assertThat(received.header("User-Agent")).isEqualTo("pg_durable/0.1.0-SNAPSHOT");
  }

  @Test
  void aUserAgentOfTheStepReplacesTheDefault() throws Exception {
    server.handle("/ua", (request, exchange) -> respond(exchange, 204, null, new byte[0]));

    completed(
        step.execute(
            new HttpCall.Plain(
                url("/ua"), "GET", null, Map.of("user-agent", "my-agent/2"), TIMEOUT),
            KEY));

    assertThat(server.takeRequest().headers().get("User-Agent")).containsExactly("my-agent/2");
  }

  @Test
  void responseHeadersKeepTheLastVisibleAsciiValueUnderLowerCaseNames() throws Exception {
    server.handle(
        "/headers",
        (request, exchange) -> {
          exchange.getResponseHeaders().add("X-Multi", "first");
          exchange.getResponseHeaders().add("X-Multi", "second");
          exchange.getResponseHeaders().add("X-Accent", "caf\u00e9");
          exchange.getResponseHeaders().add("X-Request-Id", "r-42");
          respond(exchange, 200, "text/plain", "ok".getBytes(UTF_8));
        });

    HttpEnvelope envelope = completed(step.execute(call("GET", "/headers"), KEY));

    assertThat(envelope.headers())
        .containsEntry("x-multi", "second")
        .containsEntry("x-request-id", "r-42")
        .doesNotContainKey("x-accent");
  }

  @Test
  void aRedirectIsReturnedNotFollowed() throws Exception {
    server.handle(
        "/start",
        (request, exchange) -> {
          exchange.getResponseHeaders().set("Location", "/target");
          respond(exchange, 302, null, new byte[0]);
        });
    server.handle("/target", (request, exchange) -> respond(exchange, 200, null, new byte[0]));

    HttpEnvelope envelope = completed(step.execute(call("GET", "/start"), KEY));

    assertThat(envelope.status()).isEqualTo(302);
    assertThat(envelope.ok()).isFalse();
    assertThat(envelope.headers()).containsEntry("location", "/target");
    assertThat(server.requests()).extracting(LocalServer.Received::path).containsExactly("/start");
  }

  @Test
  void textWithACharsetIsDecodedWithIt() throws Exception {
    server.handle(
        "/latin1",
        (request, exchange) ->
            respond(exchange, 200, "text/plain; charset=ISO-8859-1", "café".getBytes(ISO_8859_1)));

    HttpEnvelope envelope = completed(step.execute(call("GET", "/latin1"), KEY));

    assertThat(envelope.encoding()).isEqualTo("text");
    assertThat(envelope.body()).isEqualTo("café");
  }

  @Test
  void binaryBytesAreBase64() throws Exception {
    server.handle("/png", (request, exchange) -> respond(exchange, 200, "image/png", PNG));

    HttpEnvelope envelope = completed(step.execute(call("GET", "/png"), KEY));

    assertThat(envelope.encoding()).isEqualTo("base64");
    assertThat(Base64.getDecoder().decode(envelope.body())).isEqualTo(PNG);
  }

  @Test
  void utf8WithoutAContentTypeIsText() throws Exception {
    server.handle(
        "/untyped",
        (request, exchange) -> respond(exchange, 200, null, "ünïcødé ✓".getBytes(UTF_8)));

    HttpEnvelope envelope = completed(step.execute(call("GET", "/untyped"), KEY));

    assertThat(envelope.headers()).doesNotContainKey("content-type");
    assertThat(envelope.encoding()).isEqualTo("text");
    assertThat(envelope.body()).isEqualTo("ünïcødé ✓");
  }

  @Test
  void nulBytesWithoutAContentTypeAreBase64() throws Exception {
    byte[] body = {'a', 0, 'b'};
    server.handle("/nul", (request, exchange) -> respond(exchange, 200, null, body));

    HttpEnvelope envelope = completed(step.execute(call("GET", "/nul"), KEY));

    assertThat(envelope.encoding()).isEqualTo("base64");
    assertThat(envelope.body()).isEqualTo("YQBi");
  }

  @Test
  void notFoundCompletesWithOkFalse() throws Exception {
    server.handle(
        "/missing",
        (request, exchange) ->
            respond(exchange, 404, "text/plain", "no such thing".getBytes(UTF_8)));

    HttpEnvelope envelope = completed(step.execute(call("GET", "/missing"), KEY));

    assertThat(envelope.status()).isEqualTo(404);
    assertThat(envelope.ok()).isFalse();
    assertThat(envelope.body()).isEqualTo("no such thing");
  }

  @Test
  void aServerErrorFailsWithTheStartOfTheBody() throws Exception {
    String body = "e".repeat(500) + "0123456789abcdefghij".repeat(75);
    server.handle(
        "/boom", (request, exchange) -> respond(exchange, 500, "text/plain", body.getBytes(UTF_8)));

    String message = failed(step.execute(call("POST", "/boom"), KEY));

    assertThat(message)
        .isEqualTo(
            "POST "
                + url("/boom")
                + " returned HTTP 500: "
                + body.substring(0, 512)
                + " [truncated, 2000 bytes total]");
  }

  @Test
  void aShortServerErrorBodyIsNotMarkedTruncated() throws Exception {
    server.handle(
        "/boom",
        (request, exchange) -> respond(exchange, 501, "text/plain", "nope".getBytes(UTF_8)));

    assertThat(failed(step.execute(call("GET", "/boom"), KEY)))
        .isEqualTo("GET " + url("/boom") + " returned HTTP 501: nope");
  }

  @Test
  void serviceUnavailableWithRetryAfterIsTransient() throws Exception {
    server.handle(
        "/busy",
        (request, exchange) -> {
          exchange.getResponseHeaders().set("Retry-After", "7");
          respond(exchange, 503, "text/plain", "maintenance".getBytes(UTF_8));
        });

    HttpOutcome.Transient outcome = retryable(step.execute(call("GET", "/busy"), KEY));

    assertThat(outcome.retryAfter()).contains(Duration.ofSeconds(7));
    assertThat(outcome.message()).contains("HTTP 503").contains("maintenance");
    assertThat(failed(outcome.lastAttempt())).isEqualTo(outcome.message());
  }

  @ParameterizedTest
  @ValueSource(ints = {502, 504})
  void gatewayErrorsAreTransientWithoutRetryAfter(int status) throws Exception {
    server.handle("/gateway", (request, exchange) -> respond(exchange, status, null, new byte[0]));

    HttpOutcome.Transient outcome = retryable(step.execute(call("GET", "/gateway"), KEY));

    assertThat(outcome.retryAfter()).isEmpty();
    assertThat(failed(outcome.lastAttempt()))
        .isEqualTo("GET " + url("/gateway") + " returned HTTP " + status + " with an empty body");
  }

  @Test
  void tooManyRequestsIsTransientAndCompletesWhenNoAttemptIsLeft() throws Exception {
    String at =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plusSeconds(90).atOffset(ZoneOffset.UTC));
    server.handle(
        "/limited",
        (request, exchange) -> {
          exchange.getResponseHeaders().set("Retry-After", at);
          respond(exchange, 429, "application/json", "{\"error\":\"slow down\"}".getBytes(UTF_8));
        });

    HttpOutcome.Transient outcome = retryable(step.execute(call("POST", "/limited"), KEY));

    assertThat(outcome.retryAfter()).contains(Duration.ofSeconds(90));
    HttpEnvelope envelope = completed(outcome.lastAttempt());
    assertThat(envelope.status()).isEqualTo(429);
    assertThat(envelope.body()).isEqualTo("{\"error\":\"slow down\"}");
  }

  @Test
  void aTimeoutIsTransient() throws Exception {
    server.handle("/slow", (request, exchange) -> server.awaitRelease());
    HttpCall call = new HttpCall.Plain(url("/slow"), "GET", null, null, Duration.ofMillis(300));

    HttpOutcome.Transient outcome = retryable(step.execute(call, KEY));

    assertThat(outcome.message()).isEqualTo("GET " + url("/slow") + " timed out after 300ms");
    assertThat(failed(outcome.lastAttempt())).isEqualTo(outcome.message());
  }

  @Test
  void aBodyThatNeverEndsTimesOutToo() throws Exception {
    server.handle(
        "/trickle",
        (request, exchange) -> {
          exchange.sendResponseHeaders(200, 0);
          OutputStream out = exchange.getResponseBody();
          out.write("partial".getBytes(UTF_8));
          out.flush();
          server.awaitRelease();
        });
    HttpCall call = new HttpCall.Plain(url("/trickle"), "GET", null, null, Duration.ofMillis(300));

    assertThat(retryable(step.execute(call, KEY)).message()).contains("timed out after 300ms");
  }

  @Test
  void aRefusedConnectionIsTransient() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    String url = "http://pinned.test:" + closedPort + "/";

    HttpOutcome.Transient outcome =
        retryable(step.execute(new HttpCall.Plain(url, "GET", null, null, TIMEOUT), KEY));

    assertThat(outcome.message()).startsWith("GET " + url + " failed: cannot connect");
  }

  @Test
  void anUnresolvableHostIsTransient() throws Exception {
    HttpCall call = new HttpCall.Plain("http://nowhere.test/", "GET", null, null, TIMEOUT);

    assertThat(retryable(step.execute(call, KEY)).message())
        .startsWith("GET http://nowhere.test/ failed: cannot resolve host");
  }

  @Test
  void aResponseOverTheDeclaredLimitFails() throws Exception {
    server.handle(
        "/big", (request, exchange) -> respond(exchange, 200, "text/plain", new byte[2048]));

    try (HttpStep limited =
        step(HttpSettings.defaults(HostPolicy.allowAll()).withMaxResponseBytes(1024))) {
      assertThat(failed(limited.execute(call("GET", "/big"), KEY)))
          .isEqualTo(
              "GET "
                  + url("/big")
                  + " failed: the response declares 2048 bytes, over the limit of 1024 bytes;"
                  + " raise the response size limit or ask for less data");
    }
  }

  @Test
  void aStreamedResponseOverTheLimitFails() throws Exception {
    server.handle(
        "/stream",
        (request, exchange) -> {
          exchange.sendResponseHeaders(200, 0); // chunked: no declared length
          try (OutputStream out = exchange.getResponseBody()) {
            for (int i = 0; i < 64; i++) {
              out.write(new byte[256]);
              out.flush();
            }
          }
        });

    try (HttpStep limited =
        step(HttpSettings.defaults(HostPolicy.allowAll()).withMaxResponseBytes(1024))) {
      assertThat(failed(limited.execute(call("GET", "/stream"), KEY)))
          .contains("the response exceeded 1024 bytes, over the limit of 1024 bytes");
    }
  }

  @Test
  void aResponseAtTheLimitCompletes() throws Exception {
    server.handle(
        "/exact",
        (request, exchange) ->
            respond(exchange, 200, "text/plain", "x".repeat(1024).getBytes(UTF_8)));

    try (HttpStep limited =
        step(HttpSettings.defaults(HostPolicy.allowAll()).withMaxResponseBytes(1024))) {
      assertThat(completed(limited.execute(call("GET", "/exact"), KEY)).body()).hasSize(1024);
    }
  }

  @Test
  void multipartPartsArriveInOrderAndTheStepContentTypeIsDropped() throws Exception {
    server.handle(
        "/upload",
        (request, exchange) -> respond(exchange, 201, "application/json", "{}".getBytes(UTF_8)));
    String wrappedPng = Base64.getMimeEncoder(76, "\n".getBytes(UTF_8)).encodeToString(PNG);
    assertThat(wrappedPng).contains("\n");
    HttpCall call =
        new HttpCall.Multipart(
            url("/upload"),
            "post",
            List.of(
                new HttpCall.Part("meta", base64("{\"a\":1}"), null, "application/json"),
                new HttpCall.Part("file", wrappedPng, "pic \"1\".png", "image/png"),
                new HttpCall.Part("note", " " + base64("plain text") + "\n", null, null)),
            Map.of("content-TYPE", "text/plain", "X-Trace", "t-1"),
            TIMEOUT);

    assertThat(completed(step.execute(call, KEY)).status()).isEqualTo(201);

    LocalServer.Received received = server.takeRequest();
    String contentType = received.header("Content-Type");
    assertThat(received.headers().get("Content-Type")).hasSize(1);
    assertThat(contentType).startsWith("multipart/form-data; boundary=");
    assertThat(received.header("X-Trace")).isEqualTo("t-1");
    List<MultipartForm.FormPart> parts = MultipartForm.parse(contentType, received.body());
    assertThat(parts).hasSize(3);
    assertThat(parts.get(0).headers())
        .containsEntry("content-disposition", "form-data; name=\"meta\"")
        .containsEntry("content-type", "application/json");
    assertThat(parts.get(0).text()).isEqualTo("{\"a\":1}");
    assertThat(parts.get(1).headers())
        .containsEntry(
            "content-disposition", "form-data; name=\"file\"; filename=\"pic %221%22.png\"")
        .containsEntry("content-type", "image/png");
    assertThat(parts.get(1).data()).isEqualTo(PNG);
    assertThat(parts.get(2).headers()).doesNotContainKey("content-type");
    assertThat(parts.get(2).text()).isEqualTo("plain text");
  }

  @Test
  void invalidBase64FailsThePartByNameWithoutSending() throws Exception {
    server.handle("/upload", (request, exchange) -> respond(exchange, 201, null, new byte[0]));
    HttpCall call = multipart(new HttpCall.Part("file", "not*base64!", null, null));

    assertThat(failed(step.execute(call, KEY))).startsWith("Invalid base64 in part 'file'");
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void anInvalidMimeTypeFailsWithoutSending() throws Exception {
    server.handle("/upload", (request, exchange) -> respond(exchange, 201, null, new byte[0]));
    HttpCall call = multipart(new HttpCall.Part("file", base64("x"), "x.bin", "not a mime type"));

    assertThat(failed(step.execute(call, KEY)))
        .startsWith("Invalid content_type 'not a mime type' in part 'file'");
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void aPartWithoutNameFailsWithoutSending() throws Exception {
    server.handle("/upload", (request, exchange) -> respond(exchange, 201, null, new byte[0]));

    assertThat(
            failed(step.execute(multipart(new HttpCall.Part(null, base64("x"), null, null)), KEY)))
        .isEqualTo("Part 1 of the multipart request has no 'name' string");
    assertThat(
            failed(
                step.execute(
                    new HttpCall.Multipart(url("/upload"), "POST", List.of(), null, TIMEOUT), KEY)))
        .contains("at least one part");
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void idempotencyKeyIsSentOnPostButNotOnGet() throws Exception {
    server.handle("/pay", (request, exchange) -> respond(exchange, 200, null, new byte[0]));

    completed(step.execute(call("POST", "/pay"), KEY));
    completed(step.execute(call("GET", "/pay"), KEY));

    assertThat(server.takeRequest().header("Idempotency-Key")).isEqualTo(KEY);
    assertThat(server.takeRequest().header("Idempotency-Key")).isNull();
  }

  @Test
  void anIdempotencyKeyOfTheStepIsKept() throws Exception {
    server.handle("/pay", (request, exchange) -> respond(exchange, 200, null, new byte[0]));

    completed(
        step.execute(
            new HttpCall.Plain(
                url("/pay"), "PUT", "{}", Map.of("Idempotency-Key", "order-7"), TIMEOUT),
            KEY));

    assertThat(server.takeRequest().headers().get("Idempotency-Key")).containsExactly("order-7");
  }

  @Test
  void connectsToTheVettedAddressWithoutASecondLookup() throws Exception {
    server.handle("/where", (request, exchange) -> respond(exchange, 200, null, new byte[0]));
    HttpCall call =
        new HttpCall.Plain(url("/where"), "GET", null, Map.of("Host", "evil.example"), TIMEOUT);

    completed(step.execute(call, KEY));

    assertThat(resolver.lookups()).isEqualTo(1);
    assertThat(server.takeRequest().headers().get("Host"))
        .containsExactly("pinned.test:" + server.port());
  }

  @Test
  void theAddressFilterStopsLoopbackBeforeAnyByteIsSent() throws Exception {
    server.handle("/", (request, exchange) -> respond(exchange, 200, null, new byte[0]));

    try (HttpStep guarded = step(HttpSettings.defaults(HostPolicy.allowlist("pinned.test")))) {
      String message = failed(guarded.execute(call("GET", "/"), KEY));

      assertThat(message)
          .startsWith("Blocked: ")
          .contains("restricted range")
          .contains("127.0.0.1");
    }
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void gatesRunInOrderSchemeThenHostThenAddresses() throws Exception {
    try (HttpStep guarded = step(HttpSettings.defaults(HostPolicy.allowlist("api.example.com")))) {
      assertThat(
              failed(
                  guarded.execute(
                      new HttpCall.Plain("ftp://other.example/", "GET", null, null, TIMEOUT), KEY)))
          .contains("unsupported URL scheme");
      assertThat(failed(guarded.execute(call("GET", "/"), KEY))).contains("not in the allowed");
      assertThat(
              failed(
                  guarded.execute(
                      new HttpCall.Plain("http://127.0.0.1:1/", "GET", null, null, TIMEOUT), KEY)))
          .contains("bare IP");
    }
    assertThat(resolver.lookups()).isZero();
  }

  @Test
  void disabledModeRefusesEveryRequest() throws Exception {
    try (HttpStep disabled = step(HttpSettings.defaults(HostPolicy.disabled()))) {
      assertThat(failed(disabled.execute(call("GET", "/"), KEY)))
          .contains("outbound HTTP requests are disabled");
      assertThat(
              failed(
                  disabled.execute(
                      new HttpCall.Plain("ftp://x/", "GET", null, null, TIMEOUT), KEY)))
          .contains("outbound HTTP requests are disabled");
    }
    assertThat(resolver.lookups()).isZero();
  }

  @Test
  void unsupportedMethodsAndInvalidHeadersFailWithoutSending() throws Exception {
    server.handle("/", (request, exchange) -> respond(exchange, 200, null, new byte[0]));

    assertThat(failed(step.execute(call("HEAD", "/"), KEY)))
        .startsWith("Unsupported HTTP method 'HEAD' for df.http");
    assertThat(
            failed(
                step.execute(
                    new HttpCall.Multipart(
                        url("/"),
                        "GET",
                        List.of(new HttpCall.Part("a", "", null, null)),
                        null,
                        TIMEOUT),
                    KEY)))
        .startsWith("Unsupported HTTP method 'GET' for df.http_multipart");
    assertThat(
            failed(
                step.execute(
                    new HttpCall.Plain(
                        url("/"), "GET", null, Map.of("X-Bad", "a\r\nInjected: 1"), TIMEOUT),
                    KEY)))
        .startsWith("Invalid request header 'X-Bad'");
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void userInformationIsHiddenInMessages() throws Exception {
    server.handle("/secret", (request, exchange) -> respond(exchange, 500, null, new byte[0]));
    String url = "http://user:hunter2@pinned.test:" + server.port() + "/secret";

    assertThat(failed(step.execute(new HttpCall.Plain(url, "GET", null, null, TIMEOUT), KEY)))
        .doesNotContain("hunter2")
        .contains("http://***@pinned.test:" + server.port() + "/secret");
  }

  @Test
  void anInterruptAbandonsTheExchange() throws Exception {
    server.handle("/hang", (request, exchange) -> server.awaitRelease());
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread caller =
        Thread.ofVirtual()
            .start(() -> {
              try {
                step.execute(call("GET", "/hang"), KEY);
              } catch (Throwable e) {
                thrown.set(e);
              }
            });
    server.takeRequest();

    caller.interrupt();

    assertThat(caller.join(Duration.ofSeconds(5))).isTrue();
    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
  }

  private HttpCall multipart(HttpCall.Part part) {
    return new HttpCall.Multipart(url("/upload"), "POST", List.of(part), null, TIMEOUT);
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(UTF_8));
  }

  /** A PNG signature and IHDR chunk, padded: bytes that are not UTF-8. */
  private static byte[] png() {
    byte[] bytes = new byte[120];
    byte[] head = {
      (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0x0d, 'I', 'H', 'D', 'R'
    };
    System.arraycopy(head, 0, bytes, 0, head.length);
    for (int i = head.length; i < bytes.length; i++) {
      bytes[i] = (byte) (i * 37);
    }
    return bytes;
  }
}
