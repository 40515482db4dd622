package clearip.proxy.streams.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.streams.tls.TestPki.KeyType;
import clearip.proxy.streams.tls.TestPki.Leaf;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engines handed to the transports: their settings, and handshakes between them in memory. */
class TlsEnginesTest {
  @TempDir static Path dir;
  static TestPki pki;
  static Leaf server;
  static Leaf client;
  static ServerEngines servers;
  static ServerEngines mutualServers;
  static ClientEngines clients;
  static ClientEngines clientsWithCertificate;

  @BeforeAll
  static void setUp() throws TlsMaterialException {
    pki = TestPki.create(dir);
    server = pki.issue("server", KeyType.EC_P256, "sip.example.test", "::1");
    client = pki.issue("client", KeyType.RSA_2048);
    ServerTlsSettings settings = ServerTlsSettings.of(server.chain(), server.privateKey());
    servers = TlsContexts.server(settings);
    mutualServers = TlsContexts.server(settings.requireClientCertificates(pki.caCertificate()));
    ClientTlsSettings trustTestCa = ClientTlsSettings.defaults().withCaBundle(pki.caCertificate());
    clients = TlsContexts.client(trustTestCa);
    clientsWithCertificate =
        TlsContexts.client(trustTestCa.withClientCertificate(client.chain(), client.privateKey()));
  }

  @Test
  void serverEngineIsServerModeTls13And12Only() {
    SSLEngine engine = servers.newEngine();
    assertFalse(engine.getUseClientMode());
    assertEquals(List.of("TLSv1.3", "TLSv1.2"), Arrays.asList(engine.getEnabledProtocols()));
    assertFalse(engine.getNeedClientAuth());
    assertTrue(engine.getSSLParameters().getUseCipherSuitesOrder());
    assertTrue(mutualServers.newEngine().getNeedClientAuth());
    assertNotSame(servers.newEngine(), servers.newEngine());
  }

  @Test
  void clientEngineVerifiesHostnameAndSetsSniForDnsNames() {
    SSLEngine engine = clients.newEngine("sip.example.test", 5061);
    assertTrue(engine.getUseClientMode());
    assertEquals("sip.example.test", engine.getPeerHost());
    assertEquals(5061, engine.getPeerPort());
    assertEquals(List.of("TLSv1.3", "TLSv1.2"), Arrays.asList(engine.getEnabledProtocols()));
    assertEquals("HTTPS", engine.getSSLParameters().getEndpointIdentificationAlgorithm());
    assertEquals(
        List.of(new SNIHostName("sip.example.test")), engine.getSSLParameters().getServerNames());
  }

  @Test
  void clientEngineSendsNoSniForIpLiterals() {
    for (String host : List.of("127.0.0.1", "::1", "[::1]")) {
      SSLEngine engine = clients.newEngine(host, 5061);
      assertEquals(List.of(), engine.getSSLParameters().getServerNames(), host);
    }
    assertEquals("::1", clients.newEngine("[::1]", 5061).getPeerHost());
  }

  @Test
  void hostnameVerificationCanBeSwitchedOff() throws TlsMaterialException {
    ClientEngines lax =
        TlsContexts.client(
            ClientTlsSettings.defaults()
                .withCaBundle(pki.caCertificate())
                .withHostnameVerification(false));
    assertNull(
        lax.newEngine("sip.example.test", 5061)
            .getSSLParameters()
            .getEndpointIdentificationAlgorithm());
    assertNull(handshake(lax.newEngine("other.example.test", 5061), servers.newEngine()));
  }

  @Test
  void enginesHandshakeWithSni() throws Exception {
    SSLEngine serverEngine = servers.newEngine();
    assertNull(handshake(clients.newEngine("sip.example.test", 5061), serverEngine));
    ExtendedSSLSession session = (ExtendedSSLSession) serverEngine.getSession();
    assertEquals(List.of(new SNIHostName("sip.example.test")), session.getRequestedServerNames());
    assertEquals("TLSv1.3", session.getProtocol());
  }

  @Test
  void enginesHandshakeWithIpv6Literal() {
    assertNull(handshake(clients.newEngine("[::1]", 5061), servers.newEngine()));
  }

  @Test
  void clientEngineRefusesWrongHost() {
    Failure failure = handshake(clients.newEngine("other.example.test", 5061), servers.newEngine());
    assertEquals("client", failure.side());
    assertInstanceOf(SSLHandshakeException.class, failure.error());
    assertTrue(
        failure.error().getMessage().contains("for peer host 'other.example.test' rejected"),
        failure.error().getMessage());
  }

