package dev.durablesql.engine.run;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.durablesql.engine.activity.ActivityCall;
import dev.durablesql.engine.activity.ActivityNodes;
import dev.durablesql.engine.activity.ActivityRunner;
import dev.durablesql.engine.claim.ClaimedInstance;
import dev.durablesql.engine.step.RetryPolicy;
import dev.durablesql.engine.step.RetryingStep;
import dev.durablesql.engine.step.SqlStep;
import dev.durablesql.engine.step.StepOutcome;
import dev.durablesql.engine.store.Attempts;
import dev.durablesql.engine.store.GraphNode;
import dev.durablesql.engine.store.InstanceStore;
import dev.durablesql.engine.store.LoadedInstance;
import dev.durablesql.engine.store.ScopeState;
import dev.durablesql.engine.store.ScopeStore;
import dev.durablesql.engine.store.SignalDelivery;
import dev.durablesql.engine.substitution.Substitution;
import dev.durablesql.engine.substitution.SubstitutionException;
import dev.durablesql.engine.substitution.Truthiness;
import dev.durablesql.engine.tracing.Tracing;
import io.opentelemetry.api.trace.Span;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * Walks one claimed instance's graph (SPEC.md §7): every node type's semantics, scopes and
 * generations, named results, breaks, timers and signal waits. There is no replay: a node that
 * already finished in the current generation of its scope is not run again, its stored outcome is
 * used; everything else runs. A walk that reaches timers or waits that are not due suspends, and
 * the instance is parked until then.
 */
final class Interpreter {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** R-EXEC-17: the iteration number a loop may not reach. */
  private static final int MAX_ITERATIONS = 100_000;

  /** R-EXEC-17: an iteration shorter than this waits out the rest. */
  private static final Duration MIN_ITERATION = Duration.ofSeconds(1);

  /** Compound nodes whose df.timeout the walk enforces; steps enforce their own. */
  private static final Pattern JSON_NUMBER =
      Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

  private static final Set<String> TIMED_COMPOUNDS =
      Set.of("THEN", "IF", "JOIN", "RACE", "LOOP", "MAP");

  /**
   * Nodes whose completion is a status mark (written in the background), since after a crash they
   * complete again at once from what is durable: a THEN/IF/JOIN from its children's checkpoints, a
   * SIGNAL wait from the signal delivered to it (df_engine.waits), a SLEEP from its timer.
   */
  private static final Set<String> MARKED_COMPLETIONS =
      Set.of("THEN", "IF", "JOIN", "SIGNAL", "SLEEP");

  /** R-SUB-13: named, but never stored under that name. */
  private static final Set<String> UNNAMED_TYPES = Set.of("SLEEP", "WAIT_SCHEDULE", "BREAK");

  private final ClaimedInstance claim;
  private final LoadedInstance instance;
  private final InstanceStore store;
  private final ScopeStore scopes;
  private final RetryingStep sqlStep;
  private final ActivityRunner activities;
  private final Tracing tracing;
  private final Span instanceSpan;
  private final BooleanSupplier stopping;
  private final Cancellation execution;
  private final Map<String, ScopeState> savedScopes;
  private final Substitution.Variables variables;

  /** Nodes whose loaded state is stale: they ran again in this walk. */
  private final Map<String, GraphNode> fresh = new ConcurrentHashMap<>();

