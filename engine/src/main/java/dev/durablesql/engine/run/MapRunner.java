package dev.durablesql.engine.run;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.durablesql.engine.claim.ClaimedInstance;
import dev.durablesql.engine.step.RetryPolicy;
import dev.durablesql.engine.step.RetryingStep;
import dev.durablesql.engine.step.SqlStep;
import dev.durablesql.engine.step.StepOutcome;
import dev.durablesql.engine.store.Attempts;
import dev.durablesql.engine.store.GraphNode;
import dev.durablesql.engine.store.InstanceStore;
import dev.durablesql.engine.store.LoadedInstance;
import dev.durablesql.engine.store.MapStore;
import dev.durablesql.engine.store.ScopeState;
import dev.durablesql.engine.store.ScopeStore;
import dev.durablesql.engine.substitution.Substitution;
import dev.durablesql.engine.substitution.SubstitutionException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs the MAP nodes of one walk of an instance (R-EXT-3). A map reads its rows once: its rows
 * query runs as a step of the MAP node whose checkpoint stores the rows. Then the body runs once
 * per row, at most max_parallel rows at a time, each on a virtual thread of its own, with {@code
 * $item} bound to the row. The rows run in the child scope {@code <MAP stamp>::<MAP id>}, row n
 * (from 1) as its generation n, so that stamps tell rows apart as they tell loop iterations apart
 * (R-EXEC-25).
 *
 * <p>All rows share the body's df.nodes rows, so how each node inside a row ended is kept per stamp
 * (df_engine.map_outputs) instead: a SQL step's checkpoint writes its record, the engine records
 * the others. A resumed map runs only the rows that did not end, and inside them only the nodes
 * that did not. df.nodes shows the map's progress on the MAP node while it runs, and its body as
 * one row ran it (the failing row, or the last) when it ends.
 */
final class MapRunner {
  /** R-EXT-3: the most rows one map runs its body for. */
  static final int MAX_ROWS = 100_000;

  private static final int DEFAULT_PARALLEL = 8;
  private static final long PROGRESS_INTERVAL_NANOS = Duration.ofMillis(250).toNanos();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Runs the body of one row in that row's scope. */
  interface Body {
    Outcome run(Scope row, Cancellation cancellation) throws InterruptedException;
  }

  /** How one row's run ended: its outcome, or what it threw. */
  private record RowEnd(int index, Outcome outcome, Throwable thrown) {}

  private final ClaimedInstance claim;
  private final LoadedInstance instance;
  private final InstanceStore store;
  private final ScopeStore scopes;
  private final RetryingStep sqlStep;
  private final Substitution.Variables variables;
  private final Map<String, ScopeState> savedScopes;
  private final ExecutorService threads;

  /** The nodes inside some MAP's body: their state is kept per stamp. */
  private final Set<String> bodyNodes;

  /** How nodes inside map rows ended, by {@code <stamp>/<node id>}. */
  private final Map<String, Outcome> ended = new ConcurrentHashMap<>();

  /** The map scopes whose records are loaded (with everything under them). */
  private final Set<String> loadedScopes = ConcurrentHashMap.newKeySet();

  MapRunner(
      ClaimedInstance claim,
      LoadedInstance instance,
      InstanceStore store,
      ScopeStore scopes,
      RetryingStep sqlStep,
      Substitution.Variables variables,
      Map<String, ScopeState> savedScopes,
      ExecutorService threads) {
    this.claim = requireNonNull(claim, "claim is null");
    this.instance = requireNonNull(instance, "instance is null");
    this.store = requireNonNull(store, "store is null");
    this.scopes = requireNonNull(scopes, "scopes is null");
    this.sqlStep = requireNonNull(sqlStep, "sqlStep is null");
    this.variables = requireNonNull(variables, "variables is null");
    this.savedScopes = requireNonNull(savedScopes, "savedScopes is null");
    this.threads = requireNonNull(threads, "threads is null");
    this.bodyNodes = bodyNodes(instance);
  }

  /** Whether the node is inside a MAP's body, so that its state is kept per stamp. */
  boolean isBodyNode(String nodeId) {
    return bodyNodes.contains(nodeId);
  }

  /** How a node inside a map row ended in the scope generation {@code stamp}, if it did. */
  Optional<Outcome> finished(String nodeId, String stamp) {
    return Optional.ofNullable(ended.get(stamp + "/" + nodeId));
  }

