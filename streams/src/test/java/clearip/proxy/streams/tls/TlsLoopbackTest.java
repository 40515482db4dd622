package clearip.proxy.streams.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.streams.tls.TestPki.KeyType;
import clearip.proxy.streams.tls.TestPki.Leaf;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Handshakes over real 127.0.0.1 sockets, using the contexts and parameters the engine factories
 * use, so that what the transports get is what is tested here.
 */
class TlsLoopbackTest {
  private static final int TIMEOUT_MS = 5_000;

  @TempDir static Path dir;
  static TestPki pki;
  static Leaf server;
  static Leaf rsaServer;
  static Leaf client;
  static ExecutorService executor;
  static InetAddress loopback;

  @BeforeAll
  static void setUp() throws IOException {
    loopback = InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
    pki = TestPki.create(dir.resolve("ca"));
    server = pki.issue("server", KeyType.EC_P256, "localhost", "sip.example.test", "127.0.0.1");
    rsaServer = pki.issue("rsa-server", KeyType.RSA_2048, "::1");
    client = pki.issue("client", KeyType.EC_P256);
    executor = Executors.newCachedThreadPool();
  }

  @AfterAll
  static void tearDown() {
    executor.shutdownNow();
  }

  /** What each side saw; a null error means that side completed handshake and one echo. */
  record Outcome(
      Throwable clientError,
      Throwable serverError,
      String protocol,
      List<SNIServerName> requestedServerNames,
      String clientPrincipal) {
    void assertOk() {
      if (clientError != null || serverError != null) {
        AssertionError e = new AssertionError("handshake failed");
        if (clientError != null) {
          e.addSuppressed(clientError);
        }
        if (serverError != null) {
          e.addSuppressed(serverError);
        }
        throw e;
      }
    }
  }

  @Test
  void handshakesWithDnsSanAndSendsSni() throws Exception {
    Outcome outcome = connect(serverFor(server), trustingTestCa(), "sip.example.test");
    outcome.assertOk();
    assertEquals("TLSv1.3", outcome.protocol());
    assertEquals(List.of(new SNIHostName("sip.example.test")), outcome.requestedServerNames());
  }

  @Test
  void handshakesWithIpv4SanWithoutSni() throws Exception {
    Outcome outcome = connect(serverFor(server), trustingTestCa(), "127.0.0.1");
    outcome.assertOk();
    assertEquals(List.of(), outcome.requestedServerNames());
  }

  @Test
  void handshakesWithIpv6SanAndRsaKey() throws Exception {
    // The certificate names ::1; the bytes still travel over 127.0.0.1.
    Outcome outcome = connect(serverFor(rsaServer), trustingTestCa(), "::1");
    outcome.assertOk();
    assertEquals(List.of(), outcome.requestedServerNames());
  }

  @Test
  void serverWithTraditionalKeyFileHandshakes() throws Exception {
    ServerEngines engines =
        TlsContexts.server(
            ServerTlsSettings.of(rsaServer.chain(), rsaServer.traditionalPrivateKey()));
    connect(engines, trustingTestCa(), "::1").assertOk();
  }

  @Test
  void refusesCertificateForAnotherHost() throws Exception {
    Outcome outcome = connect(serverFor(server), trustingTestCa(), "other.example.test");
    SSLHandshakeException e = assertInstanceOf(SSLHandshakeException.class, outcome.clientError());
    assertContains(e.getMessage(), "server certificate [subject CN=server");
    assertContains(e.getMessage(), "for peer host 'other.example.test' rejected");
    assertContains(e.getMessage(), "No subject alternative DNS name matching other.example.test");
    assertContains(e.getMessage(), "DNS:sip.example.test");
    assertNotNull(outcome.serverError());
  }

  @Test
  void refusesCertificateWithoutTheDialledIp() throws Exception {
    Outcome outcome = connect(serverFor(rsaServer), trustingTestCa(), "127.0.0.1");
    SSLHandshakeException e = assertInstanceOf(SSLHandshakeException.class, outcome.clientError());
    assertContains(e.getMessage(), "127.0.0.1");
    assertContains(e.getMessage(), "IP:0:0:0:0:0:0:0:1");
  }

  @Test
  void acceptsAnotherHostWhenHostnameVerificationIsOff() throws Exception {
    ClientEngines lax =
        TlsContexts.client(
            ClientTlsSettings.defaults()
                .withCaBundle(pki.caCertificate())
                .withHostnameVerification(false));
    connect(serverFor(server), lax, "other.example.test").assertOk();
  }

  @Test
  void refusesServerFromUntrustedCa() throws Exception {
    TestPki other = TestPki.create(dir.resolve("other-ca"), "Other CA");
    Leaf stranger = other.issue("stranger", KeyType.EC_P256, "localhost");
    Outcome outcome = connect(serverFor(stranger), trustingTestCa(), "localhost");
    SSLHandshakeException e = assertInstanceOf(SSLHandshakeException.class, outcome.clientError());
    assertContains(e.getMessage(), "issuer CN=Other CA");
    assertContains(e.getMessage(), "not issued by a trusted CA");
  }

