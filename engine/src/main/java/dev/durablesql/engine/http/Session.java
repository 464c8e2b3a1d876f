package dev.durablesql.engine.http;

import java.time.Instant;

/**
 * A signed-in browser: a random id (the cookie), the role it acts as, the token its POST requests
 * must carry (CSRF), and when it lapses unless used.
 */
record Session(String id, String role, String csrfToken, Instant expiresAt) {
  Session withExpiry(Instant value) {
    return new Session(id, role, csrfToken, value);
  }
}