  /**
   * Records a status write of a node inside a map row. {@code running} is not recorded: the rows
   * share the node's df.nodes row, which shows the map's body when the map ends.
   */
  void write(
      String nodeId, String stamp, String status, String result, boolean json, boolean broke) {
    if (status.equals("running")) {
      return;
    }
    boolean failed = status.equals("failed");
    String text = result == null ? "null" : result;
    scopes.maps().writeOutput(claim, new MapStore.Output(stamp, nodeId, failed, text, broke), json);
    ended.put(stamp + "/" + nodeId, outcome(failed, text, broke));
  }

  private static Outcome outcome(boolean failed, String output, boolean broke) {
    if (failed) {
      return new Outcome.Failed(output);
    }
    return broke ? new Outcome.Broke(output) : new Outcome.Completed(output);
  }

  /**
   * Executes a MAP node in {@code scope}.
   *
   * @param body runs the body for one row
   * @param checkContinue throws when the instance was cancelled, the branch lost its RACE or the
   *     engine stops
   */
  Outcome execute(
      GraphNode node,
      Scope scope,
      RetryPolicy retry,
      Cancellation cancellation,
      Body body,
      Consumer<Cancellation> checkContinue)
      throws InterruptedException {
    JsonNode config = parse(node.query().orElse("{}"));
    JsonNode parallel = config.path("max_parallel");
    int maxParallel =
        parallel.canConvertToInt() && parallel.asInt() >= 1 ? parallel.asInt() : DEFAULT_PARALLEL;
    String rows;
    Optional<String> stored = scopes.maps().rows(claim.id(), node.id(), scope.stamp());
    if (stored.isPresent()) {
      rows = stored.get();
    } else {
      Outcome read =
          readRows(node, config.path("rows_query").asText(""), scope, retry, cancellation);
      checkContinue.accept(cancellation);
      if (!(read instanceof Outcome.Completed completed)) {
        return read;
      }
      rows = completed.output();
    }
    return new MapRun(node, scope, EncodedRows.split(rows), maxParallel, cancellation)
        .run(body, checkContinue);
  }

  /** Runs the rows query as the submitting role; its checkpoint stores the rows. */
  private Outcome readRows(
      GraphNode node, String query, Scope scope, RetryPolicy retry, Cancellation cancellation)
      throws InterruptedException {
    String sql;
    try {
      sql = new Substitution(variables, scope.results()).substitute(query, Substitution.Mode.SQL);
    } catch (SubstitutionException e) {
      return new Outcome.Failed("MAP rows query: " + e.getMessage());
    }
    Attempts spent = instance.attempts(node.id()).under(scope.stamp());
    StepOutcome step =
        sqlStep.runRowsQuery(
            new SqlStep.Target(
                claim,
                node.id(),
                instance.role().orElseThrow(),
                instance.database(),
                scope.stamp(),
                cancellation,
                instance.policy(node.id()).timeout(),
                scope.key(),
                Optional.empty()),
            sql,
            MAX_ROWS,
            retry,
            spent.used(),
            spent.lastError().orElse(null),
            (attempt, error) ->
                store.recordFailedAttempt(claim, node.id(), scope.stamp(), attempt, error));
    return switch (step) {
      case StepOutcome.Completed completed -> new Outcome.Completed(completed.output());
      case StepOutcome.Failed failed ->
          new Outcome.Failed("MAP rows query failed: " + failed.error());
    };
  }

  /** One run of a MAP node over its rows. */
  private final class MapRun {
    private final GraphNode node;
    private final Scope scope;
    private final GraphNode bodyRoot;
    private final List<String> rows;
    private final int maxParallel;
    private final Cancellation cancellation;
    private final String mapScope;
    private final Map<String, String> inherited;
    private final Outcome[] outcomes;

    /** Whether df.nodes shows this map (not when it is itself inside another map's rows). */
    private final boolean shown;

    private int done;
    private int failed;
    private long progressWrittenAt;
    private int shownCount = -1;

    MapRun(
        GraphNode node,
        Scope scope,
        List<String> rows,
        int maxParallel,
        Cancellation cancellation) {
      this.node = node;
      this.scope = scope;
      this.bodyRoot =
          instance.node(
              node.left()
                  .orElseThrow(
                      () -> new IllegalStateException("MAP node " + node.id() + " has no body")));
      this.rows = rows;
      this.maxParallel = maxParallel;
      this.cancellation = cancellation;
      this.mapScope = scope.stamp() + "::" + node.id();
      this.inherited = new LinkedHashMap<>(scope.results());
      this.outcomes = new Outcome[rows.size()];
      this.shown = !isBodyNode(node.id());
    }

