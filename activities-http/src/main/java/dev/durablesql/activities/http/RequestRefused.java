package dev.durablesql.activities.http;

import java.io.Serial;

/**
 * A request stopped before any byte was sent: a gate of R-HTTP-4 refused it or its input is
 * malformed. The message is the node's failure text; the failure is permanent.
 */
final class RequestRefused extends Exception {
  @Serial private static final long serialVersionUID = 1L;

  RequestRefused(String message) {
    super(message);
  }
}
