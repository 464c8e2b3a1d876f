package dev.durablesql.activities.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressGuardTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0.0.0.0",
        "0.255.255.255",
        "10.0.0.1",
        "10.255.255.255",
        "100.64.0.1",
        "100.127.255.255",
        "127.0.0.1",
        "127.255.255.254",
        "169.254.169.254",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "224.0.0.1",
        "239.255.255.255",
        "240.0.0.1",
        "255.255.255.255",
        "198.18.0.1",
        "198.19.255.255",
        "192.0.0.8",
        "::",
        "::1",
        "fe80::1",
        "febf:ffff::1",
        "fc00::1",
        "fdff:ffff::1",
        "64:ff9b::a00:1",
        "64:ff9b::5db8:d822",
        "2002::1",
        "2002:ffff::1"
      })
  void blocksRestrictedRanges(String literal) {
    assertThat(AddressGuard.isBlocked(Resolvers.literal(literal))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "1.1.1.1",
        "9.255.255.255",
        "11.0.0.0",
        "93.184.216.34",
        "100.63.255.255",
        "100.128.0.0",
        "126.255.255.255",
        "128.0.0.0",
        "169.253.255.255",
        "169.255.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.167.255.255",
        "192.169.0.0",
        "198.17.255.255",
        "198.20.0.0",
        "192.0.1.1",
        "223.255.255.255",
        "::2",
        "2001:db8::1",
        "2606:2800:220:1:248:1893:25c8:1946",
        "fec0::1",
        "fe00::1",
        "64:ff9b:1::a00:1",
        "2003::1"
      })
  void allowsPublicAddresses(String literal) {
    assertThat(AddressGuard.isBlocked(Resolvers.literal(literal))).isFalse();
  }

  @Test
  void unwrapsIpv4MappedIpv6Addresses() throws UnknownHostException {
    InetAddress mappedPrivate = mapped(10, 0, 0, 1);
    InetAddress mappedPublic = mapped(93, 184, 216, 34);

    assertThat(mappedPrivate).isInstanceOf(Inet6Address.class);
    assertThat(AddressGuard.isBlocked(mappedPrivate)).isTrue();
    assertThat(AddressGuard.isBlocked(mapped(127, 0, 0, 1))).isTrue();
    assertThat(AddressGuard.isBlocked(mappedPublic)).isFalse();
    assertThat(AddressGuard.unmapped(mappedPublic)).isEqualTo(Resolvers.literal("93.184.216.34"));
  }

  @Test
  void keepsOnlyThePublicAddressesOfAHost() throws Exception {
    AddressGuard guard =
        new AddressGuard(
            new Resolvers.Table("mixed.example", "10.0.0.1", "93.184.216.34", "fd00::1"), true);

    assertThat(guard.vet("mixed.example")).containsExactly(Resolvers.literal("93.184.216.34"));
  }

  @Test
  void returnsMappedAddressesAsIpv4() throws Exception {
    AddressGuard guard =
        new AddressGuard(new Resolvers.Table("mapped.example", mapped(93, 184, 216, 34)), true);

    assertThat(guard.vet("mapped.example")).containsExactly(Resolvers.literal("93.184.216.34"));
  }

  @Test
  void failsWhenEveryAddressIsRestricted() {
    AddressGuard guard =
        new AddressGuard(
            new Resolvers.Table("internal.example", "10.0.0.1", "169.254.169.254"), true);

    assertThatThrownBy(() -> guard.vet("internal.example"))
        .isInstanceOf(RequestRefused.class)
        .hasMessageStartingWith("Blocked: ")
        .hasMessageContaining("restricted range")
        .hasMessageContaining("internal.example")
        .hasMessageContaining("10.0.0.1, 169.254.169.254");
  }

  @Test
  void keepsEveryAddressWhenNotFiltering() throws Exception {
    AddressGuard guard =
        new AddressGuard(new Resolvers.Table("local.example", "127.0.0.1", "10.0.0.1"), false);

    assertThat(guard.vet("local.example"))
        .containsExactly(Resolvers.literal("127.0.0.1"), Resolvers.literal("10.0.0.1"));
  }

  @Test
  void unknownHostIsReportedAsSuch() {
    AddressGuard guard = new AddressGuard(new Resolvers.Table("known.example", "1.1.1.1"), true);

    assertThatThrownBy(() -> guard.vet("unknown.example")).isInstanceOf(UnknownHostException.class);
  }

  private static InetAddress mapped(int a, int b, int c, int d) throws UnknownHostException {
    byte[] bytes = new byte[16];
    bytes[10] = (byte) 0xff;
    bytes[11] = (byte) 0xff;
    bytes[12] = (byte) a;
    bytes[13] = (byte) b;
    bytes[14] = (byte) c;
    bytes[15] = (byte) d;
    // Inet6Address.getByAddress keeps the IPv6 form; InetAddress.getByAddress would unwrap it.
    return Inet6Address.getByAddress(null, bytes, -1);
  }
}
