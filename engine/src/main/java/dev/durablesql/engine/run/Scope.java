package dev.durablesql.engine.run;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One durable execution context (R-EXEC-2): the instance's root scope, a JOIN/RACE branch, or a
 * loop that is not the root of its scope. Its generation counts loop iterations; its named results
 * are what {@code $name} references see.
 */
final class Scope {
  private final String id;
  private final String key;
  private final boolean instanceRoot;
  private int generation;
  private final Map<String, String> results;

  Scope(String id, boolean instanceRoot, int generation, Map<String, String> results) {
    this(id, id, instanceRoot, generation, results);
  }

  private Scope(
      String id, String key, boolean instanceRoot, int generation, Map<String, String> results) {
    this.id = requireNonNull(id, "id is null");
    this.key = requireNonNull(key, "key is null");
    this.instanceRoot = instanceRoot;
    this.generation = generation;
    this.results = new LinkedHashMap<>(requireNonNull(results, "results is null"));
  }

  /**
   * Row {@code row} (from 1) of a MAP whose rows run in the child scope {@code mapScopeId}: that
   * scope's generation {@code row} (R-EXT-3). Rows run side by side, so each keeps its named
   * results under its own stamp.
   */
  static Scope mapRow(String mapScopeId, int row, Map<String, String> results) {
    return new Scope(mapScopeId, mapScopeId + "::" + row, false, row, results);
  }

  String id() {
    return id;
  }

  /** Where the scope's named results are kept: its id, or a map row's stamp. */
  String key() {
    return key;
  }

  /** Whether this is the instance's root scope (whose loops reset named results, R-EXEC-18). */
  boolean isInstanceRoot() {
    return instanceRoot;
  }

  int generation() {
    return generation;
  }

  void nextGeneration() {
    generation++;
  }

  /** The stamp of writes in this scope's current generation: {@code <scope id>::<generation>}. */
  String stamp() {
    return id + "::" + generation;
  }

  /** The id of a child scope rooted at {@code nodeId} (R-EXEC-2). */
  String childId(String nodeId) {
    return stamp() + "::" + nodeId;
  }

  Map<String, String> results() {
    return results;
  }
}
