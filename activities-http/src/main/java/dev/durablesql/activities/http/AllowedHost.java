package dev.durablesql.activities.http;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One allowlist entry: an exact host name or a {@code *.suffix} pattern, optionally limited to one
 * port.
 *
 * @param name the host, or the suffix after {@code *.}; lower case
 * @param wildcard whether {@code name} is a suffix; a suffix needs at least one more label, so
 *     {@code *.example.com} does not match {@code example.com} itself
 * @param port the only port allowed, or -1 for any port
 */
record AllowedHost(String name, boolean wildcard, int port) {
  private static final Pattern HOST_NAME =
      Pattern.compile("[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*");

  AllowedHost {
    requireNonNull(name, "name is null");
  }

  /**
   * Parses {@code host}, {@code *.suffix}, {@code host:port} or {@code *.suffix:port}.
   *
   * @throws IllegalArgumentException naming the entry and what is wrong with it
   */
  static AllowedHost parse(String entry) {
    requireNonNull(entry, "entry is null");
    String text = entry.strip().toLowerCase(Locale.ROOT);
    int port = -1;
    int colon = text.lastIndexOf(':');
    if (colon >= 0) {
      String portText = text.substring(colon + 1);
      if (portText.isEmpty()
          || portText.length() > 5
          || !portText.chars().allMatch(c -> c >= '0' && c <= '9')
          || Integer.parseInt(portText) < 1
          || Integer.parseInt(portText) > 65535) {
        throw malformed(entry, "the port must be a number from 1 to 65535");
      }
      port = Integer.parseInt(portText);
      text = text.substring(0, colon);
    }
    boolean wildcard = text.startsWith("*.");
    String name = wildcard ? text.substring(2) : text;
    if (name.indexOf(':') >= 0 || name.startsWith("[") || IpLiteral.matches(name)) {
      throw malformed(
          entry,
          "IP addresses cannot be allowed, only host names (bare IP hosts are"
              + " always refused in allowlist mode)");
    }
    if (!HOST_NAME.matcher(name).matches()) {
      throw malformed(
          entry,
          "expected a host name or *.suffix, optionally followed by :port, like"
              + " api.example.com, *.example.com or api.example.com:8443");
    }
    return new AllowedHost(name, wildcard, port);
  }

  private static IllegalArgumentException malformed(String entry, String reason) {
    return new IllegalArgumentException(
        "Malformed HTTP allowlist entry '" + entry.strip() + "': " + reason);
  }

  /** Whether a request to {@code host} (lower case) on {@code port} is allowed by this entry. */
  boolean matches(String host, int requestPort) {
    if (port >= 0 && port != requestPort) {
      return false;
    }
    return wildcard ? host.endsWith("." + name) : host.equals(name);
  }

  @Override
  public String toString() {
    return (wildcard ? "*." : "") + name + (port < 0 ? "" : ":" + port);
  }
}
