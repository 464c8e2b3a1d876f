package dev.durablesql.activities.http;

import static dev.durablesql.activities.http.LocalServer.respond;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsExchange;
import java.io.InputStream;
import java.security.KeyStore;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * https with a pinned address: the connection goes to the vetted IP, yet the certificate is checked
 * against the host name of the URL. The server's certificate is self-signed for {@code pinned.test}
 * only ({@code pinned-test.p12}, made with {@code keytool -genkeypair -alias pinned -keyalg EC
 * -groupname secp256r1 -dname CN=pinned.test -ext san=dns:pinned.test -validity 36500 -storetype
 * PKCS12 -storepass changeit}).
 */
class HttpsPinningTest {
  private static final char[] PASSWORD = "changeit".toCharArray();
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private LocalServer server;
  private SSLContext clientTrust;
  private final AtomicReference<List<SNIServerName>> serverNames = new AtomicReference<>();

  @BeforeEach
  void start() throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = HttpsPinningTest.class.getResourceAsStream("pinned-test.p12")) {
      keys.load(in, PASSWORD);
    }
    KeyManagerFactory keyManagers =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, PASSWORD);
    SSLContext serverContext = SSLContext.getInstance("TLS");
    serverContext.init(keyManagers.getKeyManagers(), null, null);

    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("pinned", keys.getCertificate("pinned"));
    TrustManagerFactory trustManagers =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trustManagers.init(trusted);
    clientTrust = SSLContext.getInstance("TLS");
    clientTrust.init(null, trustManagers.getTrustManagers(), null);

    server = LocalServer.https(serverContext);
    server.handle(
        "/secure",
        (request, exchange) -> {
          serverNames.set(
              ((ExtendedSSLSession) ((HttpsExchange) exchange).getSSLSession())
                  .getRequestedServerNames());
          respond(exchange, 200, "text/plain", "secret".getBytes(UTF_8));
        });
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpOutcome get(String host, SSLContext trust, Resolvers.Table resolver)
      throws InterruptedException {
    try (HttpStep step =
        new HttpStep(
            HttpSettings.defaults(HostPolicy.allowAll()),
            resolver,
            trust,
            InstantSource.system())) {
      String url = "https://" + host + ":" + server.port() + "/secure";
      return step.execute(new HttpCall.Plain(url, "GET", null, null, TIMEOUT), "key-1");
    }
  }

  @Test
  void reachesTheVettedAddressAndVerifiesTheCertificateForTheUrlHost() throws Exception {
    Resolvers.Table resolver = new Resolvers.Table("pinned.test", "127.0.0.1");

    HttpOutcome outcome = get("pinned.test", clientTrust, resolver);

    assertThat(outcome).isInstanceOf(HttpOutcome.Completed.class);
    assertThat(((HttpOutcome.Completed) outcome).envelope().body()).isEqualTo("secret");
    assertThat(resolver.lookups()).isEqualTo(1);
    assertThat(serverNames.get()).containsExactly(new SNIHostName("pinned.test"));
    assertThat(server.takeRequest().headers().get("Host"))
        .containsExactly("pinned.test:" + server.port());
  }

  @Test
  void aCertificateForAnotherHostIsRejectedForGood() throws Exception {
    HttpOutcome outcome =
        get("other.test", clientTrust, new Resolvers.Table("other.test", "127.0.0.1"));

    assertThat(outcome).isInstanceOf(HttpOutcome.Failed.class);
    assertThat(((HttpOutcome.Failed) outcome).message())
        .startsWith("GET https://other.test:" + server.port() + "/secure failed:")
        .contains("certificate was rejected")
        .contains("No subject alternative DNS name matching other.test");
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void anUntrustedCertificateIsRejectedForGood() throws Exception {
    HttpOutcome outcome =
        get(
            "pinned.test",
            SSLContext.getDefault(),
            new Resolvers.Table("pinned.test", "127.0.0.1"));

    assertThat(outcome).isInstanceOf(HttpOutcome.Failed.class);
    assertThat(((HttpOutcome.Failed) outcome).message()).contains("certificate was rejected");
    assertThat(server.requests()).isEmpty();
  }
}
