package dev.durablesql.engine.run;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/** How executing a node ended, as the graph walk sees it. */
sealed interface Outcome {

  /** Finished with a result text (JSON, select-list order kept). */
  record Completed(String output) implements Outcome {
    public Completed {
      requireNonNull(output, "output is null");
    }
  }

  /** Failed; the error propagates up to the nearest node that handles it (R-EXEC-6). */
  record Failed(String error) implements Outcome {
    public Failed {
      requireNonNull(error, "error is null");
    }
  }

  /** A break unwinding to the nearest enclosing LOOP (R-EXEC-21); {@code value} is JSON. */
  record Broke(String value) implements Outcome {
    public Broke {
      requireNonNull(value, "value is null");
    }
  }

  /**
   * Waiting for a timer or a signal; {@code wakeAt} is the earliest deadline, empty when only a
   * signal can wake it. The instance is parked and claimed again when due.
   */
  record Suspended(Optional<Instant> wakeAt) implements Outcome {
    public Suspended {
      requireNonNull(wakeAt, "wakeAt is null");
    }

    Suspended earliest(Suspended other) {
      if (wakeAt.isEmpty()) {
        return other;
      }
      if (other.wakeAt.isEmpty()) {
        return this;
      }
      return wakeAt.get().isBefore(other.wakeAt.get()) ? this : other;
    }
  }
}
