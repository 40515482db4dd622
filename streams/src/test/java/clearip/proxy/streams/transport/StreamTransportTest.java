package clearip.proxy.streams.transport;

import static clearip.proxy.streams.transport.TransportTesting.bytes;
import static clearip.proxy.streams.transport.TransportTesting.options;
import static clearip.proxy.streams.transport.TransportTesting.readMessage;
import static clearip.proxy.streams.transport.TransportTesting.v4;
import static clearip.proxy.streams.transport.TransportTesting.v6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.streams.tls.ClientTlsSettings;
import clearip.proxy.streams.tls.ServerTlsSettings;
import clearip.proxy.streams.tls.TestPki;
import clearip.proxy.streams.tls.TlsContexts;
import clearip.proxy.streams.transport.TransportTesting.CountingMetrics;
import clearip.proxy.streams.transport.TransportTesting.Inbound;
import clearip.proxy.streams.transport.TransportTesting.RecordingHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamTransportTest {
  static ActorSystem system;
  @TempDir static Path dir;
  static TestPki pki;
  static TestPki.Leaf serverCert;
  TransportEndpoints endpoints;
  final RecordingHandler handler = new RecordingHandler();
  final CountingMetrics metrics = new CountingMetrics();

  @BeforeAll
  static void startSystem() {
    system = TransportTesting.system("stream-transport-test");
    pki = TestPki.create(dir.resolve("ca"));
    serverCert = pki.issue("server", TestPki.KeyType.EC_P256, "sip.example.test", "127.0.0.1");
  }

  @AfterAll
  static void stopSystem() throws Exception {
    TransportTesting.shutdown(system);
  }

  @AfterEach
  void stopEndpoints() throws Exception {
    if (endpoints != null) endpoints.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private BoundAddresses start(ListenerSettings settings, AccessList access) throws Exception {
    var serverEngines = TlsContexts.server(
        ServerTlsSettings.of(serverCert.chain(), serverCert.privateKey()));
    endpoints = TransportEndpoints.builder(system, handler)
        .listeners(settings)
        .accessList(access)
        .metrics(metrics)
        .tlsServer(serverEngines::newEngine)
        .build();
    return endpoints.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private BoundAddresses startTcp() throws Exception {
    return start(TransportTesting.settings(List.of(), List.of(v4(0)), List.of()),
        AccessList.LOOPBACK_ONLY);
  }

  private static Socket connect(InetSocketAddress to) throws IOException {
    Socket s = new Socket();
    s.connect(to, 10_000);
    s.setSoTimeout(10_000);
    return s;
  }

  /** Blocks until the peer closes (true) or resets the connection; fails on a timeout. */
  private static boolean closedByPeer(Socket s) throws IOException {
    try {
      InputStream in = s.getInputStream();
      while (true) {
        if (in.read() < 0) return true;
      }
    } catch (SocketException reset) {
      return true;
    }
  }

  private void replyOk() {
    handler.onRequest.set(in -> in.origin().reply(bytes(TransportTesting.ok(
        in.request().callId()))));
  }

  @Test
  void framesTwoMessagesInOneWriteAndOneMessageOverSeveralWrites() throws Exception {
    InetSocketAddress tcp = startTcp().tcp().get(0);
    try (Socket s = connect(tcp)) {
      OutputStream out = s.getOutputStream();
      out.write(bytes(options("TCP", "192.0.2.9:5060", false, "one")
          + options("TCP", "192.0.2.9:5060", false, "two")));
      out.flush();
      byte[] three = bytes(options("TCP", "192.0.2.9:5060", true, "three"));
      int[] cuts = {0, 7, 60, 61, three.length};
      for (int i = 0; i + 1 < cuts.length; i++) {
        out.write(three, cuts[i], cuts[i + 1] - cuts[i]);
        out.flush();
      }
      Inbound one = handler.next();
      assertEquals("one", one.request().callId());
      assertEquals("127.0.0.1", one.request().topVia().received());
      assertEquals(Transport.TCP, one.origin().transport());
      assertEquals("two", handler.next().request().callId());
      Inbound third = handler.next();
      assertEquals("three", third.request().callId());
      assertEquals(s.getLocalPort(), third.request().topVia().rport());
    }
  }

  @Test
  void connectionsRunOnTheDispatcherGivenForThemNotOnTheCallThreads() throws Exception {
    // connection churn and TLS handshakes must not queue behind (or ahead of) the calls
    var serverEngines = TlsContexts.server(
        ServerTlsSettings.of(serverCert.chain(), serverCert.privateKey()));
    endpoints = TransportEndpoints.builder(system, handler)
        .listeners(TransportTesting.settings(List.of(), List.of(v4(0)), List.of(v4(0))))
        .metrics(metrics)
        .tlsServer(serverEngines::newEngine)
        .connectionDispatcher("pekko.actor.internal-dispatcher")
        .build();
    BoundAddresses bound = endpoints.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
    java.util.concurrent.BlockingQueue<String> threads =
        new java.util.concurrent.LinkedBlockingQueue<>();
    handler.onRequest.set(in -> threads.add(Thread.currentThread().getName()));
    try (Socket s = connect(bound.tcp().get(0))) {
      s.getOutputStream().write(bytes(options("TCP", "192.0.2.9:5060", false, "tcp")));
      assertTrue(threads.poll(10, TimeUnit.SECONDS).contains("internal-dispatcher"));
    }
    var client = TlsContexts.client(ClientTlsSettings.defaults().withCaBundle(pki.caCertificate()));
    try (SSLSocket s = (SSLSocket) client.sslContext()
        .getSocketFactory().createSocket()) {
      s.connect(bound.tls().get(0), 10_000);
      s.setSoTimeout(10_000);
      s.getOutputStream().write(bytes(options("TLS", "192.0.2.9:5061", false, "tls")));
      assertTrue(threads.poll(10, TimeUnit.SECONDS).contains("internal-dispatcher"));
    }
  }

  @Test
  void answersCrlfPingWithCrlfPong() throws Exception {
    InetSocketAddress tcp = startTcp().tcp().get(0);
    try (Socket s = connect(tcp)) {
      s.getOutputStream().write(bytes("\r\n\r\n"));
      byte[] pong = s.getInputStream().readNBytes(2);
      assertEquals("\r\n", new String(pong, java.nio.charset.StandardCharsets.US_ASCII));
      assertTrue(handler.received.isEmpty());
    }
  }

  @Test
  void garbageGetsA400AndClosesOnlyThatConnection() throws Exception {
    replyOk();
    InetSocketAddress tcp = startTcp().tcp().get(0);
    try (Socket bad = connect(tcp); Socket good = connect(tcp); Socket noise = connect(tcp)) {
      // no Content-Length on a stream transport: cannot be framed, but can be answered
      bad.getOutputStream().write(bytes(options("TCP", "192.0.2.9", false, "bad")
          .replace("Content-Length: 0\r\n", "")));
      String response = readMessage(bad.getInputStream());
      assertTrue(response.startsWith("SIP/2.0 400 Bad Request\r\n"), response);
      assertTrue(response.contains("Call-ID: bad\r\n"), response);
      assertTrue(closedByPeer(bad));

      // not SIP at all, past the header-section bound without an empty line: closed, no answer
      try {
        noise.getOutputStream().write(new byte[50_000]);
      } catch (SocketException closedWhileWriting) {
        // the server may close before all of it is written
      }
      assertTrue(closedByPeer(noise));

      good.getOutputStream().write(bytes(options("TCP", "192.0.2.9", false, "good")));
      assertTrue(readMessage(good.getInputStream()).startsWith("SIP/2.0 200 OK"));
      assertEquals("good", handler.next().request().callId());
      metrics.await("malformed.TCP", 2);
    }
  }

  @Test
  void malformedRequestOnAGoodStreamIsAnsweredAndTheConnectionKept() throws Exception {
    replyOk();
    InetSocketAddress tcp = startTcp().tcp().get(0);
    try (Socket s = connect(tcp)) {
      s.getOutputStream().write(bytes(options("TCP", "192.0.2.9", false, "bad-cseq")
          .replace("CSeq: 1 OPTIONS", "CSeq: 1 INVITE")));
      assertTrue(readMessage(s.getInputStream()).startsWith("SIP/2.0 400 Bad Request"));
      s.getOutputStream().write(bytes(options("TCP", "192.0.2.9", false, "after")));
      assertTrue(readMessage(s.getInputStream()).startsWith("SIP/2.0 200 OK"));
    }
  }

  /** A client trusting the test CA, verifying 127.0.0.1, speaking {@code protocols}. */
  private SSLSocket tlsClient(InetSocketAddress tls, String... protocols) throws Exception {
    var client = TlsContexts.client(ClientTlsSettings.defaults().withCaBundle(pki.caCertificate()));
    SSLSocket s = (SSLSocket) client.sslContext().getSocketFactory()
        .createSocket(tls.getAddress(), tls.getPort());
    s.setSoTimeout(10_000);
    javax.net.ssl.SSLParameters p = client.sslParameters("127.0.0.1");
    p.setProtocols(protocols);
    s.setSSLParameters(p);
    return s;
  }

  @Test
  void tlsHandshakeAndRoundTrip() throws Exception {
    replyOk();
    try (SSLSocket s = tlsClient(start(TransportTesting.settings(List.of(), List.of(),
        List.of(v4(0))), AccessList.LOOPBACK_ONLY).tls().get(0), "TLSv1.3", "TLSv1.2")) {
      s.startHandshake();
      s.getOutputStream().write(bytes(options("TLS", "192.0.2.9:5061", false, "over-tls")));
      s.getOutputStream().flush();
      assertTrue(readMessage(s.getInputStream()).startsWith("SIP/2.0 200 OK"));
      Inbound in = handler.next();
      assertEquals(Transport.TLS, in.origin().transport());
      assertEquals("over-tls", in.request().callId());
    }
  }

  @Test
  void clientInitiatedRenegotiationIsRefused() throws Exception {
    replyOk();
    // TLS 1.2: TLS 1.3 has no renegotiation at all
    try (SSLSocket s = tlsClient(start(TransportTesting.settings(List.of(), List.of(),
        List.of(v4(0))), AccessList.LOOPBACK_ONLY).tls().get(0), "TLSv1.2")) {
      s.startHandshake();
      s.getOutputStream().write(bytes(options("TLS", "192.0.2.9:5061", false, "before")));
      assertTrue(readMessage(s.getInputStream()).startsWith("SIP/2.0 200 OK"));
      s.startHandshake(); // a renegotiation, from the client
      s.getOutputStream().write(bytes(options("TLS", "192.0.2.9:5061", false, "after")));
      assertThrows(IOException.class, () -> readMessage(s.getInputStream()),
          "the server ends the connection instead of renegotiating");
    }
  }

  @Test
  void tlsConnectionThatNeverHandshakesIsClosed() throws Exception {
    InetSocketAddress tls = start(TransportTesting.settings(List.of(), List.of(), List.of(v4(0)))
            .withTimeouts(Duration.ofMinutes(1), Duration.ofMillis(300)),
        AccessList.LOOPBACK_ONLY).tls().get(0);
    try (Socket s = connect(tls)) {
      assertTrue(closedByPeer(s));
    }
  }

  @Test
  void connectionsFromSourcesOffTheAllowListAreClosedAtAccept() throws Exception {
    replyOk();
    BoundAddresses bound = start(TransportTesting.settings(List.of(), List.of(v4(0), v6(0)),
        List.of()), AccessList.parse(List.of("::1")));
    try (Socket refused = connect(bound.tcp().get(0)); Socket allowed = connect(bound.tcp().get(1))) {
      assertTrue(closedByPeer(refused));
      allowed.getOutputStream().write(bytes(options("TCP", "[::1]", false, "v6")));
      assertTrue(readMessage(allowed.getInputStream()).startsWith("SIP/2.0 200 OK"));
      assertEquals(1, metrics.count("refused.ACCESS_LIST"));
    }
  }

  @Test
  void connectionsBeyondThePerSourceLimitAreClosed() throws Exception {
    replyOk();
    InetSocketAddress tcp = start(TransportTesting.settings(List.of(), List.of(v4(0)), List.of())
        .withConnectionLimits(100, 2), AccessList.LOOPBACK_ONLY).tcp().get(0);
    try (Socket a = connect(tcp); Socket b = connect(tcp); Socket c = connect(tcp)) {
      assertTrue(closedByPeer(c));
      for (Socket s : List.of(a, b)) {
        s.getOutputStream().write(bytes(options("TCP", "127.0.0.1", false, "kept")));
        assertTrue(readMessage(s.getInputStream()).startsWith("SIP/2.0 200 OK"));
      }
      assertEquals(1, metrics.count("refused.PER_SOURCE_LIMIT"));
      a.close();
      metrics.await("closed.TCP", 1);
      try (Socket d = connect(tcp)) { // the slot was given back
        d.getOutputStream().write(bytes(options("TCP", "127.0.0.1", false, "again")));
        assertTrue(readMessage(d.getInputStream()).startsWith("SIP/2.0 200 OK"));
      }
    }
  }

  /**
   * Connects until a connection is taken and answers an OPTIONS (refused ones are closed at
   * once; a quiet one makes room only once it has been quiet long enough); null after 10 s.
   */
  private static Socket connectUntilTaken(InetSocketAddress to, String sentBy) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    for (int i = 0; System.nanoTime() < deadline; i++) {
      Socket attempt = connect(to);
      try {
        attempt.getOutputStream().write(bytes(options("TCP", sentBy, false, "new" + i)));
        if (readMessage(attempt.getInputStream()).startsWith("SIP/2.0 200 OK")) return attempt;
      } catch (IOException refused) {
        // closed at accept
      }
      attempt.close();
    }
    return null;
  }

  @Test
  void aSourceAtItsLimitGetsItsNewConnectionInPlaceOfItsQuietestOne() throws Exception {
    replyOk();
    InetSocketAddress tcp = start(TransportTesting.settings(List.of(), List.of(v4(0)), List.of())
        .withConnectionLimits(100, 2)
        .withMessageTimeouts(Duration.ofMillis(200), Duration.ofSeconds(5)),
        AccessList.LOOPBACK_ONLY).tcp().get(0);
    try (Socket a = connect(tcp); Socket b = connect(tcp)) {
      for (Socket s : List.of(a, b)) {
        s.getOutputStream().write(bytes(options("TCP", "127.0.0.1", false, "held")));
        assertTrue(readMessage(s.getInputStream()).startsWith("SIP/2.0 200 OK"));
      }
      // refused while the two have been quiet for less than the first-message timeout; then
      // the quietest makes room
      Socket c = connectUntilTaken(tcp, "127.0.0.1");
      assertTrue(c != null, "the source's new connection was taken");
      c.close();
      assertTrue(closedByPeer(a), "its quietest connection made room");
    }
  }

  @Test
  void aFullProxyTakesANewConnectionInPlaceOfTheQuietestOne() throws Exception {
    replyOk();
    // two connections in all, from 127.0.0.1; the new one comes from ::1
    BoundAddresses bound = start(TransportTesting.settings(List.of(), List.of(v4(0), v6(0)),
        List.of()).withConnectionLimits(2, 2)
        .withMessageTimeouts(Duration.ofMillis(200), Duration.ofSeconds(5)),
        AccessList.LOOPBACK_ONLY);
    try (Socket a = connect(bound.tcp().get(0)); Socket b = connect(bound.tcp().get(0))) {
      for (Socket s : List.of(a, b)) {
        s.getOutputStream().write(bytes(options("TCP", "127.0.0.1", false, "held")));
        assertTrue(readMessage(s.getInputStream()).startsWith("SIP/2.0 200 OK"));
      }
      Socket c = connectUntilTaken(bound.tcp().get(1), "[::1]");
      assertTrue(c != null, "the new connection was taken");
      c.close();
      assertTrue(closedByPeer(a), "the quietest connection made room");
    }
  }

  @Test
  void idleConnectionsAreClosed() throws Exception {
    InetSocketAddress tcp = start(TransportTesting.settings(List.of(), List.of(v4(0)), List.of())
        .withTimeouts(Duration.ofMillis(300), Duration.ofSeconds(5)), AccessList.LOOPBACK_ONLY)
        .tcp().get(0);
    try (Socket s = connect(tcp)) {
      assertTrue(closedByPeer(s));
    }
    metrics.await("closed.TCP", 1);
    assertEquals(0, endpoints.openConnections());
  }

  @Test
  void aConnectionThatNeverSendsAMessageIsClosedLongBeforeItsIdleTimeout() throws Exception {
    InetSocketAddress tcp = start(TransportTesting.settings(List.of(), List.of(v4(0)), List.of())
        .withMessageTimeouts(Duration.ofMillis(300), Duration.ofMinutes(1)),
        AccessList.LOOPBACK_ONLY).tcp().get(0);
    try (Socket s = connect(tcp)) {
      s.getOutputStream().write(bytes("\r\n\r\n")); // keep-alives are no message
      assertTrue(closedByPeer(s));
    }
    metrics.await("closed.TCP", 1);
  }

  @Test
  void aSenderTricklingAMessageIsCutOff() throws Exception {
    replyOk();
    InetSocketAddress tcp = start(TransportTesting.settings(List.of(), List.of(v4(0)), List.of())
        .withMessageTimeouts(Duration.ofMinutes(1), Duration.ofMillis(300)),
        AccessList.LOOPBACK_ONLY).tcp().get(0);
    try (Socket s = connect(tcp)) {
      s.getOutputStream().write(bytes(options("TCP", "127.0.0.1", false, "whole")));
      assertTrue(readMessage(s.getInputStream()).startsWith("SIP/2.0 200 OK"));
      s.getOutputStream().write(bytes("OPTIONS sip:proxy@127.0.0.1 SIP/2.0\r\nVia: SIP/2."));
      assertTrue(closedByPeer(s), "the half message never completes");
    }
  }

  @Test
  void tlsListenersNeedServerMaterial() {
    endpoints = TransportEndpoints.builder(system, handler)
        .listeners(TransportTesting.settings(List.of(), List.of(), List.of(v4(0))))
        .build();
    var e = assertThrows(java.util.concurrent.ExecutionException.class,
        () -> endpoints.start().toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("TLS"));
  }
}
