package dev.durablesql.engine.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A real HTTP server on 127.0.0.1 for activity tests: each path answers with a queue of scripted
 * responses (the last one repeats), and every request is recorded with its method, headers and
 * body.
 */
public final class StubServer implements AutoCloseable {
  private final HttpServer server;
  private final Map<String, Deque<Reply>> replies = new ConcurrentHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();

  /** A scripted response. */
  public record Reply(int status, Map<String, String> headers, byte[] body, long delayMillis) {
    public static Reply of(int status, String body) {
      return new Reply(status, Map.of(), body.getBytes(java.nio.charset.StandardCharsets.UTF_8), 0);
    }

    public Reply withHeader(String name, String value) {
      Map<String, String> copy = new TreeMap<>(headers);
      copy.put(name, value);
      return new Reply(status, copy, body, delayMillis);
    }

    public Reply delayedBy(long millis) {
      return new Reply(status, headers, body, millis);
    }
  }

  /** A request the server received; header names in lower case. */
  public record Request(String method, String path, Map<String, String> headers, byte[] body) {
    public String bodyText() {
      return new String(body, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  public StubServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", this::handle);
    server.start();
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Answers requests to {@code path} with {@code script} in turn; the last reply repeats. */
  public void script(String path, Reply... script) {
    replies.put(path, new ConcurrentLinkedDeque<>(List.of(script)));
  }

  public List<Request> requests(String path) {
    List<Request> found = new ArrayList<>();
    for (Request request : requests) {
      if (request.path().equals(path)) {
        found.add(request);
      }
    }
    return found;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      Map<String, String> headers = new TreeMap<>();
      exchange
          .getRequestHeaders()
          .forEach((name, values) ->
              headers.put(name.toLowerCase(java.util.Locale.ROOT), values.get(0)));
      String path = exchange.getRequestURI().getPath();
      requests.add(new Request(exchange.getRequestMethod(), path, headers, body));
      Deque<Reply> script = replies.get(path);
      Reply reply = script == null ? Reply.of(404, "no script for " + path) : next(script);
      if (reply.delayMillis() > 0) {
        try {
          Thread.sleep(reply.delayMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      reply.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
      exchange.sendResponseHeaders(
          reply.status(), reply.body().length == 0 ? -1 : reply.body().length);
      if (reply.body().length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(reply.body());
        }
      }
    }
  }

  private static Reply next(Deque<Reply> script) {
    Reply reply = script.size() > 1 ? script.pollFirst() : script.peekFirst();
    return reply == null ? Reply.of(500, "script empty") : reply;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
