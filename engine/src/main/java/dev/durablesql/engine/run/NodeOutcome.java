package dev.durablesql.engine.run;

import static java.util.Objects.requireNonNull;

/** How a node ended: with its result text, or with an error that propagates upwards. */
sealed interface NodeOutcome {

  record Completed(String output) implements NodeOutcome {
    public Completed {
      requireNonNull(output, "output is null");
    }
  }

  record Failed(String error) implements NodeOutcome {
    public Failed {
      requireNonNull(error, "error is null");
    }
  }
}
