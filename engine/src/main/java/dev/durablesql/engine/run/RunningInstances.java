package dev.durablesql.engine.run;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The instances this engine is running now, by id, so that a cancel request can reach them. */
public final class RunningInstances {
  private final Map<String, Execution> executions = new ConcurrentHashMap<>();

  Execution register(String instanceId) {
    Execution execution = new Execution(instanceId);
    executions.put(instanceId, execution);
    return execution;
  }

  void unregister(Execution execution) {
    executions.remove(execution.instanceId(), execution);
  }

  /** Cancels the instance if this engine runs it; a no-op otherwise. */
  public void cancel(String instanceId) {
    Execution execution = executions.get(instanceId);
    if (execution != null) {
      execution.cancel();
    }
  }

  public int size() {
    return executions.size();
  }
}
