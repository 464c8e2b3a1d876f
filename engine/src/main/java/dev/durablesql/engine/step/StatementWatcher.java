package dev.durablesql.engine.step;

import java.sql.Statement;

/**
 * Told about the statement a step is executing, so that a cancellation can cancel it on the server
 * (the step's backend stops, its transaction rolls back).
 */
public interface StatementWatcher {

  /** Nobody watches; for steps that cannot be cancelled. */
  StatementWatcher NONE =
      new StatementWatcher() {
        @Override
        public void executing(Statement statement) {}

        @Override
        public void done(Statement statement) {}
      };

  /** The step is about to execute {@code statement}. */
  void executing(Statement statement);

  /** The statement finished, one way or another. */
  void done(Statement statement);
}
