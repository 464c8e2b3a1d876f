package dev.durablesql.activity;

import java.time.Instant;
import java.util.Map;

/**
 * What an activity knows about the step it runs. Created by the engine for one attempt; safe to
 * read from the activity's thread only. No method returns {@code null}.
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

  /** The step's configuration after substitution of variables and named results. */
  Map<String, Object> config();

  /**
   * A key that is the same for every run of this attempt and differs between attempts and steps;
   * send it to targets that de-duplicate, such as an {@code Idempotency-Key} header.
   */
  String idempotencyKey();

  /** The instant after which the engine gives up on this attempt. */
  Instant deadline();
}
