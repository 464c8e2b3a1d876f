package dev.durablesql.engine.store;

import java.io.Serial;

/**
 * This engine no longer holds the instance: its lease lapsed and another engine claimed it. The
 * runner stops at once and writes nothing more; the new holder resumes from the checkpoints.
 */
public final class LeaseLostException extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  public LeaseLostException(String instanceId) {
    super(
        "the lease on instance "
            + instanceId
            + " was taken over by another engine; this engine stops working on it");
  }
}
