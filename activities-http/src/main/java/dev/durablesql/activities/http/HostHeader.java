package dev.durablesql.activities.http;

import java.net.http.HttpRequest;
import java.util.Arrays;

/**
 * Lets {@code java.net.http} send a {@code Host} header chosen by the caller, which {@link
 * PinnedTransport} needs: it addresses the vetted IP literal in the request URI and names the real
 * host in {@code Host}. The JDK refuses to set {@code Host} unless the system property {@code
 * jdk.httpclient.allowRestrictedHeaders} lists it, and reads that property once, when the client
 * implementation first loads. So this class adds {@code host} to the property when it is
 * initialised, before this module builds any request, and checks that the JDK took it. This is the
 * module's one change to JVM-wide state; it only widens what callers may set, so other users of
 * {@code java.net.http} in the JVM behave as before unless they set {@code Host} themselves.
 */
final class HostHeader {
  private static final String PROPERTY = "jdk.httpclient.allowRestrictedHeaders";

  static {
    String current = System.getProperty(PROPERTY);
    if (current == null || current.isBlank()) {
      System.setProperty(PROPERTY, "host");
    } else if (Arrays.stream(current.split(",")).noneMatch("host"::equalsIgnoreCase)) {
      System.setProperty(PROPERTY, current + ",host");
    }
  }

  private HostHeader() {}

  /**
   * @throws IllegalStateException when {@code java.net.http} was loaded before the property was
   *     set, so the Host header cannot be sent
   */
  static void ensureAllowed() {
    try {
      HttpRequest.newBuilder().header("Host", "probe.invalid");
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          "java.net.http was loaded before durable-sql could allow the Host header, so HTTP steps"
              + " cannot pin connections to vetted addresses; start the JVM with"
              + " -D"
              + PROPERTY
              + "=host",
          e);
    }
  }
}
