package dev.durablesql.activities.http;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Turns a host name into addresses; the system's DNS in production, a table in tests. */
@FunctionalInterface
interface HostResolver {
  HostResolver SYSTEM = InetAddress::getAllByName;

  /**
   * Resolves {@code host}.
   *
   * @return at least one address
   * @throws UnknownHostException when the name does not resolve
   */
  InetAddress[] resolve(String host) throws UnknownHostException;
}
