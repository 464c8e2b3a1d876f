package dev.durablesql.engine.embedded;

import java.io.Serial;

/**
 * The embedded PostgreSQL could not be started or stopped. The message is written for the person
 * running {@code durable}: it names the data directory or port, what went wrong, what to do, and
 * where the server log is when there is one, so the CLI prints it as is.
 */
public final class EmbeddedClusterException extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  public EmbeddedClusterException(String message) {
    super(message);
  }

  public EmbeddedClusterException(String message, Throwable cause) {
    super(message, cause);
  }
}
