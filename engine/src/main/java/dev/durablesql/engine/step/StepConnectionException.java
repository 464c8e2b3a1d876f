package dev.durablesql.engine.step;

import java.io.Serial;

/** No connection could be had for a step; the message is the node's error text. */
public final class StepConnectionException extends Exception {
  @Serial private static final long serialVersionUID = 1L;

  StepConnectionException(String message, Throwable cause) {
    super(message, cause);
  }
}
