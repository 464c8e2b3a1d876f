package dev.durablesql.engine.run;

import java.io.Serial;

/** Unwinds a RACE loser's branch after it was cancelled (R-EXEC-14). */
final class BranchCancelled extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  BranchCancelled() {
    super("the branch lost its RACE", null, false, false);
  }
}
