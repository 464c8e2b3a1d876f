package dev.durablesql.activities.http;

import java.util.regex.Pattern;

/**
 * Recognises hosts written as IP addresses: IPv6 (any colon) and IPv4 in every form a resolver may
 * accept as an address (dotted parts in decimal, octal or hex, such as {@code 127.1} or {@code
 * 0x7f.0.0.1}, or one 32-bit number).
 */
final class IpLiteral {
  private static final Pattern IPV4_FORMS =
      Pattern.compile("(0x[0-9a-f]*|[0-9]+)(\\.(0x[0-9a-f]*|[0-9]+)){0,3}\\.?");

  private IpLiteral() {}

  static boolean matches(String host) {
    return host.indexOf(':') >= 0 || IPV4_FORMS.matcher(host).matches();
  }
}
