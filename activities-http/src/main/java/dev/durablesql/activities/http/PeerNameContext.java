package dev.durablesql.activities.http;

import static java.util.Objects.requireNonNull;

import java.security.KeyManagementException;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * A TLS context whose engines are told they talk to one host name, whatever address the client
 * dialled. {@code java.net.http} creates its engine with the URI's host, which for a pinned request
 * is the vetted IP literal; through this context the engine's peer host is the URL's host name
 * instead, so endpoint identification checks the certificate against that name, and sessions are
 * cached under it. Everything else comes from the wrapped context, which must be initialised. Only
 * engines are affected (the client uses nothing else).
 */
final class PeerNameContext extends SSLContext {

  PeerNameContext(SSLContext delegate, String peerHost) {
    super(new Spi(delegate, peerHost), delegate.getProvider(), delegate.getProtocol());
  }

  private static final class Spi extends SSLContextSpi {
    private final SSLContext delegate;
    private final String peerHost;

    Spi(SSLContext delegate, String peerHost) {
      this.delegate = requireNonNull(delegate, "delegate is null");
      this.peerHost = requireNonNull(peerHost, "peerHost is null");
    }

    @Override
    protected void engineInit(KeyManager[] keys, TrustManager[] trust, SecureRandom random)
        throws KeyManagementException {
      throw new KeyManagementException("the wrapped TLS context is already initialised");
    }

    @Override
    protected SSLEngine engineCreateSSLEngine() {
      return delegate.createSSLEngine(peerHost, -1);
    }

    @Override
    protected SSLEngine engineCreateSSLEngine(String host, int port) {
      return delegate.createSSLEngine(peerHost, port);
    }

    @Override
    protected SSLSocketFactory engineGetSocketFactory() {
      return delegate.getSocketFactory();
    }

    @Override
    protected SSLServerSocketFactory engineGetServerSocketFactory() {
      return delegate.getServerSocketFactory();
    }

    @Override
    protected SSLSessionContext engineGetServerSessionContext() {
      return delegate.getServerSessionContext();
    }

    @Override
    protected SSLSessionContext engineGetClientSessionContext() {
      return delegate.getClientSessionContext();
    }

    @Override
    protected SSLParameters engineGetDefaultSSLParameters() {
      return delegate.getDefaultSSLParameters();
    }

    @Override
    protected SSLParameters engineGetSupportedSSLParameters() {
      return delegate.getSupportedSSLParameters();
    }
  }
}