  @Test
  void refusesSelfSignedServer() throws Exception {
    Leaf self = TestPki.selfSigned(dir.resolve("self"), "self", KeyType.RSA_2048, "localhost");
    Outcome outcome = connect(serverFor(self), trustingTestCa(), "localhost");
    SSLHandshakeException e = assertInstanceOf(SSLHandshakeException.class, outcome.clientError());
    assertContains(e.getMessage(), "not issued by a trusted CA");
  }

  @Test
  void jdkDefaultTrustStoreDoesNotTrustTestCa() throws Exception {
    ClientEngines jdkTrust = TlsContexts.client(ClientTlsSettings.defaults());
    Outcome outcome = connect(serverFor(server), jdkTrust, "localhost");
    assertInstanceOf(SSLHandshakeException.class, outcome.clientError());
    assertContains(outcome.clientError().getMessage(), "not issued by a trusted CA");
  }

  @Test
  void refusesExpiredServerCertificate() throws Exception {
    Leaf expired = pki.issueExpired("expired", KeyType.EC_P256, "localhost");
    Outcome outcome = connect(serverFor(expired), trustingTestCa(), "localhost");
    SSLHandshakeException e = assertInstanceOf(SSLHandshakeException.class, outcome.clientError());
    assertContains(e.getMessage(), "rejected: it expired at ");
  }

  @Test
  void mutualTlsRefusesClientWithoutCertificate() throws Exception {
    Outcome outcome = connect(mutualServer(), trustingTestCa(), "localhost");
    SSLHandshakeException e = assertInstanceOf(SSLHandshakeException.class, outcome.serverError());
    assertContains(e.getMessage(), "Empty client certificate chain");
    // TLS 1.3: the client learns of it on its first read, as an alert or a closed connection.
    assertInstanceOf(IOException.class, outcome.clientError());
  }

  @Test
  void mutualTlsAcceptsClientWithCertificate() throws Exception {
    ClientEngines withCertificate =
        TlsContexts.client(
            ClientTlsSettings.defaults()
                .withCaBundle(pki.caCertificate())
                .withClientCertificate(client.chain(), client.traditionalPrivateKey()));
    Outcome outcome = connect(mutualServer(), withCertificate, "localhost");
    outcome.assertOk();
    assertEquals("CN=client", outcome.clientPrincipal());
  }

  @Test
  void mutualTlsRefusesClientCertificateFromUntrustedCa() throws Exception {
    TestPki other = TestPki.create(dir.resolve("client-other-ca"), "Other Client CA");
    Leaf stranger = other.issue("stranger-client", KeyType.RSA_2048);
    ClientEngines strangerClient =
        TlsContexts.client(
            ClientTlsSettings.defaults()
                .withCaBundle(pki.caCertificate())
                .withClientCertificate(stranger.chain(), stranger.privateKey()));
    Outcome outcome = connect(mutualServer(), strangerClient, "localhost");
    // The JDK client only offers a certificate from a CA the server asked for, so the server sees
    // none; either way the connection must not be accepted.
    assertNotNull(outcome.serverError());
    assertNotNull(outcome.clientError());
  }

  @Test
  void negotiatesTls12WithTls12OnlyClient() throws Exception {
    ClientEngines clients = trustingTestCa();
    SSLParameters tls12 = clients.sslParameters("localhost");
    tls12.setProtocols(new String[] {"TLSv1.2"});
    Outcome outcome = connect(serverFor(server), clients, "localhost", tls12);
    outcome.assertOk();
    assertEquals("TLSv1.2", outcome.protocol());
  }

  @Test
  void refusesTls11Client() throws Exception {
    // The JDK will not even send a TLS 1.1 hello, so send one by hand.
    ServerEngines engines = serverFor(server);
    try (SSLServerSocket listener = listen(engines)) {
      Future<Throwable> serverSide = executor.submit(() -> acceptOnce(listener).error());
      byte[] answer = new byte[7];
      int read;
      try (Socket socket = connectPlain(listener.getLocalPort())) {
        socket.getOutputStream().write(tls11ClientHello());
        socket.getOutputStream().flush();
        read = socket.getInputStream().readNBytes(answer, 0, answer.length);
      }
      Throwable serverError = serverSide.get(2L * TIMEOUT_MS, TimeUnit.MILLISECONDS);
      assertInstanceOf(SSLHandshakeException.class, serverError);
      assertContains(serverError.getMessage(), "TLSv1.1");
      // A fatal alert record: type 21, level 2 (fatal), description 70 (protocol_version).
      assertEquals(7, read);
      assertEquals(21, answer[0]);
      assertEquals(2, answer[5]);
      assertEquals(70, answer[6]);
    }
  }

  // ---- helpers ----

  private static ServerEngines serverFor(Leaf leaf) throws TlsMaterialException {
    return TlsContexts.server(ServerTlsSettings.of(leaf.chain(), leaf.privateKey()));
  }

