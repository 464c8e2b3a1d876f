package dev.durablesql.engine.claim;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** Wakes the claim loop: a NOTIFY arrived, or capacity became free. Signals coalesce. */
public final class WakeSignal {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition signalled = lock.newCondition();
  private boolean pending;
  private volatile boolean dueTimesChanged = true;

  /**
   * Wakes the loop for work whose due time it may not know yet: an instance of this engine parked
   * until a timer, or the listener's (re)connection, after which anything may be due.
   */
  public void signalDueTimes() {
    dueTimesChanged = true;
    signal();
  }

  /** Whether due times may have changed since the last call (then the loop asks the database). */
  public boolean takeDueTimesChanged() {
    boolean changed = dueTimesChanged;
    dueTimesChanged = false;
    return changed;
  }

  public void signal() {
    lock.lock();
    try {
      pending = true;
      signalled.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Waits until signalled or the timeout passes; clears the signal. */
  public void await(Duration timeout) throws InterruptedException {
    lock.lock();
    try {
      long nanos = timeout.toNanos();
      while (!pending && nanos > 0) {
        nanos = signalled.awaitNanos(nanos);
      }
      pending = false;
    } finally {
      lock.unlock();
    }
  }
}