  private final ExecutorService branches =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("df-branch-", 0).factory());

  private final MapRunner maps;

  /** The step whose success ends the instance, if there is one (see {@link EndingStep}). */
  private final Optional<EndingStep> ending;

  private volatile boolean endedInStep;

  /**
   * A SQL step reached from the root through THEN nodes only (their right sides), with no name, no
   * timeout and no other database on the way: when it completes, nothing else is left to run, so
   * the instance ends in the step's own transaction (SqlStep.InstanceEnd) instead of a round trip
   * of its own after it.
   */
  private record EndingStep(String stepId, List<String> thenNodeIds) {}

  Interpreter(
      ClaimedInstance claim,
      LoadedInstance instance,
      InstanceStore store,
      ScopeStore scopes,
      RetryingStep sqlStep,
      ActivityRunner activities,
      Tracing tracing,
      Span instanceSpan,
      BooleanSupplier stopping,
      Cancellation execution) {
    this.claim = requireNonNull(claim, "claim is null");
    this.instance = requireNonNull(instance, "instance is null");
    this.store = requireNonNull(store, "store is null");
    this.scopes = requireNonNull(scopes, "scopes is null");
    this.sqlStep = requireNonNull(sqlStep, "sqlStep is null");
    this.activities = requireNonNull(activities, "activities is null");
    this.tracing = requireNonNull(tracing, "tracing is null");
    this.instanceSpan = requireNonNull(instanceSpan, "instanceSpan is null");
    this.stopping = requireNonNull(stopping, "stopping is null");
    this.execution = requireNonNull(execution, "execution is null");
    this.savedScopes = instance.scopes();
    this.variables =
        new Substitution.Variables(
            instance.id(), instance.label().orElse(""), parseVariables(claim.varsJson()));
    this.maps =
        new MapRunner(claim, instance, store, scopes, sqlStep, variables, savedScopes, branches);
    this.ending = endingStep(instance);
  }

  private static Optional<EndingStep> endingStep(LoadedInstance instance) {
    List<String> thens = new java.util.ArrayList<>();
    GraphNode node = instance.node(instance.rootNodeId());
    while (node.type().equals("THEN")
        && node.resultName().isEmpty()
        && instance.policy(node.id()).timeout().isEmpty()
        && node.right().isPresent()) {
      thens.add(node.id());
      node = instance.node(node.right().get());
    }
    if (!node.type().equals("SQL") || instance.database().isPresent()) {
      return Optional.empty();
    }
    return Optional.of(new EndingStep(node.id(), thens));
  }

  /** The instance's pending marks, for the transaction of its last step. */
  private record InstanceMarks(InstanceStore store, ClaimedInstance claim)
      implements SqlStep.PendingMarks {
    @Override
    public List<dev.durablesql.engine.store.NodeMarks.Mark> take() {
      return store.takeMarks(claim);
    }

    @Override
    public void putBack(List<dev.durablesql.engine.store.NodeMarks.Mark> marks) {
      store.putBackMarks(marks);
    }
  }

  /** Whether the instance already ended, completed, in its last step's transaction. */
  boolean endedInStep() {
    return endedInStep;
  }

  /** Runs the graph from its root in the instance's root scope. */
  Outcome run(RetryPolicy defaultRetry) throws InterruptedException {
    try {
      Scope root = scope(instance.id(), true, Map.of());
      Outcome outcome =
          execute(instance.node(instance.rootNodeId()), root, defaultRetry, true, execution);
      if (outcome instanceof Outcome.Broke) {
        return new Outcome.Failed(
            "df.break() was used outside of a loop: the break reached the instance's root");
      }
      return outcome;
    } finally {
      branches.shutdownNow();
    }
  }

  /**
   * The scope {@code id} as saved, or new at generation 1. A child scope starts with the results of
   * its parent ({@code inherited}) and is not saved when it starts: its results only grow, so after
   * a restart it is what it inherits again, overlaid with what was saved in it since (a step's
   * named result, a loop's generation). Saving every JOIN branch's scope before it ran cost a
   * synchronous commit per branch, one after another.
   */
  private Scope scope(String id, boolean instanceRoot, Map<String, String> inherited) {
    ScopeState saved = savedScopes.get(id);
    if (saved == null) {
      return new Scope(id, instanceRoot, 1, inherited);
    }
    Map<String, String> results = new LinkedHashMap<>(inherited);
    results.putAll(saved.results());
    return new Scope(id, instanceRoot, saved.generation(), results);
  }

  private void save(Scope scope, Optional<Instant> iterationStartedAt) {
    scopes.save(claim, scope.key(), scope.generation(), scope.results(), iterationStartedAt);
  }

  /**
   * Executes {@code node} in {@code scope}.
   *
   * @param scopeRoot whether the node is the root of its scope (a LOOP there runs inline)
   * @param cancellation the branch this runs in (a RACE loser's is cancelled)
   */
  private Outcome execute(
      GraphNode node,
      Scope scope,
      RetryPolicy inheritedRetry,
      boolean scopeRoot,
      Cancellation cancellation)
      throws InterruptedException {
    Optional<Outcome> done = finishedIn(node, scope.stamp());
    if (done.isPresent() && !(node.type().equals("LOOP") && !scopeRoot)) {
      return done.get();
    }
    checkContinue(cancellation);
    RetryPolicy retry = instance.policy(node.id()).retry().orElse(inheritedRetry);
    boolean childLoop = node.type().equals("LOOP") && !scopeRoot;
    if (!childLoop) {
      write(node, scope, "running", null, false, false);
    }
    Optional<Duration> timeout = instance.policy(node.id()).timeout();
    Outcome outcome =
        timeout.isPresent() && TIMED_COMPOUNDS.contains(node.type())
            ? executeTimed(node, scope, retry, childLoop, cancellation, timeout.get())
            : dispatch(node, scope, retry, childLoop, cancellation);
    if (!node.type().equals("SQL") && !node.type().equals("LOOP")) {
      finish(node, scope, outcome);
    }
    return outcome;
  }

  /** Runs the node by its type. */
  private Outcome dispatch(
      GraphNode node, Scope scope, RetryPolicy retry, boolean childLoop, Cancellation cancellation)
      throws InterruptedException {
    return switch (node.type()) {
      case "SQL" -> executeSql(node, scope, retry, cancellation);
      case "THEN" -> executeThen(node, scope, retry, cancellation);
      case "IF" -> executeIf(node, scope, retry, cancellation);
      case "JOIN" -> executeJoin(node, scope, retry, cancellation);
      case "RACE" -> executeRace(node, scope, retry, cancellation);
      case "LOOP" ->
          childLoop
              ? executeChildLoop(node, scope, retry, cancellation)
              : executeLoop(node, scope, retry, cancellation);
      case "BREAK" -> executeBreak(node);
      case "SLEEP" -> executeSleep(node, scope);
      case "WAIT_SCHEDULE" -> executeSchedule(node, scope);
      case "SIGNAL" -> executeSignal(node, scope);
      case "MAP" -> executeMap(node, scope, retry, cancellation);
      case "HTTP", "HTTP_MULTIPART", "ACTIVITY" ->
          executeActivity(node, scope, retry, cancellation);
      default ->
          new Outcome.Failed(
              "node type "
                  + node.type()
                  + " is not supported by this version of the durable-sql engine yet");
    };
  }

  /**
   * R-EXT-2 for a compound node: runs it in a branch of its own that is cancelled when its deadline
   * passes; then the node fails with {@code timed out after}, and whatever ran inside it is stamped
   * failed (R-DIFF-9). The deadline is durable, like a sleep's (a timer row of the node in its
   * scope generation): fixed when the node first starts, it counts the time spent suspended inside
   * it (a sleep, a signal wait, a retry's delay) and survives restarts and takeovers. A node that
   * suspends wakes by its deadline at the latest, and fails then if it is still not done.
   */
  private Outcome executeTimed(
      GraphNode node,
      Scope scope,
      RetryPolicy retry,
      boolean childLoop,
      Cancellation cancellation,
      Duration timeout)
      throws InterruptedException {
    ScopeStore.Deadline deadline = scopes.timerAfter(claim, node.id(), scope.stamp(), timeout);
    if (deadline.passed()) {
      return timedOut(node, scope, timeout);
    }
    Duration left = Duration.between(deadline.now(), deadline.due());
    Cancellation timed = cancellation.child();
    java.util.concurrent.atomic.AtomicBoolean expired =
        new java.util.concurrent.atomic.AtomicBoolean();
    Thread timer =
        Thread.ofVirtual()
            .name("df-timeout-" + node.id())
            .start(() -> {
              try {
                Thread.sleep(left);
                expired.set(true);
                timed.cancel();
              } catch (InterruptedException e) {
                // The node ended or suspended first.
              }
            });
    try {
      Outcome outcome = dispatch(node, scope, retry, childLoop, timed);
      if (outcome instanceof Outcome.Suspended suspended) {
        return suspended.earliest(new Outcome.Suspended(Optional.of(deadline.due())));
      }
      return outcome;
    } catch (BranchCancelled e) {
      if (!expired.get() || cancellation.isCancelled() || execution.isCancelled()) {
        throw e;
      }
      return timedOut(node, scope, timeout);
    } finally {
      timer.interrupt();
    }
  }

  /** Fails a compound node whose df.timeout passed, and what was still running or waiting in it. */
  private Outcome timedOut(GraphNode node, Scope scope, Duration timeout) {
    String message =
        node.type()
            + " timed out after "
            + java.math.BigDecimal.valueOf(timeout.toMillis(), 3)
                .stripTrailingZeros()
                .toPlainString()
            + " s (df.timeout)";
    scopes.closeWaitsUnder(claim, scope.id());
    store.stampRunning(claim, descendants(node), "cancelled: " + message);
    return new Outcome.Failed(message);
  }

  /** The ids of every node below {@code node} in the graph. */
  private java.util.Set<String> descendants(GraphNode node) {
    java.util.Set<String> found = new java.util.HashSet<>();
    java.util.ArrayDeque<GraphNode> pending = new java.util.ArrayDeque<>();
    pending.add(node);
    while (!pending.isEmpty()) {
      GraphNode next = pending.pop();
      for (Optional<String> child : List.of(next.left(), next.right())) {
        if (child.isPresent() && found.add(child.get())) {
          pending.push(instance.node(child.get()));
        }
      }
    }
    return found;
  }

  private void checkContinue(Cancellation cancellation) {
    if (execution.isCancelled()) {
      throw new InstanceCancelled();
    }
    if (cancellation.isCancelled()) {
      throw new BranchCancelled();
    }
    if (stopping.getAsBoolean()) {
      throw new EngineStopping();
    }
  }

  /** How the node ended in the scope generation {@code stamp}, if it did. */
  private Optional<Outcome> finishedIn(GraphNode node, String stamp) {
    if (maps.isBodyNode(node.id())) {
      return maps.finished(node.id(), stamp);
    }
    GraphNode current = fresh.getOrDefault(node.id(), node);
    return current.isFinishedIn(stamp) ? Optional.of(stored(current)) : Optional.empty();
  }

  private static Outcome stored(GraphNode node) {
    String output = node.output().orElse("null");
    if (node.isFailed()) {
      return new Outcome.Failed(output);
    }
    return node.broke() ? new Outcome.Broke(output) : new Outcome.Completed(output);
  }

  /** Stamps a compound node's end and stores its named result (R-EXEC-6, R-SUB-13). */
  private void finish(GraphNode node, Scope scope, Outcome outcome) {
    switch (outcome) {
      case Outcome.Completed completed -> {
        write(node, scope, "completed", completed.output(), isJson(completed.output()), false);
        remember(node, scope, completed.output());
      }
      case Outcome.Broke broke -> write(node, scope, "completed", broke.value(), true, true);
      case Outcome.Failed failed -> write(node, scope, "failed", failed.error(), false, false);
      case Outcome.Suspended suspended -> {
        // Still running; nothing to stamp.
      }
    }
  }

  private void remember(GraphNode node, Scope scope, String output) {
    if (node.resultName().isPresent() && !UNNAMED_TYPES.contains(node.type())) {
      scope.results().put(node.resultName().get(), output);
      save(scope, Optional.empty());
    }
  }

  private void write(
      GraphNode node, Scope scope, String status, String result, boolean json, boolean broke) {
    if (maps.isBodyNode(node.id())) {
      maps.write(node.id(), scope.stamp(), status, result, json, broke);
    } else if (status.equals("running")
        || (status.equals("completed") && !broke && MARKED_COMPLETIONS.contains(node.type()))) {
      // Re-derived from the checkpoints after a crash, so written in the background, in batches.
      store.markNode(claim, node.id(), status, result, scope.stamp(), json);
    } else {
      store.writeNode(claim, node.id(), status, result, scope.stamp(), json, broke);
    }
    if (!status.equals("running")) {
      markFinished(node, scope, status, result, broke);
    }
  }

  /** Remembers a node's end for the rest of this walk (its loaded state is stale now). */
  private void markFinished(
      GraphNode node, Scope scope, String status, String result, boolean broke) {
    fresh.put(
        node.id(),
        new GraphNode(
            node.id(),
            node.type(),
            node.query(),
            node.resultName(),
            node.left(),
            node.right(),
            status,
            Optional.ofNullable(result),
            Optional.of(scope.stamp()),
            broke));
  }

  // --- SQL (R-EXEC-7..10) --------------------------------------------------------------------

  private Outcome executeSql(
      GraphNode node, Scope scope, RetryPolicy retry, Cancellation cancellation)
      throws InterruptedException {
    String sql;
    try {
      sql =
          new Substitution(variables, scope.results())
              .substitute(node.query().orElse(""), Substitution.Mode.SQL);
    } catch (SubstitutionException e) {
      write(node, scope, "failed", e.getMessage(), false, false);
      return new Outcome.Failed(e.getMessage());
    }
    Attempts spent = instance.attempts(node.id()).under(scope.stamp());
    Optional<String> name = node.resultName().filter(n -> !UNNAMED_TYPES.contains(node.type()));
    Optional<SqlStep.InstanceEnd> end =
        ending
            .filter(e -> e.stepId().equals(node.id()) && scope.id().equals(instance.id()))
            .map(e ->
                new SqlStep.InstanceEnd(
                    e.thenNodeIds(), store.engineName(), new InstanceMarks(store, claim)));
    Span span = tracing.startStep(instanceSpan, instance.id(), node.id(), node.type());
    Optional<String> traceparent = Tracing.traceparent(span);
    StepOutcome step = null;
    try {
      step =
          sqlStep.run(
              new SqlStep.Target(
                  claim,
                  node.id(),
                  instance.role().orElseThrow(),
                  instance.database(),
                  scope.stamp(),
                  cancellation,
                  instance.policy(node.id()).timeout(),
                  scope.key(),
                  name,
                  traceparent.map(value -> "durable-sql trace=" + value.substring(3, 35)),
                  end),
              // The trace context travels with the statement, for pg_stat_activity and logs.
              traceparent.map(value -> "/* traceparent='" + value + "' */ " + sql).orElse(sql),
              retry,
              spent.used(),
              spent.lastError().orElse(null),
              (attempt, error) ->
                  store.recordFailedAttempt(claim, node.id(), scope.stamp(), attempt, error));
    } finally {
      endStep(span, step);
    }
    if (step instanceof StepOutcome.Completed) {
      // Its checkpoint wrote its end: a running mark still queued for it would be a wasted row
      // update. (A failed step's is dropped once its failure is written, below; a step whose
      // branch stops here keeps it, so that the stop can stamp it.)
      store.dropRunningMark(claim, node.id(), scope.stamp());
    }
    checkContinue(cancellation);
    return switch (step) {
      case StepOutcome.Completed completed -> {
        // The checkpoint already wrote the node and its named result, in the step's transaction
        // (and, for the instance's last step, the instance's end).
        endedInStep = end.isPresent();
        name.ifPresent(n -> scope.results().put(n, completed.output()));
        markFinished(node, scope, "completed", completed.output(), false);
        yield new Outcome.Completed(completed.output());
      }
      case StepOutcome.Failed failed -> {
        write(node, scope, "failed", failed.error(), false, false);
        store.dropRunningMark(claim, node.id(), scope.stamp());
        yield new Outcome.Failed(failed.error());
      }
    };
  }

  // --- HTTP, HTTP_MULTIPART, ACTIVITY (§11, R-EXT-4, R-EXT-5) --------------------------------

  /** Runs an activity step; {@link #finish} stamps its result (at least once, R-DIFF-1). */
  private Outcome executeActivity(
      GraphNode node, Scope scope, RetryPolicy retry, Cancellation cancellation)
      throws InterruptedException {
    ActivityNodes.Request request;
    try {
      request =
          ActivityNodes.read(
              node.type(), node.query().orElse(null), new Substitution(variables, scope.results()));
    } catch (SubstitutionException | IllegalArgumentException e) {
      return new Outcome.Failed(e.getMessage());
    }
    Attempts spent = instance.attempts(node.id()).under(scope.stamp());
    Optional<ActivityCall.NodeTimeout> timeout =
        instance.policy(node.id()).timeout().map(limit -> activityTimeout(node, scope, limit));
    Span span = tracing.startStep(instanceSpan, instance.id(), node.id(), node.type());
    StepOutcome step = null;
    try {
      step =
          activities.run(
              new ActivityCall(
                  instance.id(),
                  node.id(),
                  instance.role().orElseThrow(),
                  instance.database(),
                  request.type(),
                  request.config(),
                  scope.stamp(),
                  retry,
                  timeout,
                  spent.used(),
                  spent.lastError(),
                  cancellation::isCancelled,
                  Tracing.headers(span)),
              (attempt, error) ->
                  store.recordFailedAttempt(claim, node.id(), scope.stamp(), attempt, error));
    } finally {
      endStep(span, step);
    }
    checkContinue(cancellation);
    return switch (step) {
      case StepOutcome.Completed completed -> new Outcome.Completed(completed.output());
      case StepOutcome.Failed failed -> new Outcome.Failed(failed.error());
    };
  }

  /**
   * An activity's df.timeout (R-EXT-2) counts from when the node first started, across restarts and
   * takeovers: its deadline is a timer row, like a sleep's, fixed on the first run.
   */
  private ActivityCall.NodeTimeout activityTimeout(GraphNode node, Scope scope, Duration limit) {
    ScopeStore.Deadline deadline = scopes.timerAfter(claim, node.id(), scope.stamp(), limit);
    Duration left =
        deadline.passed() ? Duration.ZERO : Duration.between(deadline.now(), deadline.due());
    return new ActivityCall.NodeTimeout(limit, left);
  }

  private static void endStep(Span span, StepOutcome step) {
    switch (step) {
      case StepOutcome.Completed completed -> Tracing.end(span, "completed", Optional.empty());
      case StepOutcome.Failed failed -> Tracing.end(span, "failed", Optional.of(failed.error()));
      case null -> Tracing.end(span, "interrupted", Optional.empty());
    }
  }

  // --- THEN (R-EXEC-11) ----------------------------------------------------------------------

  private Outcome executeThen(
      GraphNode node, Scope scope, RetryPolicy retry, Cancellation cancellation)
      throws InterruptedException {
    Outcome left = execute(child(node.left()), scope, retry, false, cancellation);
    if (!(left instanceof Outcome.Completed)) {
      return left;
    }
    return execute(child(node.right()), scope, retry, false, cancellation);
  }

  private GraphNode child(Optional<String> id) {
    return instance.node(id.orElseThrow(() -> new IllegalStateException("missing child node")));
  }

  // --- IF and IF_ROWS (R-EXEC-12) ------------------------------------------------------------

  private Outcome executeIf(
      GraphNode node, Scope scope, RetryPolicy retry, Cancellation cancellation)
      throws InterruptedException {
    JsonNode config = config(node);
    boolean condition;
    if (config.path("condition_type").asText("").equals("result_has_rows")) {
      String name = config.path("result_name").asText();
      String stored = scope.results().get(name);
      if (stored == null) {
        return new Outcome.Failed("df.if_rows: result '" + name + "' not found");
      }
      JsonNode rowCount = parse(stored).path("row_count");
      if (!rowCount.isIntegralNumber()) {
        return new Outcome.Failed(
            "df.if_rows: result '" + name + "' has no integer row_count (it is not a SQL result)");
      }
      condition = rowCount.asLong() > 0;
    } else {
      String conditionId = config.path("condition_node").asText(null);
      if (conditionId == null) {
        return new Outcome.Failed("IF node " + node.id() + " has no condition_node in its query");
      }
      Outcome evaluated = execute(instance.node(conditionId), scope, retry, false, cancellation);
      if (!(evaluated instanceof Outcome.Completed completed)) {
        return evaluated;
      }
      condition = Truthiness.isTruthy(completed.output());
    }
    GraphNode branch = condition ? child(node.left()) : child(node.right());
    return execute(branch, scope, retry, false, cancellation);
  }

  // --- JOIN (R-EXEC-13) ----------------------------------------------------------------------

  private Outcome executeJoin(
      GraphNode node, Scope scope, RetryPolicy retry, Cancellation cancellation)
      throws InterruptedException {
    List<GraphNode> roots = new ArrayList<>();
    roots.add(child(node.left()));
    roots.add(child(node.right()));
    for (JsonNode extra : config(node).path("extra_nodes")) {
      roots.add(instance.node(extra.asText()));
    }
    List<Scope> children = new ArrayList<>();
    List<Future<Outcome>> running = new ArrayList<>();
    for (GraphNode root : roots) {
      Scope child = scope(scope.childId(root.id()), false, scope.results());
      children.add(child);
      Cancellation branch = cancellation.child();
      running.add(branches.submit(() -> execute(root, child, retry, true, branch)));
    }
    List<Outcome> outcomes = new ArrayList<>();
    for (Future<Outcome> future : running) {
      outcomes.add(await(future));
    }
    Outcome.Suspended waiting = null;
    for (Outcome outcome : outcomes) {
      if (outcome instanceof Outcome.Suspended suspended) {
        waiting = waiting == null ? suspended : waiting.earliest(suspended);
      }
    }
    if (waiting != null) {
      return waiting; // a JOIN waits for all its branches, even after one failed
    }
    StringBuilder array = new StringBuilder("[");
    for (int i = 0; i < outcomes.size(); i++) {
      Outcome outcome = outcomes.get(i);
      switch (outcome) {
        case Outcome.Failed failed -> {
          save(scope, Optional.empty());
          return new Outcome.Failed("JOIN branch " + (i + 1) + " failed: " + failed.error());
        }
        case Outcome.Broke broke -> {
          scope.results().putAll(children.get(i).results());
          save(scope, Optional.empty());
          return broke;
        }
        case Outcome.Completed completed -> {
          scope.results().putAll(children.get(i).results());
          array.append(i == 0 ? "" : ",").append(asJsonValue(completed.output()));
        }
        case Outcome.Suspended suspended -> throw new IllegalStateException("unreachable");
      }
    }
    save(scope, Optional.empty());
    return new Outcome.Completed(array.append(']').toString());
  }

  private static Outcome await(Future<Outcome> future) throws InterruptedException {
    try {
      return future.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (e.getCause() instanceof InterruptedException interrupted) {
        throw interrupted;
      }
      throw new IllegalStateException("a branch failed unexpectedly", e.getCause());
    }
  }

  // --- RACE (R-EXEC-14, R-EXEC-15, R-DIFF-9) -------------------------------------------------

  private Outcome executeRace(
      GraphNode node, Scope scope, RetryPolicy retry, Cancellation cancellation)
      throws InterruptedException {
    GraphNode[] roots = {child(node.left()), child(node.right())};
    Scope[] children = new Scope[2];
    Cancellation[] tokens = new Cancellation[2];
    LinkedBlockingQueue<Map.Entry<Integer, Object>> finished = new LinkedBlockingQueue<>();
    List<Future<?>> running = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      int index = i;
      children[i] = scope(scope.childId(roots[i].id()), false, scope.results());
      tokens[i] = cancellation.child();
      running.add(
          branches.submit(() -> {
            Object result;
            try {
              result = execute(roots[index], children[index], retry, true, tokens[index]);
            } catch (BranchCancelled e) {
              result = e;
            } catch (RuntimeException | InterruptedException e) {
              result = e;
            }
            finished.add(Map.entry(index, result));
          }));
    }
    Outcome.Suspended waiting = null;
    for (int received = 0; received < 2; received++) {
      Map.Entry<Integer, Object> next = finished.take();
      if (next.getValue() instanceof RuntimeException e && !(e instanceof BranchCancelled)) {
        tokens[1 - next.getKey()].cancel();
        throw e;
      }
      if (next.getValue() instanceof InterruptedException e) {
        throw e;
      }
      if (next.getValue() instanceof Outcome.Suspended suspended) {
        waiting = waiting == null ? suspended : waiting.earliest(suspended);
        continue;
      }
      if (next.getValue() instanceof Outcome outcome) {
        int winner = next.getKey();
        int loser = 1 - winner;
        tokens[loser].cancel();
        awaitQuietly(running.get(loser));
        cancelLoser(roots[loser], children[loser]);
        scope.results().putAll(children[winner].results());
        save(scope, Optional.empty());
        return switch (outcome) {
          case Outcome.Failed failed ->
              new Outcome.Failed(
                  "RACE " + (winner == 0 ? "left" : "right") + " branch failed: " + failed.error());
          default -> outcome;
        };
      }
    }
    return waiting;
  }

  private static void awaitQuietly(Future<?> future) throws InterruptedException {
    try {
      future.get();
    } catch (ExecutionException e) {
      // The loser's own end does not matter any more.
    }
  }

  /** R-DIFF-9 and R-EXEC-15: the loser's running nodes are stamped, its waits closed. */
  private void cancelLoser(GraphNode root, Scope loser) {
    scopes.closeWaitsUnder(claim, loser.id());
    if (root.type().equals("LOOP")) {
      store.writeNode(
          claim,
          root.id(),
          "failed",
          "Loop branch cancelled after losing RACE",
          loser.id() + "::1",
          false,
          false);
    }
    store.stampRunningUnder(claim, loser.id(), "cancelled: lost the RACE");
  }

  // --- LOOP and BREAK (R-EXEC-16..21) --------------------------------------------------------

  /** A loop that is the root of its scope: its iterations are the scope's generations. */
  private Outcome executeLoop(
      GraphNode node, Scope scope, RetryPolicy retry, Cancellation cancellation)
      throws InterruptedException {
    GraphNode body = child(node.left());
    Optional<GraphNode> condition =
        Optional.ofNullable(config(node).path("condition_node").asText(null)).map(instance::node);
    Instant started =
        Optional.ofNullable(savedScopes.get(scope.id()))
            .flatMap(ScopeState::iterationStartedAt)
            .orElseGet(scopes::now);
    while (true) {
      Outcome outcome = execute(body, scope, retry, false, cancellation);
      if (outcome instanceof Outcome.Completed completed && condition.isPresent()) {
        Outcome evaluated = execute(condition.get(), scope, retry, false, cancellation);
        if (evaluated instanceof Outcome.Completed test) {
          if (!truthy(test.output())) {
            return loopEnds(node, scope, new Outcome.Completed(completed.output()));
          }
        } else {
          outcome = evaluated;
        }
      }
      switch (outcome) {
        case Outcome.Suspended suspended -> {
          return suspended;
        }
        case Outcome.Failed failed -> {
          return loopEnds(node, scope, failed);
        }
        case Outcome.Broke broke -> {
          return loopEnds(node, scope, new Outcome.Completed(broke.value()));
        }
        case Outcome.Completed completed -> {
          // Next iteration.
        }
      }
      if (scope.generation() + 1 >= MAX_ITERATIONS) {
        return loopEnds(
            node,
            scope,
            new Outcome.Failed(
                "Loop exceeded maximum iteration count of "
                    + MAX_ITERATIONS
                    + " in scope "
                    + scope.id()));
      }
      Duration took = Duration.between(started, scopes.now());
      if (took.compareTo(MIN_ITERATION) < 0) {
        Thread.sleep(MIN_ITERATION.minus(took));
      }
      checkContinue(cancellation);
      scope.nextGeneration();
      if (scope.isInstanceRoot()) {
        scope.results().clear(); // R-EXEC-18: a root loop starts every generation empty
        store.markRunning(claim);
      }
      started = scopes.now();
      save(scope, Optional.of(started));
      write(node, scope, "running", null, false, false);
    }
  }

  private static boolean truthy(String output) {
    try {
      return Truthiness.isTruthy(output);
    } catch (RuntimeException e) {
      return false; // R-EXEC-17: errors in evaluation count as false
    }
  }

  private Outcome loopEnds(GraphNode node, Scope scope, Outcome outcome) {
    finish(node, scope, outcome);
    return outcome;
  }

  /**
   * A loop that is not the root of its scope runs in a child scope of its own (R-EXEC-16), which
   * stamps it; its named results carry across iterations and merge back when it exits.
   */
  private Outcome executeChildLoop(
      GraphNode node, Scope scope, RetryPolicy retry, Cancellation cancellation)
      throws InterruptedException {
    Scope child = scope(scope.childId(node.id()), false, scope.results());
    Optional<Outcome> done = finishedIn(node, child.stamp());
    if (done.isPresent()) {
      return done.get();
    }
    write(node, child, "running", null, false, false);
    Outcome outcome = executeLoop(node, child, retry, cancellation);
    if (outcome instanceof Outcome.Failed failed) {
      String error = "Loop sub-orchestration failed: " + failed.error();
      store.writeNode(claim, node.id(), "failed", error, child.id() + "::1", false, false);
      return new Outcome.Failed(error);
    }
    if (outcome instanceof Outcome.Completed completed) {
      scope.results().putAll(child.results());
      remember(node, scope, completed.output());
      save(scope, Optional.empty());
    }
    return outcome;
  }

  /** R-EXEC-20: the break value is null, the literal's JSON, or the literal as a JSON string. */
  private Outcome executeBreak(GraphNode node) {
    JsonNode value = config(node).path("break_value");
    String json;
    if (value.isMissingNode() || value.isNull()) {
      json = "null";
    } else if (isJson(value.asText())) {
      json = value.asText();
    } else {
      json = JsonNodeFactory.instance.textNode(value.asText()).toString();
    }
    return new Outcome.Broke(json);
  }

  // --- MAP (R-EXT-3): see MapRunner ----------------------------------------------------------

  private Outcome executeMap(
      GraphNode node, Scope scope, RetryPolicy retry, Cancellation cancellation)
      throws InterruptedException {
    GraphNode body = child(node.left());
    return maps.execute(
        node,
        scope,
        retry,
        cancellation,
        (row, token) -> execute(body, row, retry, false, token),
        this::checkContinue);
  }

  // --- SLEEP, WAIT_SCHEDULE (R-EXEC-22, R-EXEC-23, R-DIFF-4) ---------------------------------

  private Outcome executeSleep(GraphNode node, Scope scope) {
    String seconds = node.query().orElse("0").trim();
    // df.sleep writes a whole number; a Durofut written by hand may hold anything, and the
    // result below repeats it as a JSON number.
    if (!JSON_NUMBER.matcher(seconds).matches()) {
      return new Outcome.Failed(
          "SLEEP needs a number of seconds as its query, not '" + seconds + "'");
    }
    long millis = Math.round(Double.parseDouble(seconds) * 1000);
    ScopeStore.Deadline deadline =
        scopes.timerAfter(claim, node.id(), scope.stamp(), Duration.ofMillis(millis));
    if (!deadline.passed()) {
      return new Outcome.Suspended(Optional.of(deadline.due()));
    }
    return new Outcome.Completed("{\"slept\":true,\"seconds\":" + seconds + "}");
  }

  private Outcome executeSchedule(GraphNode node, Scope scope) {
    JsonNode config = config(node);
    String expression = config.path("cron_expr").asText();
    ZoneId zone = ZoneOffset.UTC;
    if (config.hasNonNull("time_zone")) {
      String name = config.get("time_zone").asText();
      try {
        zone = CronSchedule.zone(name);
      } catch (DateTimeException e) {
        return new Outcome.Failed(
            "Invalid time zone '" + name + "' for the schedule: " + e.getMessage());
      }
    }
    // The tick is fixed when the node first runs (R-EXEC-23); a resumed node reads it back in one
    // round trip without a commit, and computes nothing.
    ScopeStore.TimerReading timer = scopes.timerIfSet(claim, node.id(), scope.stamp());
    Instant now = timer.now();
    Instant due;
    if (timer.due().isPresent()) {
      due = timer.due().get();
    } else {
      Optional<Instant> next;
      try {
        next = CronSchedule.next(expression, zone, now);
      } catch (IllegalArgumentException e) {
        return new Outcome.Failed(
            "Invalid cron expression '" + expression + "': " + e.getMessage());
      }
      if (next.isEmpty()) {
        return new Outcome.Failed("cron expression '" + expression + "' never fires again");
      }
      due = scopes.timer(claim, node.id(), scope.stamp(), next.get());
    }
    if (now.isBefore(due)) {
      return new Outcome.Suspended(Optional.of(due));
    }
    return new Outcome.Completed("{\"scheduled\":true}");
  }

  // --- SIGNAL (R-SIG-1, R-DIFF-3) ------------------------------------------------------------

  private Outcome executeSignal(GraphNode node, Scope scope) {
    JsonNode config = config(node);
    String name = config.path("signal_name").asText();
    // The database's clock matters only to a wait with a timeout: a plain wait does not ask it.
    Optional<ScopeStore.Deadline> deadline = Optional.empty();
    if (config.path("timeout_seconds").isNumber()) {
      long millis = Math.round(config.get("timeout_seconds").asDouble() * 1000);
      deadline =
          Optional.of(
              scopes.timerAfter(claim, node.id(), scope.stamp(), Duration.ofMillis(millis)));
    }
    Optional<Instant> due = deadline.map(ScopeStore.Deadline::due);
    SignalDelivery delivery = scopes.takeSignal(claim, node.id(), scope.stamp(), name, due);
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    result.put("signal_name", name);
    if (delivery.delivered()) {
      result.put("timed_out", false);
      result.set("data", delivery.payload().map(Interpreter::parse).orElse(null));
      return new Outcome.Completed(result.toString());
    }
    if (deadline.isPresent() && deadline.get().passed()) {
      scopes.closeWait(claim, node.id(), scope.stamp());
      result.put("timed_out", true);
      result.putNull("data");
      return new Outcome.Completed(result.toString());
    }
    return new Outcome.Suspended(due);
  }

  // --- JSON helpers ---------------------------------------------------------------------------

  private static JsonNode config(GraphNode node) {
    return node.query().map(Interpreter::parse).orElse(JsonNodeFactory.instance.objectNode());
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

  private static Map<String, String> parseVariables(String json) {
    Map<String, String> values = new HashMap<>();
    JsonNode object = parse(json);
    for (Map.Entry<String, JsonNode> field : object.properties()) {
      values.put(field.getKey(), field.getValue().asText());
    }
    return values;
  }
}
