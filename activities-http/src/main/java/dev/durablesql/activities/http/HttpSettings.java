package dev.durablesql.activities.http;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Deployment-wide settings of HTTP steps. Start from {@link #defaults}; every value is checked
 * here, once.
 *
 * @param hostPolicy which hosts may be reached (R-DIFF-8)
 * @param maxResponseBytes a response body larger than this fails the step (R-DIFF-8)
 * @param userAgent the {@code User-Agent} sent unless the step sets its own
 */
public record HttpSettings(HostPolicy hostPolicy, long maxResponseBytes, String userAgent) {

  /** 10 MiB. */
  public static final long DEFAULT_MAX_RESPONSE_BYTES = 10L * 1024 * 1024;

  /** The largest body a Java array holds, with room for the JVM's array header. */
  public static final long LARGEST_MAX_RESPONSE_BYTES = Integer.MAX_VALUE - 8;

  public HttpSettings {
    requireNonNull(hostPolicy, "hostPolicy is null");
    requireNonNull(userAgent, "userAgent is null");
    if (maxResponseBytes < 1 || maxResponseBytes > LARGEST_MAX_RESPONSE_BYTES) {
      throw new IllegalArgumentException(
          "maxResponseBytes must be from 1 to "
              + LARGEST_MAX_RESPONSE_BYTES
              + ", was "
              + maxResponseBytes);
    }
    if (userAgent.isBlank()) {
      throw new IllegalArgumentException("userAgent is blank");
    }
  }

  /**
   * A 10 MiB response limit and {@code User-Agent: pg_durable/<version>}: R-HTTP-5 names the
   * reference's product, and servers that allow-list that agent keep working with durable-sql.
   */
  public static HttpSettings defaults(HostPolicy hostPolicy) {
    return new HttpSettings(hostPolicy, DEFAULT_MAX_RESPONSE_BYTES, "pg_durable/" + version());
  }

  public HttpSettings withMaxResponseBytes(long value) {
    return new HttpSettings(hostPolicy, value, userAgent);
  }

  public HttpSettings withUserAgent(String value) {
    return new HttpSettings(hostPolicy, maxResponseBytes, value);
  }

  private static String version() {
    try (InputStream in = HttpSettings.class.getResourceAsStream("version.txt")) {
      if (in == null) {
        throw new IllegalStateException(
            "version.txt is missing from the activities-http jar; rebuild it with Maven");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read version.txt of activities-http", e);
    }
  }
}
