package dev.durablesql.engine.run;

import dev.durablesql.engine.step.StatementWatcher;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops a part of a running instance: the whole instance (df.cancel) or a RACE loser's branch
 * (R-EXEC-14). Cancelling sets a flag that the walk checks at every node boundary, cancels the
 * statements in flight on the server, and cancels every child branch.
 *
 * <p>One final class for the instance's root and its branches alike: every step hands its
 * cancellation to {@code SqlStep} as the {@link StatementWatcher}, and a second class there (the
 * root was a subclass) made the JIT's compiled step code, specialised for the root while only
 * linear workflows ran, trap back to the interpreter at every step of a JOIN branch or map row
 * (hundreds of deoptimizations per JOIN of 500 after W1).
 */
final class Cancellation implements StatementWatcher {
  private static final Logger log = LoggerFactory.getLogger(Cancellation.class);

  private final Cancellation parent;
  private final Set<Statement> inFlight = ConcurrentHashMap.newKeySet();
  private final List<Cancellation> children = new CopyOnWriteArrayList<>();
  private volatile boolean cancelled;

  Cancellation(Cancellation parent) {
    this.parent = parent;
  }

  /** A branch that is cancelled with this one, and can be cancelled alone. */
  Cancellation child() {
    Cancellation child = new Cancellation(this);
    children.add(child);
    if (isCancelled()) {
      child.cancel();
    }
    return child;
  }

  boolean isCancelled() {
    return cancelled || (parent != null && parent.isCancelled());
  }

  void cancel() {
    cancelled = true;
    for (Statement statement : inFlight) {
      try {
        statement.cancel();
      } catch (SQLException e) {
        log.warn("Could not cancel a step's statement: {}", e.getMessage());
      }
    }
    children.forEach(Cancellation::cancel);
  }

  @Override
  public void executing(Statement statement) {
    inFlight.add(statement);
    if (isCancelled()) {
      try {
        statement.cancel(); // the cancel came between the check and the execute
      } catch (SQLException e) {
        log.warn("Could not cancel a step's statement: {}", e.getMessage());
      }
    }
  }

  @Override
  public void done(Statement statement) {
    inFlight.remove(statement);
  }
}
