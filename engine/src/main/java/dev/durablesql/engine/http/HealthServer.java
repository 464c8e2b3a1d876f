package dev.durablesql.engine.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.durablesql.engine.EngineException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Serves {@code /health/live}, {@code /health/ready} and {@code /metrics} (Prometheus) on the JDK's
 * built-in HTTP server, one virtual thread per request. A stop-gap until the dashboard issue picks
 * the server library for the dashboard and metrics; it has no dependencies, so it is cheap to
 * replace.
 */
public final class HealthServer implements AutoCloseable {
  /** The Prometheus text exposition format that Micrometer's registry writes. */
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;

  private HealthServer(HttpServer server) {
    this.server = server;
  }

  /**
   * Starts on {@code bind:port}; port 0 means no server (a no-op object is returned). {@code
   * /health/ready} answers 503 while {@code ready} says no.
   */
  public static HealthServer startIfEnabled(
      String bind, int port, BooleanSupplier ready, Supplier<String> metrics) {
    if (port == 0) {
      return new HealthServer(null);
    }
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(bind, port), 0);
      server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
      server.createContext("/health/live", exchange -> reply(exchange, 200, "{\"status\":\"UP\"}"));
      server.createContext(
          "/health/ready",
          exchange -> {
            boolean up = ready.getAsBoolean();
            reply(exchange, up ? 200 : 503, up ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}");
          });
      server.createContext(
          "/metrics", exchange -> reply(exchange, 200, PROMETHEUS_TEXT, metrics.get()));
      server.createContext(
          "/",
          exchange ->
              reply(
                  exchange,
                  exchange.getRequestURI().getPath().equals("/") ? 200 : 404,
                  "{\"service\":\"durable-sql\",\"health\":\"/health/ready\"}"));
      server.start();
      return new HealthServer(server);
    } catch (BindException e) {
      throw new EngineException(
          "HTTP port "
              + port
              + " on "
              + bind
              + " is already in use; stop whatever listens there or choose another --http-port",
          e);
    } catch (IOException e) {
      throw new EngineException("cannot start the HTTP server on " + bind + ":" + port, e);
    }
  }

  /** The address served, e.g. {@code http://127.0.0.1:8080/}; empty when disabled. */
  public String url() {
    if (server == null) {
      return "";
    }
    InetSocketAddress address = server.getAddress();
    return "http://" + address.getHostString() + ":" + address.getPort() + "/";
  }

  private static void reply(HttpExchange exchange, int status, String json) throws IOException {
    reply(exchange, status, "application/json", json);
  }

  private static void reply(HttpExchange exchange, int status, String type, String text)
      throws IOException {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop(0);
    }
  }
}
