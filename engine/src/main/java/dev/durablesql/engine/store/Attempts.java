package dev.durablesql.engine.store;

import java.util.Optional;

/** Attempts a step has spent so far (R-DIFF-2), and the error of the last one. */
public record Attempts(int used, Optional<String> lastError) {

  public static Attempts none() {
    return new Attempts(0, Optional.empty());
  }
}
