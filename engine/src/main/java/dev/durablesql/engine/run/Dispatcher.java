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

  private final InstanceClaimer claimer;
  private final InstanceRunner runner;
  private final InstanceStore store;
  private final WakeSignal wake;
  private final Semaphore permits;

  /** The instances claimed and not yet given back: the only leases the heartbeat renews. */
  private final java.util.Set<String> held = java.util.concurrent.ConcurrentHashMap.newKeySet();

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
    } catch (LeaseLostException e) {
      log.warn("{}", e.getMessage());
    } catch (InterruptedException e) {
      log.info(
          "Instance {} interrupted by shutdown; releasing it for another claim", instance.id());
      releaseQuietly(instance);
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      // Give the instance back so that it is retried from its last checkpoint.
      log.error(
          "Instance {} failed outside a step; releasing it, to be tried again in {}",
          instance.id(),
          RETRY_AFTER_ERROR,
          e);
      releaseQuietly(instance, RETRY_AFTER_ERROR);
      wake.signalDueTimes();
    } finally {
      held.remove(instance.id());
      permits.release();
      if (backlog) {
        wake.signal(); // capacity is free and work may be waiting for it: claim now
      }
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
