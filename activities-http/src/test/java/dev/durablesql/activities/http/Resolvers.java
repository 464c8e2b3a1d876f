package dev.durablesql.activities.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Host resolvers for tests: a fixed table, never the network. */
final class Resolvers {
  private Resolvers() {}

  /** Resolves {@code host} to the given literals and counts the lookups; other names fail. */
  static final class Table implements HostResolver {
    private final String host;
    private final List<InetAddress> addresses = new ArrayList<>();
    private final AtomicInteger lookups = new AtomicInteger();

    Table(String host, String... literals) {
      this.host = host;
      for (String literal : literals) {
        addresses.add(literal(literal));
      }
    }

    Table(String host, InetAddress... addresses) {
      this.host = host;
      this.addresses.addAll(List.of(addresses));
    }

    @Override
    public InetAddress[] resolve(String name) throws UnknownHostException {
      lookups.incrementAndGet();
      if (!name.equals(host)) {
        throw new UnknownHostException(name + ": not in the test table");
      }
      return addresses.toArray(InetAddress[]::new);
    }

    int lookups() {
      return lookups.get();
    }
  }

  /** An address literal; InetAddress parses literals without any lookup. */
  static InetAddress literal(String literal) {
    if (!IpLiteral.matches(literal)) {
      throw new IllegalArgumentException("not an address literal: " + literal);
    }
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(literal, e);
    }
  }
}
