package dev.durablesql.engine.run;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.step.StatementWatcher;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance being run by this engine: what a cancellation needs to reach it. Cancelling sets a
 * flag the runner checks at every node boundary and cancels the statement in flight, if any.
 */
final class Execution implements StatementWatcher {
  private static final Logger log = LoggerFactory.getLogger(Execution.class);

  private final String instanceId;
  private final AtomicReference<Statement> inFlight = new AtomicReference<>();
  private volatile boolean cancelled;

  Execution(String instanceId) {
    this.instanceId = requireNonNull(instanceId, "instanceId is null");
  }

  String instanceId() {
    return instanceId;
  }

  boolean isCancelled() {
    return cancelled;
  }

  void cancel() {
    cancelled = true;
    Statement statement = inFlight.get();
    if (statement != null) {
      try {
        statement.cancel();
        log.info("Cancelled the statement in flight for instance {}", instanceId);
      } catch (SQLException e) {
        log.warn("Could not cancel the statement of instance {}: {}", instanceId, e.getMessage());
      }
    }
  }

  @Override
  public void executing(Statement statement) {
    inFlight.set(statement);
    if (cancelled) {
      cancel(); // the cancel came between the check and the execute
    }
  }

  @Override
  public void done() {
    inFlight.set(null);
  }
}
