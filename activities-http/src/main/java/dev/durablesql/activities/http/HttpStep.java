package dev.durablesql.activities.http;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.NoSuchAlgorithmException;
import java.time.InstantSource;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * Runs one attempt of an HTTP step ({@code df.http}, {@code df.http_multipart}; SPEC.md §11 with
 * R-DIFF-2 and R-DIFF-8) and says what came of it. The module's entry point.
 *
 * <p>Before any byte is sent, in this order: the host policy's disabled mode; the URL scheme (gate
 * 2 of R-HTTP-4); the host policy (gate 3); one DNS resolution with the SSRF address filter (gate
 * 4); then the method, headers and body are checked. Gate 1, the EXECUTE privilege of the
 * submitting role, needs the database and is the engine's: it must pass before calling {@link
 * #execute}. The request then goes only to the vetted addresses (see {@link PinnedTransport}).
 *
 * <p>One instance serves every HTTP step of an engine, concurrently; {@link #execute} blocks its
 * (virtual) thread for at most the step's timeout. Close it when the engine stops.
 */
public final class HttpStep implements AutoCloseable {
  private final HttpSettings settings;
  private final AddressGuard guard;
  private final PinnedTransport transport;
  private final InstantSource clock;

  /** Resolves with the system's DNS and trusts the JVM's default trust store. */
  public HttpStep(HttpSettings settings) {
    this(settings, HostResolver.SYSTEM, defaultSslContext(), InstantSource.system());
  }

  /**
   * @param resolver looks host names up (a table in tests)
   * @param sslContext trust for https
   * @param clock measures Retry-After dates
   */
  HttpStep(
      HttpSettings settings, HostResolver resolver, SSLContext sslContext, InstantSource clock) {
    this.settings = requireNonNull(settings, "settings is null");
    this.guard = new AddressGuard(resolver, settings.hostPolicy().filtersAddresses());
    this.transport = new PinnedTransport(sslContext);
    this.clock = requireNonNull(clock, "clock is null");
  }

  private static SSLContext defaultSslContext() {
    try {
      return SSLContext.getDefault();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no default TLS context", e);
    }
  }

  public HttpSettings settings() {
    return settings;
  }

  /**
   * Runs one attempt of {@code call}.
   *
   * @param idempotencyKey sent as {@code Idempotency-Key} on every method but GET, unless the
   *     step's headers set one; the same for every run of the same attempt
   * @return the outcome; refusals and transport errors are outcomes, not exceptions
   * @throws InterruptedException when the thread is interrupted (engine shutdown, cancellation);
   *     the exchange is abandoned
   */
  public HttpOutcome execute(HttpCall call, String idempotencyKey) throws InterruptedException {
    requireNonNull(call, "call is null");
    requireNonNull(idempotencyKey, "idempotencyKey is null");
    String shownUrl = Redaction.url(call.url());
    String shownMethod = call.method().strip().toUpperCase(Locale.ROOT);
    // The step's timeout is total: it starts before the lookup. A lookup cannot be interrupted,
    // though; a hung resolver is bounded by its own timeouts only.
    long deadline = System.nanoTime() + call.timeout().toNanos();
    TargetUrl target;
    List<InetAddress> addresses;
    PreparedRequest request;
    try {
      settings.hostPolicy().checkEnabled();
      target = TargetUrl.parse(call.url());
      settings.hostPolicy().check(target);
      addresses = guard.vet(target.host());
      request = PreparedRequest.of(call, settings.userAgent(), idempotencyKey);
    } catch (RequestRefused e) {
      return new HttpOutcome.Failed(e.getMessage());
    } catch (UnknownHostException e) {
      return Outcomes.ofUnresolvedHost(shownMethod, shownUrl, e);
    }
    long started = System.nanoTime();
    try {
      PinnedTransport.Response response =
          transport.send(target, addresses, request, deadline, settings.maxResponseBytes());
      long durationMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      return Outcomes.ofResponse(request.method(), shownUrl, response, durationMs, clock.instant());
    } catch (RequestRefused e) {
      return new HttpOutcome.Failed(e.getMessage());
    } catch (IOException e) {
      return Outcomes.ofFailure(request.method(), shownUrl, e, call.timeout());
    }
  }

  @Override
  public void close() {
    transport.close();
  }
}
