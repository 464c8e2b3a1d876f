package dev.durablesql.engine.step;

import static java.util.Objects.requireNonNull;

/** How one attempt of a step ended. */
public sealed interface StepOutcome {

  /** The step committed together with its checkpoint; {@code output} is its result text. */
  record Completed(String output) implements StepOutcome {
    public Completed {
      requireNonNull(output, "output is null");
    }
  }

  /**
   * The step failed and was rolled back; {@code error} is the node's error text. {@code
   * transientFailure} says whether another attempt may succeed (lost connections, serialization
   * failures, deadlocks, too many connections, a server shutting down: R-DIFF-2).
   */
  record Failed(String error, boolean transientFailure) implements StepOutcome {
    public Failed {
      requireNonNull(error, "error is null");
    }

    /** A deterministic failure: trying again would fail again. */
    public static Failed permanent(String error) {
      return new Failed(error, false);
    }
  }
}
