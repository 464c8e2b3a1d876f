package dev.durablesql.engine.run;

import java.io.Serial;

/** Unwinds a runner when its instance was cancelled (df.cancel); nothing further runs. */
final class InstanceCancelled extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  InstanceCancelled() {
    super("the instance was cancelled", null, false, false);
  }
}
