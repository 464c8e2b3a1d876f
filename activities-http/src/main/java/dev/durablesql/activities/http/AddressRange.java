package dev.durablesql.activities.http;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** A CIDR block such as {@code 10.0.0.0/8} or {@code fe80::/10}. Immutable. */
final class AddressRange {
  private final String text;
  private final byte[] prefix;
  private final int bits;

  private AddressRange(String text, byte[] prefix, int bits) {
    this.text = text;
    this.prefix = prefix;
    this.bits = bits;
  }

  /**
   * @param cidr an address literal, {@code /} and a prefix length
   * @throws IllegalArgumentException when {@code cidr} is not a CIDR block
   */
  static AddressRange parse(String cidr) {
    requireNonNull(cidr, "cidr is null");
    int slash = cidr.indexOf('/');
    if (slash < 0 || !IpLiteral.matches(cidr.substring(0, slash))) {
      throw new IllegalArgumentException("Not a CIDR block: '" + cidr + "'");
    }
    byte[] address;
    try {
      // A literal: InetAddress parses it without any lookup.
      address = InetAddress.getByName(cidr.substring(0, slash)).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("Not a CIDR block: '" + cidr + "'", e);
    }
    int bits = Integer.parseInt(cidr.substring(slash + 1));
    if (bits < 0 || bits > address.length * 8) {
      throw new IllegalArgumentException("Prefix length out of range in '" + cidr + "'");
    }
    return new AddressRange(cidr, address, bits);
  }

  /** Whether {@code address} lies in this block; IPv4 and IPv6 blocks never contain each other. */
  boolean contains(InetAddress address) {
    byte[] candidate = address.getAddress();
    if (candidate.length != prefix.length) {
      return false;
    }
    int whole = bits / 8;
    for (int i = 0; i < whole; i++) {
      if (candidate[i] != prefix[i]) {
        return false;
      }
    }
    int rest = bits % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (candidate[whole] & mask) == (prefix[whole] & mask);
  }

  @Override
  public String toString() {
    return text;
  }
}