  private static ServerEngines mutualServer() throws TlsMaterialException {
    return TlsContexts.server(
        ServerTlsSettings.of(server.chain(), server.privateKey())
            .requireClientCertificates(pki.caCertificate()));
  }

  private static ClientEngines trustingTestCa() throws TlsMaterialException {
    return TlsContexts.client(ClientTlsSettings.defaults().withCaBundle(pki.caCertificate()));
  }

  private static Outcome connect(ServerEngines engines, ClientEngines clients, String peerHost)
      throws Exception {
    return connect(engines, clients, peerHost, clients.sslParameters(peerHost));
  }

  /** Client and server handshake, then the client sends one byte and the server echoes it + 1. */
  private static Outcome connect(
      ServerEngines engines, ClientEngines clients, String peerHost, SSLParameters parameters)
      throws Exception {
    try (SSLServerSocket listener = listen(engines)) {
      Future<ServerSide> serverSide = executor.submit(() -> acceptOnce(listener));
      Throwable clientError = null;
      String protocol = null;
      try (Socket plain = connectPlain(listener.getLocalPort());
          SSLSocket socket =
              (SSLSocket)
                  clients
                      .sslContext()
                      .getSocketFactory()
                      .createSocket(plain, peerHost, listener.getLocalPort(), true)) {
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        OutputStream out = socket.getOutputStream();
        out.write(41);
        out.flush();
        int echo = socket.getInputStream().read();
        if (echo != 42) {
          throw new IOException("expected echo 42, got " + echo);
        }
        protocol = socket.getSession().getProtocol();
      } catch (IOException e) {
        clientError = e;
      }
      ServerSide server = serverSide.get(2L * TIMEOUT_MS, TimeUnit.MILLISECONDS);
      return new Outcome(
          clientError, server.error(), protocol, server.serverNames(), server.clientPrincipal());
    }
  }

  private record ServerSide(
      Throwable error, List<SNIServerName> serverNames, String clientPrincipal) {}

  private static SSLServerSocket listen(ServerEngines engines) throws IOException {
    SSLServerSocket listener =
        (SSLServerSocket)
            engines.sslContext().getServerSocketFactory().createServerSocket(0, 1, loopback);
    listener.setSSLParameters(engines.sslParameters());
    listener.setSoTimeout(TIMEOUT_MS);
    return listener;
  }

  private static ServerSide acceptOnce(SSLServerSocket listener) {
    try (SSLSocket socket = (SSLSocket) listener.accept()) {
      socket.setSoTimeout(TIMEOUT_MS);
      socket.startHandshake();
      InputStream in = socket.getInputStream();
      int b = in.read();
      if (b < 0) {
        throw new IOException("client closed before sending");
      }
      socket.getOutputStream().write(b + 1);
      socket.getOutputStream().flush();
      SSLSession session = socket.getSession();
      String principal = socket.getNeedClientAuth() ? session.getPeerPrincipal().getName() : null;
      return new ServerSide(
          null, ((ExtendedSSLSession) session).getRequestedServerNames(), principal);
    } catch (IOException e) {
      return new ServerSide(e, null, null);
    }
  }

  private static Socket connectPlain(int port) throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(loopback, port), TIMEOUT_MS);
      socket.setSoTimeout(TIMEOUT_MS);
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /** A minimal ClientHello offering only TLS 1.1 (RFC 4346 7.4.1.2) with CBC suites. */
  private static byte[] tls11ClientHello() throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    DataOutputStream hello = new DataOutputStream(body);
    hello.writeShort(0x0302); // client_version TLS 1.1
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    hello.write(random);
    hello.writeByte(0); // empty session_id
    int[] suites = {0xc013, 0xc009, 0x002f, 0x00ff};
    hello.writeShort(suites.length * 2);
    for (int suite : suites) {
      hello.writeShort(suite);
    }
    hello.writeByte(1); // one compression method: null
    hello.writeByte(0);
    byte[] extensions = {
      0x00,
      0x0a,
      0x00,
      0x04,
      0x00,
      0x02,
      0x00,
      0x17, // supported_groups: secp256r1
      0x00,
      0x0b,
      0x00,
      0x02,
      0x01,
      0x00 // ec_point_formats: uncompressed
    };
    hello.writeShort(extensions.length);
    hello.write(extensions);
    byte[] helloBytes = body.toByteArray();

    ByteArrayOutputStream record = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(record);
    out.writeByte(22); // handshake record
    out.writeShort(0x0302);
    out.writeShort(helloBytes.length + 4);
    out.writeByte(1); // client_hello
    out.writeByte(0);
    out.writeShort(helloBytes.length);
    out.write(helloBytes);
    return record.toByteArray();
  }

  private static void assertContains(String actual, String expected) {
    assertTrue(
        actual != null && actual.contains(expected),
        () -> "expected to contain: " + expected + "\nactual: " + actual);
  }
}