    Outcome run(Body body, Consumer<Cancellation> checkContinue) throws InterruptedException {
      load();
      int total = rows.size();
      boolean stop = false;
      for (int i = 0; i < total; i++) {
        Optional<Outcome> earlier = finished(bodyRoot.id(), rowStamp(i));
        if (earlier.isPresent()) {
          stop |= count(i, earlier.get());
        }
      }
      if (shown && !stop && done < total) {
        store.writeNode(claim, bodyRoot.id(), "running", null, mapScope + "::1", false, false);
      }
      progress(0, true);
      LinkedBlockingQueue<RowEnd> ends = new LinkedBlockingQueue<>();
      int next = 0;
      int inFlight = 0;
      int waitingRows = 0;
      Outcome.Suspended waiting = null;
      Throwable thrown = null;
      while (true) {
        while (!stop && thrown == null && inFlight < maxParallel && next < total) {
          int index = next++;
          if (outcomes[index] != null) {
            continue;
          }
          try {
            checkContinue.accept(cancellation);
          } catch (RuntimeException e) {
            thrown = e; // the rows in flight stop at their next node; then this is rethrown
            break;
          }
          Scope row = rowScope(index);
          threads.execute(() -> {
            try {
              ends.add(new RowEnd(index, body.run(row, cancellation), null));
            } catch (Throwable e) {
              ends.add(new RowEnd(index, null, e));
            }
          });
          inFlight++;
        }
        if (inFlight == 0) {
          break;
        }
        RowEnd end = nextEnd(ends, inFlight + waitingRows);
        if (end == null) {
          continue; // progress was due and is written
        }
        inFlight--;
        if (end.thrown() != null) {
          thrown = thrown == null ? end.thrown() : thrown;
          continue;
        }
        if (end.outcome() instanceof Outcome.Suspended suspended) {
          waiting = waiting == null ? suspended : waiting.earliest(suspended);
          waitingRows++;
        } else {
          recordLoopRow(end.index(), end.outcome());
          stop |= count(end.index(), end.outcome());
        }
        progress(inFlight + waitingRows, false);
      }
      if (thrown != null) {
        throw rethrow(thrown);
      }
      for (int i = 0; i < total; i++) {
        if (outcomes[i] instanceof Outcome.Failed || outcomes[i] instanceof Outcome.Broke) {
          return end(i, waiting != null);
        }
      }
      if (waiting != null) {
        progress(waitingRows, true);
        return waiting;
      }
      StringBuilder array = new StringBuilder("[");
      for (int i = 0; i < total; i++) {
        String output = ((Outcome.Completed) outcomes[i]).output();
        array.append(i == 0 ? "" : ",").append(asJsonValue(output));
      }
      if (shown && total > 0) {
        scopes.maps().showRow(claim, rowStamp(total - 1));
      }
      progress(0, true);
      return new Outcome.Completed(array.append(']').toString());
    }

    /** Loads the records of this map's rows, unless an enclosing map's load covered them. */
    private void load() {
      for (String loaded : loadedScopes) {
        if (mapScope.startsWith(loaded + "::")) {
          return;
        }
      }
      if (!loadedScopes.add(mapScope)) {
        return;
      }
      for (MapStore.Output output : scopes.maps().outputsUnder(claim.id(), mapScope)) {
        ended.putIfAbsent(
            output.stamp() + "/" + output.nodeId(),
            outcome(output.failed(), output.output(), output.broke()));
      }
    }

    /** Counts a row's end; true when it stops the map from starting more rows. */
    private boolean count(int index, Outcome outcome) {
      outcomes[index] = outcome;
      if (outcome instanceof Outcome.Completed) {
        done++;
        return false;
      }
      failed++;
      return true;
    }

    /**
     * A LOOP body runs in a child scope of its own and records its end there, so its row's end is
     * recorded under the row's stamp too: that is how a resumed map knows the row ended.
     */
    private void recordLoopRow(int index, Outcome outcome) {
      if (!bodyRoot.type().equals("LOOP")) {
        return;
      }
      switch (outcome) {
        case Outcome.Completed completed ->
            write(
                bodyRoot.id(),
                rowStamp(index),
                "completed",
                completed.output(),
                isJson(completed.output()),
                false);
        case Outcome.Failed failure ->
            write(bodyRoot.id(), rowStamp(index), "failed", failure.error(), false, false);
        case Outcome.Broke broke ->
            write(bodyRoot.id(), rowStamp(index), "completed", broke.value(), true, true);
        case Outcome.Suspended suspended -> {
          // Not ended.
        }
      }
    }

