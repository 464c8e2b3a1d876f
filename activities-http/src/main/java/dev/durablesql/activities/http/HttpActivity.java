package dev.durablesql.activities.http;

import dev.durablesql.activity.Activity;
import dev.durablesql.activity.ActivityContext;
import dev.durablesql.activity.ActivityException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The built-in {@code http} activity: runs {@code df.http} nodes (SPEC.md §11) through {@link
 * HttpStep}. Its config is the node's stored JSON after substitution ({@code url, method, body,
 * headers, timeout_seconds}). Gate 1 of R-HTTP-4, the submitting role's EXECUTE privilege, is the
 * engine's and has passed before {@link #execute} is called.
 *
 * <p>Settings (engine configuration, read through {@link ActivityContext#setting}): {@code
 * http.policy}, {@code http.allowlist}, {@code http.max-response-bytes}. One {@link HttpStep} is
 * kept per distinct set of values, so an engine builds it once.
 */
public class HttpActivity implements Activity {
  private final AtomicReference<Built> built = new AtomicReference<>();

  /** The settings an {@link HttpStep} was built from, and the step. */
  private record Built(String policy, String allowlist, String maxBytes, HttpStep step) {}

  @Override
  public String type() {
    return "http";
  }

  /** Reads the call from the substituted node JSON. */
  HttpCall call(Map<String, Object> config) {
    return HttpCall.fromHttpNode(config);
  }

  @Override
  public Map<String, Object> execute(ActivityContext context)
      throws ActivityException, InterruptedException {
    HttpStep step = step(context);
    HttpCall call;
    try {
      call = call(withTraceHeaders(context.config(), context.traceHeaders()));
    } catch (IllegalArgumentException e) {
      throw ActivityException.permanent(e.getMessage());
    }
    HttpOutcome outcome = step.execute(call, context.idempotencyKey());
    log(context, call, outcome);
    return switch (outcome) {
      case HttpOutcome.Completed completed -> completed.envelope().toMap();
      case HttpOutcome.Failed failed -> throw ActivityException.permanent(failed.message());
      case HttpOutcome.Transient transientOutcome -> throw retryable(transientOutcome);
    };
  }

  /**
   * The config with the engine's trace headers ({@code traceparent}) added to the step's headers,
   * unless the step sets them itself.
   */
  private static Map<String, Object> withTraceHeaders(
      Map<String, Object> config, Map<String, String> trace) {
    if (trace.isEmpty()) {
      return config;
    }
    Map<String, Object> headers = new java.util.LinkedHashMap<>();
    if (config.get("headers") instanceof Map<?, ?> given) {
      given.forEach((name, value) -> headers.put(String.valueOf(name), value));
    }
    trace.forEach((name, value) -> {
      boolean set = headers.keySet().stream().anyMatch(existing -> existing.equalsIgnoreCase(name));
      if (!set) {
        headers.put(name, value);
      }
    });
    Map<String, Object> copy = new java.util.LinkedHashMap<>(config);
    copy.put("headers", headers);
    return copy;
  }

  private static ActivityException retryable(HttpOutcome.Transient outcome) {
    ActivityException exception = ActivityException.retryable(outcome.message());
    if (outcome.retryAfter().isPresent()) {
      exception = exception.withRetryAfter(outcome.retryAfter().get());
    }
    if (outcome.lastAttempt() instanceof HttpOutcome.Completed completed) {
      exception = exception.withResultWhenExhausted(completed.envelope().toMap());
    }
    return exception;
  }

  /** R-HTTP-9: every allowed or blocked request, with its URL and the submitting role. */
  private static void log(ActivityContext context, HttpCall call, HttpOutcome outcome) {
    String request = call.method().strip() + " " + Redaction.url(call.url());
    System.Logger logger = context.logger();
    switch (outcome) {
      case HttpOutcome.Completed completed ->
          logger.log(
              System.Logger.Level.INFO,
              "HTTP {0} for role {1}: {2} in {3} ms",
              request,
              context.submittedBy(),
              completed.envelope().status(),
              completed.envelope().durationMs());
      case HttpOutcome.Failed failed ->
          logger.log(
              System.Logger.Level.WARNING,
              "HTTP {0} for role {1} failed: {2}",
              request,
              context.submittedBy(),
              failed.message());
      case HttpOutcome.Transient transientOutcome ->
          logger.log(
              System.Logger.Level.WARNING,
              "HTTP {0} for role {1} failed, may be retried: {2}",
              request,
              context.submittedBy(),
              transientOutcome.message());
    }
  }

  private HttpStep step(ActivityContext context) throws ActivityException {
    String policy = context.setting("policy").orElse("allowlist");
    String allowlist = context.setting("allowlist").orElse("");
    String maxBytes = context.setting("max-response-bytes").orElse("");
    Built current = built.get();
    if (current != null
        && current.policy.equals(policy)
        && current.allowlist.equals(allowlist)
        && current.maxBytes.equals(maxBytes)) {
      return current.step;
    }
    HttpSettings settings;
    try {
      settings = HttpSettings.defaults(HostPolicy.of(policy, allowlist));
      Optional<Long> limit = maxBytes.isBlank() ? Optional.empty() : Optional.of(parse(maxBytes));
      if (limit.isPresent()) {
        settings = settings.withMaxResponseBytes(limit.get());
      }
    } catch (IllegalArgumentException e) {
      throw ActivityException.permanent("HTTP is misconfigured in the engine: " + e.getMessage());
    }
    Built fresh = new Built(policy, allowlist, maxBytes, new HttpStep(settings));
    if (built.compareAndSet(current, fresh)) {
      if (current != null) {
        current.step.close();
      }
      return fresh.step;
    }
    fresh.step.close();
    return built.get().step;
  }

  private static long parse(String bytes) {
    try {
      return Long.parseLong(bytes.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "http.max-response-bytes must be a whole number of bytes, was '" + bytes + "'", e);
    }
  }
}
