package dev.durablesql.engine.cli;

import java.util.concurrent.CountDownLatch;

/**
 * Keeps a foreground command alive until Ctrl-C or SIGTERM, then runs its stop action once, from
 * the JVM's shutdown hook, before the JVM exits.
 */
final class UntilStopped {
  private final CountDownLatch stopped = new CountDownLatch(1);

  UntilStopped(Runnable stop) {
    Runtime.getRuntime()
        .addShutdownHook(
            Thread.ofPlatform()
                .name("df-shutdown")
                .unstarted(() -> {
                  try {
                    stop.run();
                  } finally {
                    stopped.countDown();
                  }
                }));
  }

  /** Blocks until the stop action has run. */
  void await() throws InterruptedException {
    stopped.await();
  }
}