    /** The first row in order that failed or broke decides the map (rows still waiting end). */
    private Outcome end(int index, boolean rowsWaiting) {
      if (rowsWaiting) {
        scopes.closeWaitsUnder(claim, mapScope + "::");
      }
      if (shown) {
        scopes.maps().showRow(claim, rowStamp(index));
      }
      progress(0, true);
      return switch (outcomes[index]) {
        case Outcome.Failed failure ->
            new Outcome.Failed(
                "MAP row " + (index + 1) + " of " + rows.size() + " failed: " + failure.error());
        default -> outcomes[index];
      };
    }

    private Scope rowScope(int index) {
      Map<String, String> results = new LinkedHashMap<>(inherited);
      results.put("item", rows.get(index));
      ScopeState saved = savedScopes.get(rowStamp(index));
      if (saved != null) {
        results.putAll(saved.results());
      }
      return Scope.mapRow(mapScope, index + 1, results);
    }

    private String rowStamp(int index) {
      return mapScope + "::" + (index + 1);
    }

    /**
     * The next row end. While progress is not yet shown, waits at most until it is due, then writes
     * it and returns null: progress is never more than the interval behind, and a map whose rows
     * end quickly writes it only once per interval.
     */
    private RowEnd nextEnd(LinkedBlockingQueue<RowEnd> ends, int running)
        throws InterruptedException {
      if (!shown || shownCount == done + failed) {
        return ends.take();
      }
      long wait = progressWrittenAt + PROGRESS_INTERVAL_NANOS - System.nanoTime();
      RowEnd end = wait > 0 ? ends.poll(wait, TimeUnit.NANOSECONDS) : ends.poll();
      if (end == null) {
        progress(running, true);
      }
      return end;
    }

    /** Shows the progress on the MAP node, at most once per interval unless {@code now}. */
    private void progress(int running, boolean now) {
      long at = System.nanoTime();
      if (!shown || (!now && at - progressWrittenAt < PROGRESS_INTERVAL_NANOS)) {
        return;
      }
      progressWrittenAt = at;
      shownCount = done + failed;
      scopes
          .maps()
          .writeProgress(
              claim,
              node.id(),
              scope.stamp(),
              "{\"rows\":"
                  + rows.size()
                  + ",\"done\":"
                  + done
                  + ",\"failed\":"
                  + failed
                  + ",\"running\":"
                  + running
                  + "}");
    }
  }

  private static RuntimeException rethrow(Throwable thrown) throws InterruptedException {
    if (thrown instanceof RuntimeException runtime) {
      throw runtime;
    }
    if (thrown instanceof InterruptedException interrupted) {
      throw interrupted;
    }
    if (thrown instanceof Error error) {
      throw error;
    }
    throw new IllegalStateException("a map row failed unexpectedly", thrown);
  }

  /** The nodes reachable from the bodies of the instance's MAP nodes. */
  private static Set<String> bodyNodes(LoadedInstance instance) {
    Set<String> inside = new HashSet<>();
    Deque<String> pending = new ArrayDeque<>();
    for (GraphNode node : instance.nodes().values()) {
      if (node.type().equals("MAP")) {
        node.left().ifPresent(pending::push);
      }
    }
    while (!pending.isEmpty()) {
      GraphNode node = instance.nodes().get(pending.pop());
      if (node == null || !inside.add(node.id())) {
        continue;
      }
      node.left().ifPresent(pending::push);
      node.right().ifPresent(pending::push);
      if (node.type().equals("IF") || node.type().equals("LOOP") || node.type().equals("JOIN")) {
        JsonNode config = parse(node.query().orElse("{}"));
        if (config.path("condition_node").isTextual()) {
          pending.push(config.get("condition_node").asText());
        }
        for (JsonNode extra : config.path("extra_nodes")) {
          pending.push(extra.asText());
        }
      }
    }
    return Set.copyOf(inside);
  }

  private static JsonNode parse(String text) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      return JsonNodeFactory.instance.missingNode();
    }
  }

  private static boolean isJson(String text) {
    try {
      JSON.readTree(text);
      return true;
    } catch (JsonProcessingException e) {
      return false;
    }
  }

  private static String asJsonValue(String output) {
    return isJson(output) ? output : JsonNodeFactory.instance.textNode(output).toString();
  }
}
