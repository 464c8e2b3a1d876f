package dev.durablesql.engine;

import java.io.Serial;

/**
 * A failure the user can act on (bad configuration, unreachable database, schema problems). The
 * message says what is wrong and what to do; the CLI prints it as one line.
 */
public final class EngineException extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  public EngineException(String message) {
    super(message);
  }

  public EngineException(String message, Throwable cause) {
    super(message, cause);
  }
}
