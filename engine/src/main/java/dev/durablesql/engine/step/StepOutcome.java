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

  /** The step failed and was rolled back; {@code error} is the node's error text. */
  record Failed(String error) implements StepOutcome {
    public Failed {
      requireNonNull(error, "error is null");
    }
  }
}
