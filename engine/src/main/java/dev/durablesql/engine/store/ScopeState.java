package dev.durablesql.engine.store;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A scope's durable state (R-EXEC-2): its current generation, its named results (name → exact
 * result text) and when its current loop iteration started.
 */
public record ScopeState(
    int generation, Map<String, String> results, Optional<Instant> iterationStartedAt) {

  public ScopeState {
    requireNonNull(results, "results is null");
    requireNonNull(iterationStartedAt, "iterationStartedAt is null");
    results = Map.copyOf(results);
  }
}
