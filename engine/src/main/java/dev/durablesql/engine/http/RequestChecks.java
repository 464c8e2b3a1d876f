package dev.durablesql.engine.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The checks that keep other web pages from acting through a user's browser: an {@code Origin} that
 * is not this server's (CSRF from another site), a missing or wrong CSRF token, and, while sign-in
 * is off, a {@code Host} that is not a loopback name (DNS rebinding).
 */
final class RequestChecks {
  static final HeaderName CSRF_HEADER = HeaderNames.create("X-CSRF-Token");
  private static final Set<String> LOOPBACK_NAMES =
      Set.of("127.0.0.1", "localhost", "[::1]", "::1");

  private RequestChecks() {}

  /**
   * Whether the request's {@code Origin}, when it has one, is this server as the browser reached
   * it: the same host and port as its {@code Host} (or {@code X-Forwarded-Host}, set by a proxy).
   * Browsers send {@code Origin} with every POST; other clients need no CSRF protection.
   */
  static boolean isSameOrigin(ServerRequest request) {
    Optional<String> origin = request.headers().first(HeaderNames.ORIGIN);
    if (origin.isEmpty()) {
      return true;
    }
    String authority;
    try {
      URI uri = new URI(origin.get().strip());
      if (uri.getHost() == null) {
        return false; // "null": a sandboxed frame, a file, a redirect across sites
      }
      authority = uri.getRawAuthority().toLowerCase(Locale.ROOT);
    } catch (URISyntaxException e) {
      return false;
    }
    return matches(authority, request.headers().first(HeaderNames.HOST))
        || matches(authority, request.headers().first(HeaderNames.X_FORWARDED_HOST));
  }

  private static boolean matches(String originAuthority, Optional<String> host) {
    return host.map(h -> h.strip().toLowerCase(Locale.ROOT))
        .filter(h -> h.equals(originAuthority) || withoutDefaultPort(h).equals(originAuthority))
        .isPresent();
  }

  private static String withoutDefaultPort(String host) {
    return host.endsWith(":80") || host.endsWith(":443")
        ? host.substring(0, host.lastIndexOf(':'))
        : host;
  }

  /** Whether the request names this server by a loopback name in its {@code Host} header. */
  static boolean hasLoopbackHost(ServerRequest request) {
    Optional<String> host = request.headers().first(HeaderNames.HOST);
    if (host.isEmpty()) {
      return false;
    }
    String name = host.get().strip().toLowerCase(Locale.ROOT);
    if (name.startsWith("[")) {
      int end = name.indexOf(']');
      name = end < 0 ? name : name.substring(0, end + 1);
    } else if (name.indexOf(':') >= 0) {
      name = name.substring(0, name.indexOf(':'));
    }
    return LOOPBACK_NAMES.contains(name);
  }

  /** Whether the request carries the session's CSRF token (compared in constant time). */
  static boolean hasCsrfToken(ServerRequest request, Session session) {
    Optional<String> token = request.headers().first(CSRF_HEADER);
    return token.isPresent()
        && MessageDigest.isEqual(
            token.get().getBytes(StandardCharsets.UTF_8),
            session.csrfToken().getBytes(StandardCharsets.UTF_8));
  }

  /** The value of cookie {@code name}, if the request has it. */
  static Optional<String> cookie(ServerRequest request, String name) {
    for (String header : request.headers().values(HeaderNames.COOKIE)) {
      for (String part : header.split(";", -1)) {
        int equals = part.indexOf('=');
        if (equals > 0 && part.substring(0, equals).strip().equals(name)) {
          return Optional.of(part.substring(equals + 1).strip());
        }
      }
    }
    return Optional.empty();
  }
}
