package dev.durablesql.engine.dashboard;

import static java.util.Objects.requireNonNull;

/** A dashboard request that cannot be answered; {@link #kind()} says whose problem it is. */
public final class DashboardException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the request failed, which the HTTP layer turns into a status code. */
  public enum Kind {
    /** The instance does not exist or the role cannot see it (the same answer for both). */
    NOT_FOUND,
    /** A parameter is malformed, such as a timestamp or a cursor. */
    INVALID,
    /** The database cannot be reached, or the engine cannot log in as the role. */
    UNAVAILABLE,
    /** The database refused a statement for another reason; the message says which. */
    FAILED
  }

  private final Kind kind;

  public DashboardException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = requireNonNull(kind, "kind is null");
  }

  public Kind kind() {
    return kind;
  }
}
