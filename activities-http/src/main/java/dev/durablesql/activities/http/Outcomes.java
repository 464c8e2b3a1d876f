package dev.durablesql.activities.http;

import java.io.IOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a response or a transport failure into an {@link HttpOutcome}: 1xx–4xx complete, 5xx fail
 * (R-HTTP-6), and 429, 502–504, connection failures and timeouts are transient (R-DIFF-2).
 */
final class Outcomes {
  private static final int BODY_IN_MESSAGE = 512;
  private static final Set<Integer> TRANSIENT_STATUSES = Set.of(429, 502, 503, 504);

  private Outcomes() {}

  static HttpOutcome ofResponse(
      String method, String url, PinnedTransport.Response response, long durationMs, Instant now) {
    int status = response.status();
    Optional<Duration> retryAfter =
        response.headers().firstValue("retry-after").flatMap(value -> RetryAfter.parse(value, now));
    if (status >= 500) {
      HttpOutcome.Failed failed = new HttpOutcome.Failed(serverError(method, url, response));
      return TRANSIENT_STATUSES.contains(status)
          ? new HttpOutcome.Transient(failed.message(), retryAfter, failed)
          : failed;
    }
    HttpOutcome.Completed completed =
        new HttpOutcome.Completed(
            BodyText.envelope(status, response.headers(), response.body(), durationMs));
    if (TRANSIENT_STATUSES.contains(status)) {
      return new HttpOutcome.Transient(
          method + " " + url + " returned HTTP " + status + " (too many requests)",
          retryAfter,
          completed);
    }
    return completed;
  }

  /** The failure text of a 5xx response: method, URL, status and the start of the body. */
  private static String serverError(String method, String url, PinnedTransport.Response response) {
    byte[] body = response.body();
    StringBuilder message =
        new StringBuilder(method)
            .append(' ')
            .append(url)
            .append(" returned HTTP ")
            .append(response.status());
    if (body.length == 0) {
      return message.append(" with an empty body").toString();
    }
    message.append(": ").append(BodyText.prefix(body, BODY_IN_MESSAGE));
    if (body.length > BODY_IN_MESSAGE) {
      message.append(" [truncated, ").append(body.length).append(" bytes total]");
    }
    return message.toString();
  }

  static HttpOutcome ofUnresolvedHost(String method, String url, UnknownHostException e) {
    return transientFailure(
        method + " " + url + " failed: cannot resolve host (" + e.getMessage() + ")");
  }

  static HttpOutcome ofFailure(String method, String url, IOException e, Duration timeout) {
    String target = method + " " + url;
    if (e instanceof LimitedBody.TooLarge tooLarge) {
      return new HttpOutcome.Failed(
          target
              + " failed: "
              + tooLarge.getMessage()
              + "; raise the response size limit or ask for less data");
    }
    if (e instanceof HttpTimeoutException) {
      return transientFailure(target + " timed out after " + describe(timeout));
    }
    if (hasCause(e, CertificateException.class)) {
      return new HttpOutcome.Failed(
          target + " failed: the server's TLS certificate was rejected: " + rootMessage(e));
    }
    if (e instanceof ProtocolException) {
      return new HttpOutcome.Failed(target + " failed: invalid HTTP response: " + e.getMessage());
    }
    if (e instanceof ConnectException) {
      return transientFailure(target + " failed: cannot connect (" + rootMessage(e) + ")");
    }
    return transientFailure(
        target
            + " failed: connection error ("
            + e.getClass().getSimpleName()
            + ": "
            + rootMessage(e)
            + ")");
  }

  private static HttpOutcome.Transient transientFailure(String message) {
    return new HttpOutcome.Transient(message, Optional.empty(), new HttpOutcome.Failed(message));
  }

  private static boolean hasCause(Throwable failure, Class<? extends Throwable> type) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (type.isInstance(cause)) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable failure) {
    String message = failure.getMessage();
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause.getMessage() != null) {
        message = cause.getMessage();
      }
    }
    return message == null ? failure.getClass().getSimpleName() : message;
  }

  private static String describe(Duration timeout) {
    return timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + "s" : timeout.toMillis() + "ms";
  }
}
