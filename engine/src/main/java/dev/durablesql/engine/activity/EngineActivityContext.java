package dev.durablesql.engine.activity;

import static java.util.Objects.requireNonNull;

import dev.durablesql.activity.ActivityContext;
import dev.durablesql.engine.step.RoleConnections;
import dev.durablesql.engine.step.StepConnectionException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** The {@link ActivityContext} of one attempt, as the engine fills it in. */
final class EngineActivityContext implements ActivityContext {
  private final ActivityCall call;
  private final int attempt;
  private final Instant deadline;
  private final String idempotencyKey;
  private final ActivitySettings settings;
  private final RoleConnections connections;

  EngineActivityContext(
      ActivityCall call,
      int attempt,
      Instant deadline,
      ActivitySettings settings,
      RoleConnections connections) {
    this.call = requireNonNull(call, "call is null");
    this.attempt = attempt;
    this.deadline = requireNonNull(deadline, "deadline is null");
    this.settings = requireNonNull(settings, "settings is null");
    this.connections = requireNonNull(connections, "connections is null");
    this.idempotencyKey =
        IdempotencyKeys.of(call.instanceId(), call.nodeId(), call.stamp(), attempt);
  }

  @Override
  public String instanceId() {
    return call.instanceId();
  }

  @Override
  public String nodeId() {
    return call.nodeId();
  }

  @Override
  public int attempt() {
    return attempt;
  }

  @Override
  public String submittedBy() {
    return call.role();
  }

  @Override
  public Map<String, Object> config() {
    return call.config();
  }

  @Override
  public String idempotencyKey() {
    return idempotencyKey;
  }

  @Override
  public Instant deadline() {
    return deadline;
  }

  @Override
  public boolean isCancelled() {
    return Thread.currentThread().isInterrupted() || call.cancelled().getAsBoolean();
  }

  @Override
  public System.Logger logger() {
    return new ActivityLogger(call.type(), call.instanceId(), call.nodeId());
  }

  @Override
  public Optional<String> setting(String name) {
    requireNonNull(name, "name is null");
    return settings.value(call.type(), name);
  }

  @Override
  public Map<String, String> traceHeaders() {
    return call.traceHeaders();
  }

  @Override
  public Connection openConnection() throws SQLException {
    try {
      return RoleConnection.of(connections.open(call.role(), call.database()));
    } catch (StepConnectionException e) {
      throw new SQLException(e.getMessage(), "08001", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while waiting for a connection as " + call.role(), e);
    }
  }
}
