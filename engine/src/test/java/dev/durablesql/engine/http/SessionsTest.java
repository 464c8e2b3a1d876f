package dev.durablesql.engine.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Sessions lapse after the timeout without use; each use pushes the lapse back. */
class SessionsTest {
  private final AtomicReference<Instant> now =
      new AtomicReference<>(Instant.parse("2025-01-01T00:00:00Z"));

  private Sessions sessionsAt() {
    InstantSource clock = now::get;
    return new Sessions(Duration.ofMinutes(30), clock);
  }

  @Test
  void aSessionLapsesAfterTheTimeoutWithoutUse() {
    Sessions store = sessionsAt();
    Session session = store.create("alice");

    now.set(now.get().plus(Duration.ofMinutes(29)));
    boolean liveAfter29 = store.find(session.id()).isPresent();
    now.set(now.get().plus(Duration.ofMinutes(29)));
    boolean liveAfterUse = store.find(session.id()).isPresent();
    now.set(now.get().plus(Duration.ofMinutes(31)));
    boolean liveAfterIdle = store.find(session.id()).isPresent();

    assertThat(liveAfter29).isTrue();
    assertThat(liveAfterUse).isTrue();
    assertThat(liveAfterIdle).isFalse();
  }

  @Test
  void idsAndTokensAreRandom256Bits() {
    Sessions store = sessionsAt();

    Session one = store.create("alice");
    Session two = store.create("alice");

    assertThat(one.id()).hasSize(43).isNotEqualTo(two.id());
    assertThat(one.csrfToken()).hasSize(43).isNotEqualTo(one.id()).isNotEqualTo(two.csrfToken());
    assertThat(store.find("unknown")).isEmpty();
    assertThat(store.find(null)).isEmpty();
  }

  @Test
  void removedSessionsAreGone() {
    Sessions store = sessionsAt();
    Session session = store.create("bob");

    store.remove(session.id());

    assertThat(store.find(session.id())).isEmpty();
  }
}
