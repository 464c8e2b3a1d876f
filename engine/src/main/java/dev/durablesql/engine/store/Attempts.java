package dev.durablesql.engine.store;

import java.util.Optional;

/**
 * Attempts a step has spent so far (R-DIFF-2), the error of the last one, and the scope stamp they
 * were spent under (empty for counts written before stamps were recorded).
 */
public record Attempts(int used, Optional<String> lastError, Optional<String> stamp) {

  public static Attempts none() {
    return new Attempts(0, Optional.empty(), Optional.empty());
  }

  /**
   * These attempts if they were spent under {@code current}, else none: each loop iteration (a new
   * scope generation) starts with a full retry budget.
   */
  public Attempts under(String current) {
    return stamp.isEmpty() || stamp.get().equals(current) ? this : none();
  }
}
