package dev.durablesql.activities.http;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * Sends a request to addresses the {@link AddressGuard} vetted, never to a fresh DNS answer.
 *
 * <p>{@code java.net.http} has no hook to choose the address it connects to: it resolves the URI's
 * host itself, which would let a DNS answer that changed since the check (DNS rebinding) reach a
 * restricted address. So the request URI carries the vetted address as an IP literal, which the
 * client connects to without any lookup, and the original name travels where the server expects it:
 *
 * <ul>
 *   <li>in the {@code Host} header, for virtual hosting on both http and https (allowed by {@link
 *       HostHeader});
 *   <li>for https, to the TLS layer: as the server name (SNI) in the client's {@link SSLParameters}
 *       (for an IP-literal URI the JDK sends the names configured on the client), and as the peer
 *       host of the TLS engine, through {@link PeerNameContext}. Endpoint identification ({@code
 *       HTTPS}, always on in the client) then checks the certificate against the URL's host name,
 *       exactly as without pinning. Because the name is per request, each https request gets its
 *       own client, closed afterwards; plain http shares one client.
 * </ul>
 *
 * <p>Other properties of the clients: HTTP/1.1 only (an HTTP/2 {@code :authority} would carry the
 * IP literal), redirects never followed (R-HTTP-5), no proxy (a proxy would resolve the name
 * itself), no cookies, no authentication. The vetted addresses are tried in order while they refuse
 * connections, all within the step's total timeout. Thread-safe.
 */
final class PinnedTransport implements AutoCloseable {
  private final SSLContext sslContext;
  private final HttpClient plainClient;

  /** A response read in full. */
  record Response(int status, HttpHeaders headers, byte[] body) {}

  /**
   * @param sslContext trust and key material for https; {@code SSLContext.getDefault()} in
   *     production
   * @throws IllegalStateException when the JDK does not let the Host header be set (see {@link
   *     HostHeader})
   */
  PinnedTransport(SSLContext sslContext) {
    HostHeader.ensureAllowed();
    this.sslContext = requireNonNull(sslContext, "sslContext is null");
    this.plainClient = clientBuilder().build();
  }

  private static HttpClient.Builder clientBuilder() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .proxy(HttpClient.Builder.NO_PROXY);
  }

  /**
   * Sends {@code request} to the first of {@code addresses} that accepts the connection and reads
   * the whole response.
   *
   * @param addresses vetted addresses of {@code target}'s host, at least one
   * @param deadline the {@link System#nanoTime()} by which the last body byte must have arrived
   * @throws HttpTimeoutException when the deadline passes
   * @throws LimitedBody.TooLarge when the body exceeds {@code maxBytes}
   * @throws IOException for any other transport failure
   * @throws RequestRefused when the target cannot be addressed (a host unusable as a TLS name)
   * @throws InterruptedException when interrupted; the exchange is cancelled
   */
  Response send(
      TargetUrl target,
      List<InetAddress> addresses,
      PreparedRequest request,
      long deadline,
      long maxBytes)
      throws IOException, InterruptedException, RequestRefused {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("no vetted address for " + target.host());
    }
    if (!target.isSecure()) {
      return sendTo(plainClient, target, addresses, request, deadline, maxBytes);
    }
    HttpClient tlsClient = tlsClient(target);
    try {
      return sendTo(tlsClient, target, addresses, request, deadline, maxBytes);
    } finally {
      tlsClient.shutdownNow();
    }
  }

  private HttpClient tlsClient(TargetUrl target) throws RequestRefused {
    SSLParameters parameters = sslContext.getDefaultSSLParameters();
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    if (target.isIpLiteral()) {
      // The URL names an address: the certificate must be valid for it, as without pinning.
      return clientBuilder().sslContext(sslContext).sslParameters(parameters).build();
    }
    String name = target.host();
    if (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1);
    }
    try {
      parameters.setServerNames(List.of(new SNIHostName(name)));
    } catch (IllegalArgumentException e) {
      throw new RequestRefused(
          "Host '"
              + target.host()
              + "' cannot be used as a TLS server name: "
              + e.getMessage()
              + "; the request was not sent");
    }
    return clientBuilder()
        .sslContext(new PeerNameContext(sslContext, name))
        .sslParameters(parameters)
        .build();
  }

  private static Response sendTo(
      HttpClient client,
      TargetUrl target,
      List<InetAddress> addresses,
      PreparedRequest request,
      long deadline,
      long maxBytes)
      throws IOException, InterruptedException, RequestRefused {
    ConnectException refused = null;
    for (InetAddress address : addresses) {
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        break;
      }
      HttpRequest httpRequest =
          request.toHttpRequest(
              target.pinnedTo(address), target.hostHeader(), Duration.ofNanos(remaining));
      CompletableFuture<HttpResponse<byte[]>> exchange =
          client.sendAsync(httpRequest, new LimitedBody(maxBytes));
      try {
        // The request timeout ends with the response headers; this bound covers the body too.
        HttpResponse<byte[]> response = exchange.get(remaining, TimeUnit.NANOSECONDS);
        return new Response(response.statusCode(), response.headers(), response.body());
      } catch (TimeoutException e) {
        exchange.cancel(true);
        break;
      } catch (InterruptedException e) {
        exchange.cancel(true);
        throw e;
      } catch (ExecutionException e) {
        IOException failure =
            e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        if (failure instanceof ConnectException connect) {
          refused = connect; // try the next vetted address
          continue;
        }
        throw failure;
      }
    }
    if (refused != null && deadline - System.nanoTime() > 0) {
      throw refused;
    }
    throw new HttpTimeoutException("no complete response before the deadline");
  }

  @Override
  public void close() {
    plainClient.shutdownNow();
  }
}
