package dev.durablesql.activities.http;

import static org.assertj.core.api.Assertions.fail;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/** The JDK's HTTP server on 127.0.0.1: records every request and answers with given handlers. */
final class LocalServer implements AutoCloseable {

  /** A request as the server received it. */
  record Received(String method, String path, Headers headers, byte[] body) {
    /** The first value of a header, or null. */
    String header(String name) {
      return headers.getFirst(name);
    }
  }

  /** Answers one request; may block until {@link LocalServer#awaitRelease()} returns. */
  @FunctionalInterface
  interface Handler {
    void handle(Received request, HttpExchange exchange) throws IOException, InterruptedException;
  }

  private final HttpServer server;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
  private final List<Received> all = new ArrayList<>();
  private final CountDownLatch released = new CountDownLatch(1);

  private LocalServer(HttpServer server) {
    this.server = server;
    server.setExecutor(threads);
    server.start();
  }

  static LocalServer http() throws IOException {
    return new LocalServer(HttpServer.create(loopback(), 0));
  }

  static LocalServer https(SSLContext serverContext) throws IOException {
    HttpsServer server = HttpsServer.create(loopback(), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(serverContext));
    return new LocalServer(server);
  }

  private static InetSocketAddress loopback() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  }

  int port() {
    return server.getAddress().getPort();
  }

  /** Serves {@code path} (and everything below it) with {@code handler}. */
  void handle(String path, Handler handler) {
    server.createContext(
        path,
        exchange -> {
          try (exchange) {
            Received request =
                new Received(
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().toString(),
                    exchange.getRequestHeaders(),
                    exchange.getRequestBody().readAllBytes());
            synchronized (all) {
              all.add(request);
            }
            received.add(request);
            handler.handle(request, exchange);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
  }

  /** The next request received, waiting up to 5 seconds for it. */
  Received takeRequest() throws InterruptedException {
    Received request = received.poll(5, TimeUnit.SECONDS);
    if (request == null) {
      fail("the server received no request within 5 seconds");
    }
    return request;
  }

  /** Every request received so far. */
  List<Received> requests() {
    synchronized (all) {
      return List.copyOf(all);
    }
  }

  /** Blocks a handler until the server closes: a server that never answers. */
  void awaitRelease() throws InterruptedException {
    released.await();
  }

  static void respond(HttpExchange exchange, int status, String contentType, byte[] body)
      throws IOException {
    if (contentType != null) {
      exchange.getResponseHeaders().set("Content-Type", contentType);
    }
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    released.countDown();
    server.stop(0);
    threads.close();
  }
}
