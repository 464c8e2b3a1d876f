package dev.durablesql.engine.run;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.claim.ClaimedInstance;
import dev.durablesql.engine.step.RetryPolicy;
import dev.durablesql.engine.step.RetryingStep;
import dev.durablesql.engine.step.SqlStep;
import dev.durablesql.engine.step.StepOutcome;
import dev.durablesql.engine.store.Attempts;
import dev.durablesql.engine.store.GraphNode;
import dev.durablesql.engine.store.InstanceStore;
import dev.durablesql.engine.store.LoadedInstance;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one claimed instance from its checkpoints to the end: loads the graph once (R-EXEC-3), skips
 * every node that already completed, and executes the rest. There is no replay: a resumed instance
 * continues from the frontier recorded in df.nodes.
 */
public final class InstanceRunner {
  private static final Logger log = LoggerFactory.getLogger(InstanceRunner.class);

  private final InstanceStore store;
  private final RetryingStep sqlStep;
  private final RetryPolicy defaultRetry;
  private final RunningInstances running;
  private final BooleanSupplier stopping;

  /**
   * @param defaultRetry the retry policy of steps whose node and enclosing nodes set none
   */
  public InstanceRunner(
      InstanceStore store,
      RetryingStep sqlStep,
      RetryPolicy defaultRetry,
      RunningInstances running,
      BooleanSupplier stopping) {
    this.store = requireNonNull(store, "store is null");
    this.sqlStep = requireNonNull(sqlStep, "sqlStep is null");
    this.defaultRetry = requireNonNull(defaultRetry, "defaultRetry is null");
    this.running = requireNonNull(running, "running is null");
    this.stopping = requireNonNull(stopping, "stopping is null");
  }

  /**
   * Runs the instance until it ends, or until the engine stops (then it is released for another
   * claim).
   */
  public void run(ClaimedInstance claim) throws InterruptedException {
    Optional<LoadedInstance> loaded = store.load(claim.id());
    if (loaded.isEmpty()) {
      return; // The row is gone (deleted with its claim row); nothing to do.
    }
    LoadedInstance instance = loaded.get();
    if (instance.isTerminal()) {
      if (instance.status().equals("cancelled")) {
        store.stampCancelled(claim);
      }
      store.finish(claim, instance.status());
      return;
    }
    Optional<String> refusal = refusal(instance);
    if (refusal.isPresent()) {
      log.warn("Instance {} cannot run: {}", instance.id(), refusal.get());
      store.recordEvent(instance.id(), "load_failed: " + refusal.get(), null);
      store.finish(claim, "failed");
      return;
    }
    store.markRunning(claim);
    if (claim.epoch() > 1) {
      store.recordEvent(instance.id(), "resumed (claim " + claim.epoch() + ")", null);
    }
    Execution execution = running.register(instance.id());
    try {
      NodeOutcome outcome =
          new GraphWalk(claim, instance, execution)
              .execute(instance.node(instance.rootNodeId()), defaultRetry);
      store.finish(claim, outcome instanceof NodeOutcome.Completed ? "completed" : "failed");
    } catch (InstanceCancelled e) {
      log.info("Instance {} was cancelled; stopping it", instance.id());
      store.stampCancelled(claim);
      store.finish(claim, "cancelled");
    } catch (EngineStopping e) {
      store.release(claim);
    } finally {
      running.unregister(execution);
    }
  }

  /** Why the instance may not run at all (R-EXEC-4, R-SEC-7), if it may not. */
  private Optional<String> refusal(LoadedInstance instance) {
    if (instance.role().isEmpty()) {
      return Optional.of("its submitting role no longer exists");
    }
    if (instance.roleIsSuperuser() && !store.superuserInstancesEnabled()) {
      return Optional.of(
          "it was submitted by superuser "
              + instance.role().get()
              + " and enable_superuser_instances is off");
    }
    return Optional.empty();
  }

  /** One pass over an instance's graph for one claim. */
  private final class GraphWalk {
    private final ClaimedInstance claim;
    private final LoadedInstance instance;
    private final Execution execution;
    private final String stamp;

    GraphWalk(ClaimedInstance claim, LoadedInstance instance, Execution execution) {
      this.claim = claim;
      this.instance = instance;
      this.execution = execution;
      this.stamp = instance.id() + "::1";
    }

    /**
     * @param inheritedRetry the retry policy of the nearest enclosing node that has one (R-EXT-1: a
     *     compound node's policy applies to every step inside it without its own)
     */
    NodeOutcome execute(GraphNode node, RetryPolicy inheritedRetry) throws InterruptedException {
      RetryPolicy retry = instance.policy(node.id()).retry().orElse(inheritedRetry);
      if (node.isCompleted()) {
        return new NodeOutcome.Completed(node.output().orElse("null"));
      }
      if (node.isFailed()) {
        return new NodeOutcome.Failed(node.output().orElse("failed"));
      }
      if (execution.isCancelled()) {
        throw new InstanceCancelled();
      }
      if (stopping.getAsBoolean()) {
        throw new EngineStopping();
      }
      store.stampRunning(claim, node.id(), stamp);
      NodeOutcome outcome =
          switch (node.type()) {
            case "SQL" -> executeSql(node, retry);
            case "THEN" -> executeThen(node, retry);
            default ->
                new NodeOutcome.Failed(
                    "node type "
                        + node.type()
                        + " is not supported by this version of the durable-sql engine yet");
          };
      if (outcome instanceof NodeOutcome.Failed failed && !node.type().equals("SQL")) {
        store.stampFailed(claim, node.id(), stamp, failed.error());
      }
      return outcome;
    }

    private NodeOutcome executeSql(GraphNode node, RetryPolicy retry) throws InterruptedException {
      String role = instance.role().orElseThrow();
      NodeOutcome outcome;
      if (!store.roleCanLogin(role)) {
        outcome =
            new NodeOutcome.Failed(
                "SQL execution failed: role \""
                    + role
                    + "\" does not exist or lacks the LOGIN attribute, so the engine cannot run its"
                    + " steps");
      } else {
        Attempts spent = instance.attempts(node.id());
        StepOutcome step =
            sqlStep.run(
                new SqlStep.Target(
                    claim,
                    node.id(),
                    role,
                    instance.database(),
                    stamp,
                    execution,
                    instance.policy(node.id()).timeout()),
                node.query().orElse(""),
                retry,
                spent.used(),
                spent.lastError().orElse(null),
                (attempt, error) -> store.recordFailedAttempt(claim, node.id(), attempt, error));
        if (execution.isCancelled()) {
          // The statement was cancelled with the instance (or finished just before it); either
          // way nothing further runs, and a committed step stays committed.
          throw new InstanceCancelled();
        }
        outcome =
            switch (step) {
              case StepOutcome.Completed completed -> new NodeOutcome.Completed(completed.output());
              case StepOutcome.Failed failed -> new NodeOutcome.Failed(failed.error());
            };
      }
      if (outcome instanceof NodeOutcome.Failed failed) {
        store.stampFailed(claim, node.id(), stamp, failed.error());
      }
      return outcome;
    }

    private NodeOutcome executeThen(GraphNode node, RetryPolicy retry) throws InterruptedException {
      NodeOutcome left = execute(instance.node(node.left().orElseThrow()), retry);
      if (left instanceof NodeOutcome.Failed) {
        return left;
      }
      NodeOutcome right = execute(instance.node(node.right().orElseThrow()), retry);
      if (right instanceof NodeOutcome.Completed completed) {
        store.stampCompleted(claim, node.id(), stamp, completed.output());
      }
      return right;
    }
  }
}