  @Test
  void mutualServerEngineNeedsClientCertificate() throws Exception {
    Failure failure = handshake(clients.newEngine("::1", 5061), mutualServers.newEngine());
    assertEquals("server", failure.side());
    SSLEngine serverEngine = mutualServers.newEngine();
    assertNull(handshake(clientsWithCertificate.newEngine("::1", 5061), serverEngine));
    assertEquals("CN=client", serverEngine.getSession().getPeerPrincipal().getName());
  }

  @Test
  void cipherSuitesAreForwardSecretAead() {
    List<String> suites = Arrays.asList(servers.newEngine().getEnabledCipherSuites());
    assertTrue(suites.contains("TLS_AES_128_GCM_SHA256"), suites::toString);
    assertTrue(suites.contains("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"), suites::toString);
    assertTrue(suites.contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), suites::toString);
    for (String suite : suites) {
      assertFalse(suite.contains("_CBC_"), suite);
      assertFalse(suite.startsWith("TLS_RSA_"), suite);
      assertFalse(suite.contains("_SHA1") || suite.endsWith("_SHA"), suite);
    }
    assertEquals(suites, Arrays.asList(clients.newEngine("localhost", 1).getEnabledCipherSuites()));
  }

  @Test
  void recognisesIpLiteralsWithoutLookups() {
    assertTrue(ClientEngines.isIpLiteral("127.0.0.1"));
    assertTrue(ClientEngines.isIpLiteral("::1"));
    assertTrue(ClientEngines.isIpLiteral("fe80::1%eth0"));
    assertFalse(ClientEngines.isIpLiteral("256.0.0.1"));
    assertFalse(ClientEngines.isIpLiteral("1.2.3"));
    assertFalse(ClientEngines.isIpLiteral("1.2.3.4.example"));
    assertFalse(ClientEngines.isIpLiteral("localhost"));
    assertEquals("sip.example.test", ClientEngines.normalizeHost("sip.example.test."));
    assertEquals("::1", ClientEngines.normalizeHost("[::1]"));
    assertEquals(List.of(), ClientEngines.serverNames("bad_name.example"));
    assertEquals(List.of(new SNIHostName("localhost")), ClientEngines.serverNames("localhost"));
  }

  /** Which side failed a handshake, and how. */
  record Failure(String side, SSLException error) {}

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  /**
   * Runs a handshake between two engines through in-memory buffers; null when both finished, else
   * the first failure.
   */
  static Failure handshake(SSLEngine client, SSLEngine server) {
    ByteBuffer toServer = ByteBuffer.allocate(client.getSession().getPacketBufferSize());
    ByteBuffer toClient = ByteBuffer.allocate(server.getSession().getPacketBufferSize());
    ByteBuffer clientApp = ByteBuffer.allocate(client.getSession().getApplicationBufferSize());
    ByteBuffer serverApp = ByteBuffer.allocate(server.getSession().getApplicationBufferSize());
    try {
      client.beginHandshake();
      server.beginHandshake();
    } catch (SSLException e) {
      return new Failure("setup", e);
    }
    for (int round = 0; round < 50; round++) {
      try {
        step(client, toClient, toServer, clientApp);
      } catch (SSLException e) {
        return new Failure("client", e);
      }
      try {
        step(server, toServer, toClient, serverApp);
      } catch (SSLException e) {
        return new Failure("server", e);
      }
      if (done(client) && done(server)) {
        return null;
      }
    }
    throw new AssertionError("handshake did not finish in 50 rounds");
  }

  private static boolean done(SSLEngine engine) {
    return engine.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING;
  }

  /** Advances one engine as far as it can; {@code in} and {@code out} stay in fill mode. */
  private static void step(SSLEngine engine, ByteBuffer in, ByteBuffer out, ByteBuffer app)
      throws SSLException {
    in.flip();
    try {
      for (int i = 0; i < 20; i++) {
        switch (engine.getHandshakeStatus()) {
          case NEED_TASK -> {
            Runnable task;
            while ((task = engine.getDelegatedTask()) != null) {
              task.run();
            }
          }
          case NEED_WRAP -> {
            SSLEngineResult result = engine.wrap(EMPTY, out);
            if (result.getStatus() != SSLEngineResult.Status.OK) {
              return;
            }
          }
          case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
            SSLEngineResult result = engine.unwrap(in, app);
            if (result.getStatus() != SSLEngineResult.Status.OK) {
              return;
            }
          }
          default -> {
            return;
          }
        }
      }
    } finally {
      in.compact();
    }
  }
}
