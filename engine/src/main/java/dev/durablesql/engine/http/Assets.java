package dev.durablesql.engine.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The dashboard's static files (HTML, CSS, plain JavaScript; no build step), read once from the
 * jar's {@code dev/durablesql/engine/http/assets/} folder. Only the files listed here are served,
 * so a request path never reaches the class path.
 */
final class Assets {
  private static final List<String> FILES =
      List.of("index.html", "dashboard.css", "dashboard.js", "graph.js", "favicon.svg");

  /** A file's bytes and its content type. */
  record Asset(byte[] bytes, String contentType) {}

  private final Map<String, Asset> byName = new HashMap<>();

  Assets() {
    for (String name : FILES) {
      try (InputStream in = Assets.class.getResourceAsStream("assets/" + name)) {
        if (in == null) {
          throw new IllegalStateException("dashboard file assets/" + name + " is not in the jar");
        }
        byName.put(name, new Asset(in.readAllBytes(), contentType(name)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read dashboard file assets/" + name, e);
      }
    }
  }

  Optional<Asset> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  private static String contentType(String name) {
    if (name.endsWith(".html")) {
      return "text/html; charset=utf-8";
    }
    if (name.endsWith(".css")) {
      return "text/css; charset=utf-8";
    }
    if (name.endsWith(".js")) {
      return "text/javascript; charset=utf-8";
    }
    return "image/svg+xml";
  }
}
