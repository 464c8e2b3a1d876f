package dev.durablesql.engine.run;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The instances this engine is running now, by id, so that a cancel request can reach them. */
public final class RunningInstances {
  /** The root cancellation of each instance: df.cancel reaches the instance through it. */
  private final Map<String, Cancellation> executions = new ConcurrentHashMap<>();

  Cancellation register(String instanceId) {
    Cancellation execution = new Cancellation(null);
    executions.put(instanceId, execution);
    return execution;
  }

  void unregister(String instanceId, Cancellation execution) {
    executions.remove(instanceId, execution);
  }

  /** Cancels the instance if this engine runs it; a no-op otherwise. */
  public void cancel(String instanceId) {
    Cancellation execution = executions.get(instanceId);
    if (execution != null) {
      execution.cancel();
    }
  }

  public int size() {
    return executions.size();
  }
}
