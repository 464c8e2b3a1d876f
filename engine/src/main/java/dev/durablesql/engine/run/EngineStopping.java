package dev.durablesql.engine.run;

import java.io.Serial;

/** Unwinds a runner at a node boundary when the engine shuts down; the instance is released. */
final class EngineStopping extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  EngineStopping() {
    super("the engine is stopping", null, false, false);
  }
}
