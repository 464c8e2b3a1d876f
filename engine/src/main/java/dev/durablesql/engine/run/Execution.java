package dev.durablesql.engine.run;

import static java.util.Objects.requireNonNull;

/** One instance being run by this engine: the root of its cancellations (df.cancel reaches it). */
final class Execution extends Cancellation {
  private final String instanceId;

  Execution(String instanceId) {
    super(null);
    this.instanceId = requireNonNull(instanceId, "instanceId is null");
  }

  String instanceId() {
    return instanceId;
  }
}
