package dev.durablesql.engine.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;

/** Probes TCP ports on 127.0.0.1, the only address the embedded server listens on. */
final class LoopbackPort {
  static final String HOST = "127.0.0.1";
  private static final InetAddress ADDRESS = loopback();

  private LoopbackPort() {}

  /** Whether a server could listen on the port now, with the address reuse PostgreSQL uses. */
  static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      // PostgreSQL sets SO_REUSEADDR too, so connections in TIME_WAIT do not count as in use.
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(ADDRESS, port), 1);
      return true;
    } catch (BindException e) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException("Could not probe port " + port + " on " + HOST, e);
    }
  }

  /** A port that is free right now; another process may still take it before we do. */
  static int pickFree() {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(ADDRESS, 0), 1);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not find a free port on " + HOST, e);
    }
  }

  private static InetAddress loopback() {
    try {
      return InetAddress.getByAddress(HOST, new byte[] {127, 0, 0, 1});
    } catch (UnknownHostException e) {
      throw new IllegalStateException(HOST + " is not an address", e);
    }
  }
}
