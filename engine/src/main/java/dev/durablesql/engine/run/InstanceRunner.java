package dev.durablesql.engine.run;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.activity.ActivityRunner;
import dev.durablesql.engine.claim.ClaimedInstance;
import dev.durablesql.engine.step.RetryPolicy;
import dev.durablesql.engine.step.RetryingStep;
import dev.durablesql.engine.store.InstanceStore;
import dev.durablesql.engine.store.LoadedInstance;
import dev.durablesql.engine.store.ScopeStore;
import dev.durablesql.engine.tracing.Tracing;
import io.opentelemetry.api.trace.Span;
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
  private final ScopeStore scopes;
  private final RetryingStep sqlStep;
  private final ActivityRunner activities;
  private final Tracing tracing;
  private final RetryPolicy defaultRetry;
  private final RunningInstances running;
  private final BooleanSupplier stopping;

  /**
   * @param defaultRetry the retry policy of steps whose node and enclosing nodes set none
   */
  public InstanceRunner(
      InstanceStore store,
      ScopeStore scopes,
      RetryingStep sqlStep,
      ActivityRunner activities,
      Tracing tracing,
      RetryPolicy defaultRetry,
      RunningInstances running,
      BooleanSupplier stopping) {
    this.store = requireNonNull(store, "store is null");
    this.scopes = requireNonNull(scopes, "scopes is null");
    this.sqlStep = requireNonNull(sqlStep, "sqlStep is null");
    this.activities = requireNonNull(activities, "activities is null");
    this.tracing = requireNonNull(tracing, "tracing is null");
    this.defaultRetry = requireNonNull(defaultRetry, "defaultRetry is null");
    this.running = requireNonNull(running, "running is null");
    this.stopping = requireNonNull(stopping, "stopping is null");
  }

  /**
   * Runs the instance until it ends, or until the engine stops (then it is released for another
   * claim).
   *
   * @return whether the instance parked until a timer or a signal
   */
  public boolean run(ClaimedInstance claim) throws InterruptedException {
    Optional<LoadedInstance> loaded = store.load(claim);
    if (loaded.isEmpty()) {
      return false; // The row is gone (deleted with its claim row); nothing to do.
    }
    LoadedInstance instance = loaded.get();
    if (instance.isTerminal()) {
      if (instance.status().equals("cancelled")) {
        store.stampCancelled(claim);
      }
      store.finish(claim, instance.status());
      return false;
    }
    Optional<String> refusal = refusal(instance);
    if (refusal.isPresent()) {
      log.warn("Instance {} cannot run: {}", instance.id(), refusal.get());
      store.recordEvent(instance.id(), "load_failed: " + refusal.get(), null);
      store.finish(claim, "failed");
      return false;
    }
    store.markRunning(claim);
    if (claim.epoch() > 1) {
      store.recordEvent(instance.id(), "resumed (claim " + claim.epoch() + ")", null);
    }
    Cancellation execution = running.register(instance.id());
    Span span = tracing.startInstance(instance.id(), instance.role().orElse("?"), claim.epoch());
    String ended = "interrupted";
    try {
      Interpreter interpreter =
          new Interpreter(
              claim,
              instance,
              store,
              scopes,
              sqlStep,
              activities,
              tracing,
              span,
              stopping,
              execution);
      Outcome outcome = interpreter.run(defaultRetry);
      ended =
          switch (outcome) {
            case Outcome.Completed completed -> "completed";
            case Outcome.Failed failed -> "failed";
            case Outcome.Suspended suspended -> "suspended";
            case Outcome.Broke broke -> "failed";
          };
      if (outcome instanceof Outcome.Completed && interpreter.endedInStep()) {
        store.discardMarks(claim); // Its last step's transaction ended it.
      } else if (outcome instanceof Outcome.Suspended suspended) {
        store.suspend(claim, suspended.wakeAt());
        return true;
      } else {
        store.finish(claim, ended);
      }
    } catch (InstanceCancelled e) {
      log.info("Instance {} was cancelled; stopping it", instance.id());
      store.stampCancelled(claim);
      ended = "cancelled";
      store.finish(claim, ended);
    } catch (EngineStopping e) {
      store.release(claim);
      ended = "released";
    } finally {
      Tracing.end(span, ended, Optional.empty());
      running.unregister(instance.id(), execution);
    }
    return false;
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
}
