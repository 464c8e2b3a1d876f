package dev.durablesql.engine.embedded;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Starts a cluster in a JVM of its own and then waits to be killed, the way a {@code durable up}
 * killed with -9 leaves its server behind. Arguments: data directory, port.
 */
final class AbandonedRun {
  static final String READY = "abandoned-run-ready";

  private AbandonedRun() {}

  public static void main(String[] arguments) throws IOException {
    EmbeddedCluster cluster =
        EmbeddedCluster.start(Path.of(arguments[0]), Integer.parseInt(arguments[1]));
    System.out.println(READY + " " + cluster.port());
    System.out.flush();
    while (System.in.read() >= 0) {
      // Keeps running until killed; closing stdin ends it too.
    }
  }
}
