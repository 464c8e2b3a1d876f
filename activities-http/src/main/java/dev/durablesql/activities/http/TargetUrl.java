package dev.durablesql.activities.http;

import static java.util.Objects.requireNonNull;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A request URL that passed the scheme gate, with the host and port read as R-HTTP-7 prescribes and
 * checked against {@link URI}'s reading, so that the host the policy judges is the host the request
 * goes to.
 *
 * @param scheme {@code http} or {@code https}
 * @param host lower-cased, without IPv6 brackets
 * @param port the explicit port, or -1
 * @param uri the parsed URL
 */
record TargetUrl(String scheme, String host, int port, URI uri) {

  TargetUrl {
    requireNonNull(scheme, "scheme is null");
    requireNonNull(host, "host is null");
    requireNonNull(uri, "uri is null");
  }

  /**
   * Applies the scheme gate (R-HTTP-4 step 2) and reads the host.
   *
   * @throws RequestRefused for a scheme other than http and https, or a URL without a usable host
   */
  static TargetUrl parse(String url) throws RequestRefused {
    requireNonNull(url, "url is null");
    String shown = Redaction.url(url);
    int separator = url.indexOf("://");
    String scheme = (separator < 0 ? url : url.substring(0, separator)).toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new RequestRefused(
          "unsupported URL scheme in '"
              + shown
              + "': only http:// and https:// URLs can be requested; the request was not sent");
    }
    String authority = authorityOf(url.substring(separator + 3));
    String host;
    String portText;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) {
        throw new RequestRefused("Invalid URL '" + shown + "': unclosed '[' in the host");
      }
      host = authority.substring(1, close);
      portText = authority.startsWith(":", close + 1) ? authority.substring(close + 2) : null;
    } else {
      int colon = authority.indexOf(':');
      host = colon < 0 ? authority : authority.substring(0, colon);
      portText = colon < 0 ? null : authority.substring(colon + 1);
    }
    host = host.toLowerCase(Locale.ROOT);
    if (host.isEmpty()) {
      throw new RequestRefused("Invalid URL '" + shown + "': it has no host");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new RequestRefused("Invalid URL '" + shown + "': " + e.getReason());
    }
    // A second, independent reading: if java.net.URI sees another host or port than the rules
    // of R-HTTP-7, the policy would judge one host while the request goes to another.
    String uriHost = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
    if (uriHost.startsWith("[") && uriHost.endsWith("]")) {
      uriHost = uriHost.substring(1, uriHost.length() - 1);
    }
    int port = uri.getPort();
    if (!uriHost.equals(host) || portNumber(portText) != port) {
      throw new RequestRefused(
          "Invalid URL '"
              + shown
              + "': its host and port cannot be read unambiguously; the request was not sent");
    }
    if (port == 0 || port > 65535) {
      throw new RequestRefused("Invalid URL '" + shown + "': port " + port + " is out of range");
    }
    return new TargetUrl(scheme, host, port, uri);
  }

  /** The port as written: -1 when absent or empty, -2 when it is not a number. */
  private static int portNumber(String text) {
    if (text == null || text.isEmpty()) {
      return -1;
    }
    if (text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -2;
    }
    return Integer.parseInt(text);
  }

  /** The authority of the text after {@code ://}: up to the first / ? #, after the last @. */
  private static String authorityOf(String afterScheme) {
    int end = afterScheme.length();
    for (char stop : new char[] {'/', '?', '#'}) {
      int at = afterScheme.indexOf(stop);
      if (at >= 0 && at < end) {
        end = at;
      }
    }
    String authority = afterScheme.substring(0, end);
    return authority.substring(authority.lastIndexOf('@') + 1);
  }

  boolean isSecure() {
    return scheme.equals("https");
  }

  /** The port the connection uses: the explicit one or the scheme's default. */
  int effectivePort() {
    if (port >= 0) {
      return port;
    }
    return isSecure() ? 443 : 80;
  }

  /** Whether the host is written as an IP address rather than a name. */
  boolean isIpLiteral() {
    return IpLiteral.matches(host);
  }

  /** The value of the {@code Host} header: the host as written, and a port that is not default. */
  String hostHeader() {
    String name = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return port < 0 || port == (isSecure() ? 443 : 80) ? name : name + ":" + port;
  }

  /** This URL with its host replaced by {@code address}; path and query stay byte for byte. */
  URI pinnedTo(InetAddress address) throws RequestRefused {
    String literal =
        address instanceof Inet6Address
            ? "[" + withoutScope(address.getHostAddress()) + "]"
            : address.getHostAddress();
    StringBuilder text = new StringBuilder(scheme).append("://").append(literal);
    if (port >= 0) {
      text.append(':').append(port);
    }
    if (uri.getRawPath() != null) {
      text.append(uri.getRawPath());
    }
    if (uri.getRawQuery() != null) {
      text.append('?').append(uri.getRawQuery());
    }
    try {
      return new URI(text.toString());
    } catch (URISyntaxException e) {
      throw new RequestRefused(
          "Invalid URL '" + Redaction.url(uri.toString()) + "': " + e.getReason());
    }
  }

  private static String withoutScope(String address) {
    int percent = address.indexOf('%');
    return percent < 0 ? address : address.substring(0, percent);
  }

  /** The URL as shown in messages, without user information. */
  String shown() {
    return Redaction.url(uri.toString());
  }
}
