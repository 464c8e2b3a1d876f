package dev.durablesql.activity;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What an activity knows about the step it runs, and what the engine offers it. Created by the
 * engine for one attempt and used from the thread that runs {@link Activity#execute} (pass values,
 * not the context, to other threads). No method returns {@code null}.
 */
public interface ActivityContext {

  /** The workflow instance, 8 lower-case hex characters. */
  String instanceId();

  /** The node of the instance's graph this step executes, 8 lower-case hex characters. */
  String nodeId();

  /** 1 for the first try, incremented by every retry; survives engine restarts. */
  int attempt();

  /** The PostgreSQL role that started the instance; effects should be done on its behalf. */
  String submittedBy();

  /**
   * The step's configuration after substitution: every string value inside it has had its {@code
   * $name} and {@code {var}} references replaced (raw mode of SPEC.md §8). Unmodifiable; the same
   * JSON shapes as {@link Activity#execute}'s result.
   */
  Map<String, Object> config();

  /**
   * A key that is the same for every run of this attempt and differs between attempts and steps;
   * send it to targets that de-duplicate, such as an {@code Idempotency-Key} header.
   */
  String idempotencyKey();

  /**
   * The instant after which the engine gives up on this attempt: the node's {@code df.timeout}, or
   * the engine's activity timeout. Set I/O timeouts from it; the engine interrupts the thread when
   * it passes.
   */
  Instant deadline();

  /**
   * Whether the step was cancelled (the instance was cancelled or lost a race) or the engine is
   * stopping. The engine also interrupts the thread, so blocking calls end early.
   */
  default boolean isCancelled() {
    return Thread.currentThread().isInterrupted();
  }

  /**
   * A logger whose messages go to the engine's log, tagged with the instance and node. Never log
   * secrets: the engine's log is read by operators.
   */
  default System.Logger logger() {
    return System.getLogger("dev.durablesql.activity." + instanceId());
  }

  /**
   * A setting from the engine's configuration for this activity type: {@code setting("api-key")} of
   * activity {@code embed} reads the engine setting {@code embed.api-key}; for a plugin type {@code
   * checksum} it reads {@code plugin.checksum.api-key} (see docs/activities.md). Empty when it is
   * not set.
   */
  default Optional<String> setting(String name) {
    return Optional.empty();
  }

  /**
   * Opens a connection to the instance's database logged in as {@link #submittedBy()}, so row-level
   * security and grants apply to the activity as they do to SQL steps. The connection is in
   * auto-commit mode and comes from the engine's per-role pool; close it (try-with-resources)
   * before returning. Work done on it is not part of the step's checkpoint: it is at least once.
   *
   * @throws SQLException when no connection can be had, e.g. the role cannot log in or the pool
   *     stays exhausted past the engine's acquire timeout
   */
  default Connection openConnection() throws SQLException {
    throw new SQLException("this engine offers no database connections to activities");
  }

  /** Values the engine sets for tracing, such as {@code traceparent}; empty when none. */
  default Map<String, String> traceHeaders() {
    return Map.of();
  }
}
