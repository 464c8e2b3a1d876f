package dev.durablesql.engine.run;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.claim.ClaimedInstance;
import dev.durablesql.engine.claim.InstanceClaimer;
import dev.durablesql.engine.claim.WakeSignal;
import dev.durablesql.engine.store.InstanceStore;
import dev.durablesql.engine.store.LeaseLostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Claims runnable instances and runs each on its own virtual thread, up to a limit. */
public final class Dispatcher {
  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

  /** How long an instance that failed outside a step waits before it is tried again. */
  private static final Duration RETRY_AFTER_ERROR = Duration.ofSeconds(5);

  /**
   * How many times in a row an instance may fail outside a step, with an error that did not come
   * from the database or was a data exception, before this engine fails it. The database's other
   * errors (a restart, a lost connection) pass, and the instance is retried as long as they last;
   * an error of the engine's own on this instance's graph or data would come back at every try.
   */
  static final int ENGINE_ERRORS_BEFORE_FAILING = 3;

  private final InstanceClaimer claimer;
  private final InstanceRunner runner;
  private final InstanceStore store;
  private final WakeSignal wake;
  private final Semaphore permits;

  /** The instances claimed and not yet given back: the only leases the heartbeat renews. */
  private final java.util.Set<String> held = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Per instance, the engine errors of its last tries on this engine (see above). */
  private final java.util.Map<String, Integer> engineErrors =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final int claimBatchSize;

  /**
   * Whether due instances may be waiting for capacity: the last claim filled its batch or found no
   * capacity. Only then does an ending instance wake the claim loop; otherwise a claim would find
   * nothing, and new work announces itself by NOTIFY.
   */
  private volatile boolean backlog = true;

  private final ExecutorService threads =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("df-instance-", 0).factory());

  public Dispatcher(
      InstanceClaimer claimer,
      InstanceRunner runner,
      InstanceStore store,
      WakeSignal wake,
      int maxConcurrentInstances,
      int claimBatchSize) {
    this.claimer = requireNonNull(claimer, "claimer is null");
    this.runner = requireNonNull(runner, "runner is null");
    this.store = requireNonNull(store, "store is null");
    this.wake = requireNonNull(wake, "wake is null");
    this.permits = new Semaphore(maxConcurrentInstances);
    this.claimBatchSize = claimBatchSize;
  }

  /**
   * Claims up to the number of free permits and starts them.
   *
   * @return whether more may be due: the batch came back full, so claiming again may find more
   */
  public boolean dispatchOnce() {
    // Set before reading the permits: an instance that ends meanwhile either leaves its permit
    // for this read or sees the flag and wakes the loop, so no wake-up is lost.
    backlog = true;
    int free = Math.min(permits.availablePermits(), claimBatchSize);
    if (free == 0) {
      return false;
    }
    List<ClaimedInstance> claimed = claimer.claim(free, store.loadWithClaim());
    for (ClaimedInstance instance : claimed) {
      permits.acquireUninterruptibly(); // never blocks: only the claim loop acquires
      held.add(instance.id());
      threads.execute(() -> run(instance));
    }
    boolean full = claimed.size() == free;
    backlog = full;
    return full;
  }

  /** Whether a claim could start another instance now. */
  public boolean hasCapacity() {
    return permits.availablePermits() > 0;
  }

  private void run(ClaimedInstance instance) {
    try {
      if (runner.run(instance)) {
        wake.signalDueTimes(); // parked until a timer the claim loop may have to wake for
      }
      engineErrors.remove(instance.id());
    } catch (LeaseLostException e) {
      log.warn("{}", e.getMessage());
    } catch (InterruptedException e) {
      log.info(
          "Instance {} interrupted by shutdown; releasing it for another claim", instance.id());
      releaseQuietly(instance);
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      if (!fromDatabase(e)
          && engineErrors.merge(instance.id(), 1, Integer::sum) >= ENGINE_ERRORS_BEFORE_FAILING) {
        engineErrors.remove(instance.id());
        log.error(
            "Instance {} failed outside a step {} times in a row, not because of the database;"
                + " failing it",
            instance.id(),
            ENGINE_ERRORS_BEFORE_FAILING,
            e);
        failQuietly(instance, e);
      } else {
        // Give the instance back so that it is retried from its last checkpoint.
        log.error(
            "Instance {} failed outside a step; releasing it, to be tried again in {}",
            instance.id(),
            RETRY_AFTER_ERROR,
            e);
        releaseQuietly(instance, RETRY_AFTER_ERROR);
      }
      wake.signalDueTimes();
    } finally {
      held.remove(instance.id());
      permits.release();
      if (backlog) {
        wake.signal(); // capacity is free and work may be waiting for it: claim now
      }
    }
  }

  /**
   * Whether the database raised {@code error}, or a call to it failed, for a reason that may pass:
   * anything but a data exception (SQLSTATE class 22, such as a value out of range), which the same
   * data raises again.
   */
  private static boolean fromDatabase(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof java.sql.SQLException sql) {
        return sql.getSQLState() == null || !sql.getSQLState().startsWith("22");
      }
    }
    return false;
  }

  private void failQuietly(ClaimedInstance instance, RuntimeException error) {
    try {
      store.failByEngine(instance, "engine error: " + error);
    } catch (RuntimeException e) {
      log.warn("Could not fail instance {}; its lease lapses instead", instance.id(), e);
    }
  }

  private void releaseQuietly(ClaimedInstance instance) {
    releaseQuietly(instance, Duration.ZERO);
  }

  private void releaseQuietly(ClaimedInstance instance, Duration delay) {
    try {
      store.release(instance, delay);
    } catch (RuntimeException e) {
      log.warn("Could not release instance {}; its lease lapses instead", instance.id(), e);
    }
  }

  /**
   * The ids of the instances this engine is working on. A lease whose runner ended without giving
   * it back (its release failed) is not among them, so it lapses and another claim takes over.
   */
  public java.util.List<String> heldInstances() {
    return java.util.List.copyOf(held);
  }

  /** Waits for running instances to finish, then interrupts the rest. */
  public void shutdown(Duration grace) {
    threads.shutdown();
    try {
      if (!threads.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        threads.shutdownNow();
        if (!threads.awaitTermination(2, TimeUnit.SECONDS)) {
          log.warn("Some instances did not stop in time; their leases lapse");
        }
      }
    } catch (InterruptedException e) {
      threads.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
