package dev.durablesql.activities.http;

import static java.util.Objects.requireNonNull;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Gate 4 of R-HTTP-4: resolves a host once and keeps only the addresses outside the restricted
 * ranges of R-HTTP-8 and R-DIFF-8. The request then connects to these vetted addresses only (see
 * {@link PinnedTransport}), so a DNS answer that changes between check and connect (DNS rebinding)
 * cannot reach a restricted address. Thread-safe.
 */
final class AddressGuard {
  /** R-HTTP-8's list plus R-DIFF-8's additions (multicast, reserved, benchmarking, NAT64, 6to4). */
  static final List<AddressRange> BLOCKED =
      Stream.of(
              "0.0.0.0/8",
              "10.0.0.0/8",
              "100.64.0.0/10",
              "127.0.0.0/8",
              "169.254.0.0/16",
              "172.16.0.0/12",
              "192.168.0.0/16",
              "224.0.0.0/4",
              "240.0.0.0/4",
              "198.18.0.0/15",
              "192.0.0.0/24",
              "::/128",
              "::1/128",
              "fe80::/10",
              "fc00::/7",
              "64:ff9b::/96",
              "2002::/16")
          .map(AddressRange::parse)
          .toList();

  private final HostResolver resolver;
  private final boolean filtering;

  /**
   * @param resolver looks host names up; {@link HostResolver#SYSTEM} in production
   * @param filtering {@code false} only in allow-all mode, where every address is kept
   */
  AddressGuard(HostResolver resolver, boolean filtering) {
    this.resolver = requireNonNull(resolver, "resolver is null");
    this.filtering = filtering;
  }

  /**
   * Resolves {@code host} and drops the restricted addresses.
   *
   * @return the addresses a request may connect to, in the resolver's order, never empty
   * @throws UnknownHostException when the host does not resolve
   * @throws RequestRefused when every address is restricted
   */
  List<InetAddress> vet(String host) throws UnknownHostException, RequestRefused {
    requireNonNull(host, "host is null");
    InetAddress[] resolved = resolver.resolve(host);
    if (resolved == null || resolved.length == 0) {
      throw new UnknownHostException(host + ": the resolver returned no address");
    }
    List<InetAddress> kept = new ArrayList<>();
    for (InetAddress address : resolved) {
      InetAddress plain = unmapped(address);
      if (!filtering || !isBlocked(plain)) {
        kept.add(plain);
      }
    }
    if (kept.isEmpty()) {
      throw new RequestRefused(
          "Blocked: host '"
              + host
              + "' resolves only to addresses in a restricted range ("
              + Arrays.stream(resolved)
                  .map(InetAddress::getHostAddress)
                  .collect(Collectors.joining(", "))
              + "); HTTP steps cannot reach private, loopback, link-local or reserved"
              + " networks; the request was not sent");
    }
    return List.copyOf(kept);
  }

  /** Whether {@code address}, after unwrapping an IPv4-mapped IPv6 address, is restricted. */
  static boolean isBlocked(InetAddress address) {
    InetAddress plain = unmapped(address);
    for (AddressRange range : BLOCKED) {
      if (range.contains(plain)) {
        return true;
      }
    }
    return false;
  }

  /** {@code ::ffff:a.b.c.d} as the IPv4 address {@code a.b.c.d}; any other address unchanged. */
  static InetAddress unmapped(InetAddress address) {
    if (!(address instanceof Inet6Address)) {
      return address;
    }
    byte[] bytes = address.getAddress();
    for (int i = 0; i < 10; i++) {
      if (bytes[i] != 0) {
        return address;
      }
    }
    if (bytes[10] != (byte) 0xff || bytes[11] != (byte) 0xff) {
      return address;
    }
    try {
      // No host name: asking the address for one would do a reverse lookup.
      return InetAddress.getByAddress(Arrays.copyOfRange(bytes, 12, 16));
    } catch (UnknownHostException e) {
      throw new IllegalStateException("4 bytes are always an IPv4 address", e);
    }
  }
}
