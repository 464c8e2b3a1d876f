package dev.durablesql.engine.http;

import static java.util.Objects.requireNonNull;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server-side session store: sessions live in memory (an engine restart signs everyone out),
 * each lapses after the timeout without a request, and ids and CSRF tokens are 256 random bits.
 */
final class Sessions {
  /** Most live sessions at once; beyond it, sign-ins are refused until some lapse. */
  static final int MAX_SESSIONS = 10_000;

  private final Duration timeout;
  private final InstantSource clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Session> byId = new ConcurrentHashMap<>();

  Sessions(Duration timeout, InstantSource clock) {
    this.timeout = requireNonNull(timeout, "timeout is null");
    this.clock = requireNonNull(clock, "clock is null");
  }

  /**
   * A new session for {@code role}.
   *
   * @throws IllegalStateException when {@link #MAX_SESSIONS} are live
   */
  Session create(String role) {
    requireNonNull(role, "role is null");
    if (byId.size() >= MAX_SESSIONS) {
      removeExpired();
      if (byId.size() >= MAX_SESSIONS) {
        throw new IllegalStateException(
            MAX_SESSIONS + " dashboard sessions are live; try again when some have lapsed");
      }
    }
    Session session =
        new Session(randomToken(), role, randomToken(), clock.instant().plus(timeout));
    byId.put(session.id(), session);
    return session;
  }

  /** The live session with this id, its lapse pushed back; empty when unknown or lapsed. */
  Optional<Session> find(String id) {
    if (id == null) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    Session touched =
        byId.computeIfPresent(
            id,
            (key, session) ->
                now.isBefore(session.expiresAt()) ? session.withExpiry(now.plus(timeout)) : null);
    return Optional.ofNullable(touched);
  }

  void remove(String id) {
    if (id != null) {
      byId.remove(id);
    }
  }

  private void removeExpired() {
    Instant now = clock.instant();
    byId.values().removeIf(session -> !now.isBefore(session.expiresAt()));
  }

  private String randomToken() {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
