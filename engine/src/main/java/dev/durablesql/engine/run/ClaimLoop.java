package dev.durablesql.engine.run;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.claim.InstanceClaimer;
import dev.durablesql.engine.claim.WakeSignal;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that claims: after every wake-up (NOTIFY, freed capacity, or the poll interval) it
 * claims until nothing more is due or no capacity is left.
 */
public final class ClaimLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClaimLoop.class);

  private final Dispatcher dispatcher;
  private final InstanceClaimer claimer;
  private final WakeSignal wake;
  private final Duration pollInterval;
  private final Thread thread;
  private volatile boolean running = true;
  private Optional<Instant> nextDue = Optional.empty();
  private Instant nextDueAskedAt = Instant.MIN;

  public ClaimLoop(
      Dispatcher dispatcher, InstanceClaimer claimer, WakeSignal wake, Duration pollInterval) {
    this.dispatcher = requireNonNull(dispatcher, "dispatcher is null");
    this.claimer = requireNonNull(claimer, "claimer is null");
    this.wake = requireNonNull(wake, "wake is null");
    this.pollInterval = requireNonNull(pollInterval, "pollInterval is null");
    this.thread = Thread.ofPlatform().name("df-claimer").unstarted(this::loop);
  }

  public void start() {
    thread.start();
  }

  private void loop() {
    Duration backoff = pollInterval;
    while (running) {
      try {
        while (running && dispatcher.dispatchOnce()) {
          // Claimed a full batch; there may be more.
        }
        backoff = pollInterval;
        // At capacity, due instances cannot be taken anyway: wait for a running one to end (it
        // signals) instead of asking the database again and again.
        wake.await(dispatcher.hasCapacity() ? untilNextDue() : pollInterval);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.warn(
            "Claiming failed ({}); trying again in {}",
            e.getCause() == null ? e.getMessage() : e.getCause().getMessage(),
            backoff);
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException interrupted) {
          return;
        }
        backoff =
            backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0
                ? Duration.ofSeconds(10)
                : backoff.multipliedBy(2);
      }
    }
  }

  /**
   * How long to sleep: the poll interval, or less when a parked instance (a timer) falls due
   * sooner, so that timers fire on time rather than up to a poll interval late.
   */
  private Duration untilNextDue() {
    Instant now = Instant.now();
    // Asked again only when a NOTIFY or a parked instance may have changed it, when the answer
    // is a poll interval old (another engine's timers), or when it has passed.
    if (wake.takeDueTimesChanged()
        || now.isAfter(nextDueAskedAt.plus(pollInterval))
        || nextDue.filter(due -> !due.isAfter(now)).isPresent()) {
      nextDue = claimer.nextDue();
      nextDueAskedAt = now;
    }
    return nextDue
        .map(due -> Duration.between(Instant.now(), due))
        .filter(wait -> wait.compareTo(pollInterval) < 0)
        .map(wait -> wait.isNegative() ? Duration.ZERO : wait)
        .orElse(pollInterval);
  }

  /** Stops claiming; instances already running are the dispatcher's to stop. */
  @Override
  public void close() {
    running = false;
    wake.signal();
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
