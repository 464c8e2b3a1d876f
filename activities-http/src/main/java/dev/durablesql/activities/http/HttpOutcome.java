package dev.durablesql.activities.http;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * What one attempt of an HTTP step came to: {@link Completed} with the response envelope, {@link
 * Failed} for good, or {@link Transient} when a later attempt may do better (R-DIFF-2).
 */
public sealed interface HttpOutcome {

  /** An outcome the node can be stamped with: completed or failed. */
  sealed interface Final extends HttpOutcome {}

  /**
   * The node completes with the envelope as its result: every 1xx–4xx response (R-HTTP-6), and a
   * 429 when no attempt is left.
   */
  record Completed(HttpEnvelope envelope) implements Final {
    public Completed {
      requireNonNull(envelope, "envelope is null");
    }

    /** The envelope as JSON text, the node's result. */
    public String json() {
      return envelope.toJson();
    }
  }

  /**
   * The node fails with {@code message} as its result: 5xx responses other than 502–504, refused
   * requests (gates of R-HTTP-4, bad input), TLS certificate errors, responses over the size limit.
   */
  record Failed(String message) implements Final {
    public Failed {
      requireNonNull(message, "message is null");
    }
  }

  /**
   * A failure worth retrying: responses 429, 502, 503 and 504, connection failures, unresolvable
   * hosts and timeouts.
   *
   * @param message what happened, for logs and the attempt record
   * @param retryAfter the delay the server asked for in {@code Retry-After}, if any; the retry
   *     policy decides whether to honour it within its limits
   * @param lastAttempt what the node gets when no attempt is left: a {@link Completed} envelope for
   *     429, a {@link Failed} otherwise
   */
  record Transient(String message, Optional<Duration> retryAfter, Final lastAttempt)
      implements HttpOutcome {
    public Transient {
      requireNonNull(message, "message is null");
      requireNonNull(retryAfter, "retryAfter is null");
      requireNonNull(lastAttempt, "lastAttempt is null");
    }
  }
}
