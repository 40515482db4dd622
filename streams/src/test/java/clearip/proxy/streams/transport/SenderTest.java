package clearip.proxy.streams.transport;

import static clearip.proxy.streams.transport.TransportTesting.options;
import static clearip.proxy.streams.transport.TransportTesting.readMessage;
import static clearip.proxy.streams.transport.TransportTesting.v4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.streams.tls.ClientTlsSettings;
import clearip.proxy.streams.tls.ServerTlsSettings;
import clearip.proxy.streams.tls.TestPki;
import clearip.proxy.streams.tls.TlsContexts;
import clearip.proxy.streams.transport.TransportTesting.CountingMetrics;
import clearip.proxy.streams.transport.TransportTesting.Inbound;
import clearip.proxy.streams.transport.TransportTesting.RecordingHandler;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SenderTest {
  static ActorSystem system;
  @TempDir static Path dir;
  static TestPki pki;
  static TestPki.Leaf serverCert;
  TransportEndpoints endpoints;
  BoundAddresses bound;
  final RecordingHandler handler = new RecordingHandler();
  final CountingMetrics metrics = new CountingMetrics();

  @BeforeAll
  static void startSystem() {
    system = TransportTesting.system("sender-test");
    pki = TestPki.create(dir.resolve("ca"));
    serverCert = pki.issue("server", TestPki.KeyType.EC_P256, "sip.example.test");
  }

  @AfterAll
  static void stopSystem() throws Exception {
    TransportTesting.shutdown(system);
  }

  @AfterEach
  void stopEndpoints() throws Exception {
    if (endpoints != null) endpoints.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private Sender start(SenderSettings senderSettings, List<InetSocketAddress> tls)
      throws Exception {
    return start(senderSettings, List.of(), tls);
  }

  private Sender start(SenderSettings senderSettings, List<InetSocketAddress> udp,
      List<InetSocketAddress> tls) throws Exception {
    var client = TlsContexts.client(ClientTlsSettings.defaults().withCaBundle(pki.caCertificate()));
    var server = TlsContexts.server(ServerTlsSettings.of(serverCert.chain(),
        serverCert.privateKey()));
    endpoints = TransportEndpoints.builder(system, handler)
        .listeners(TransportTesting.settings(udp, List.of(), tls))
        .sender(senderSettings)
        .metrics(metrics)
        .tlsServer(server::newEngine)
        .tlsClient(client::newEngine)
        .build();
    bound = endpoints.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return endpoints.sender();
  }

  private Sender start() throws Exception {
    return start(SenderSettings.defaults(), List.of());
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, v4(0).getAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void sendToAClosedLoopbackPortFails() throws Exception {
    Sender sender = start();
    SendResult r = TransportTesting.send(sender, Transport.TCP, v4(freePort()), null,
        options("TCP", "127.0.0.1", false, "refused")).get(10, TimeUnit.SECONDS);
    SendResult.Failed failed = assertInstanceOf(SendResult.Failed.class, r);
    assertTrue(failed.reason().contains("refused"), failed.reason());
    assertTrue(failed.notConnected(), "the destination does not take TCP");
    metrics.await("sendFailed.TCP", 1);
  }

  @Test
  void outboundConnectionsAreBounded() throws Exception {
    Sender sender = start(SenderSettings.defaults().withMaxConnections(1), List.of());
    try (ServerSocket one = new ServerSocket(0, 5, v4(0).getAddress());
        ServerSocket two = new ServerSocket(0, 5, v4(0).getAddress())) {
      assertSame(SendResult.Sent.INSTANCE, TransportTesting.send(sender, Transport.TCP,
          (InetSocketAddress) one.getLocalSocketAddress(), null,
          options("TCP", "127.0.0.1", false, "one")).get(10, TimeUnit.SECONDS));
      SendResult r = TransportTesting.send(sender, Transport.TCP,
          (InetSocketAddress) two.getLocalSocketAddress(), null,
          options("TCP", "127.0.0.1", false, "two")).get(10, TimeUnit.SECONDS);
      SendResult.Failed f = assertInstanceOf(SendResult.Failed.class, r);
      assertTrue(f.reason().startsWith("too many outbound connections (1)"), f.reason());
    }
  }

  @Test
  void aConnectionResetRightAfterTheSendIsReportedAsLost() throws Exception {
    Sender sender = start();
    try (ServerSocket server = new ServerSocket(0, 5, v4(0).getAddress())) {
      server.setSoTimeout(10_000);
      java.util.concurrent.BlockingQueue<SendResult> results =
          new java.util.concurrent.LinkedBlockingQueue<>();
      sender.send(Transport.TCP, (InetSocketAddress) server.getLocalSocketAddress(), null,
          TransportTesting.bytes(options("TCP", "127.0.0.1", false, "reset")), results::add);
      try (Socket accepted = server.accept()) {
        accepted.setSoTimeout(10_000);
        assertTrue(readMessage(accepted.getInputStream()).contains("Call-ID: reset"));
        assertSame(SendResult.Sent.INSTANCE, results.poll(10, TimeUnit.SECONDS));
        accepted.setSoLinger(true, 0); // close with a reset, as a failing destination would
      }
      SendResult lost = results.poll(10, TimeUnit.SECONDS);
      assertInstanceOf(SendResult.Lost.class, lost, String.valueOf(lost));
    }
  }

  @Test
  void reusesOneConnectionAndDeliversWhatComesBackToTheHandler() throws Exception {
    Sender sender = start();
    try (ServerSocket server = new ServerSocket(0, 5, v4(0).getAddress())) {
      server.setSoTimeout(10_000);
      InetSocketAddress to = (InetSocketAddress) server.getLocalSocketAddress();
      assertSame(SendResult.Sent.INSTANCE, TransportTesting.send(sender, Transport.TCP, to, null,
          options("TCP", "127.0.0.1", false, "first")).get(10, TimeUnit.SECONDS));
      try (Socket accepted = server.accept()) {
        accepted.setSoTimeout(10_000);
        assertTrue(readMessage(accepted.getInputStream()).contains("Call-ID: first"));
        assertSame(SendResult.Sent.INSTANCE, TransportTesting.send(sender, Transport.TCP, to,
            null, options("TCP", "127.0.0.1", false, "second")).get(10, TimeUnit.SECONDS));
        assertTrue(readMessage(accepted.getInputStream()).contains("Call-ID: second"));

        accepted.getOutputStream().write(TransportTesting.bytes(TransportTesting.ok("first")));
        Inbound in = handler.next();
        assertEquals(200, ((clearip.proxy.sip.message.SipResponse) in.message()).statusCode());
        assertEquals(to, in.origin().remote());
        assertEquals(accepted.getPort(), in.origin().local().getPort());

        server.setSoTimeout(300);
        assertThrows(SocketTimeoutException.class, server::accept); // no second connection
      }
    }
  }

  @Test
  void tlsToAServerThatNeverHandshakesFailsAfterTheHandshakeTimeout() throws Exception {
    Sender sender = start(new SenderSettings(Duration.ofSeconds(5), Duration.ofMillis(300),
        Duration.ofMinutes(1), 16), List.of());
    try (ServerSocket silent = new ServerSocket(0, 5, v4(0).getAddress())) {
      SendResult r = TransportTesting.send(sender, Transport.TLS,
          (InetSocketAddress) silent.getLocalSocketAddress(), "sip.example.test",
          options("TLS", "127.0.0.1", false, "silent")).get(10, TimeUnit.SECONDS);
      SendResult.Failed failed = assertInstanceOf(SendResult.Failed.class, r);
      assertTrue(failed.reason().contains("handshake"), failed.reason());
      assertTrue(failed.notConnected());
    }
  }

  @Test
  void tlsRoundTripToOurOwnListenerVerifiesTheServerName() throws Exception {
    handler.onRequest.set(in -> in.origin().reply(TransportTesting.bytes(
        TransportTesting.ok(in.request().callId()))));
    Sender sender = start(SenderSettings.defaults(), List.of(v4(0)));
    InetSocketAddress tls = bound.tls().get(0);
    assertSame(SendResult.Sent.INSTANCE, TransportTesting.send(sender, Transport.TLS, tls,
        "sip.example.test", options("TLS", "127.0.0.1", false, "tls-out"))
        .get(10, TimeUnit.SECONDS));
    Inbound request = handler.next();
    assertEquals(Transport.TLS, request.origin().transport());
    Inbound response = handler.next();
    assertEquals(tls, response.origin().remote());
    assertEquals("tls-out", response.message().callId());

    SendResult wrongName = TransportTesting.send(sender, Transport.TLS, tls, "other.example.test",
        options("TLS", "127.0.0.1", false, "wrong")).get(10, TimeUnit.SECONDS);
    SendResult.Failed failed = assertInstanceOf(SendResult.Failed.class, wrongName);
    assertTrue(failed.reason().contains("TLS handshake failed"), failed.reason());
  }

  @Test
  void udpWithoutAListeningSocketFails() throws Exception {
    Sender sender = start();
    SendResult r = TransportTesting.send(sender, Transport.UDP, v4(5060), null,
        options("UDP", "127.0.0.1", false, "nowhere")).get(10, TimeUnit.SECONDS);
    assertFalse(assertInstanceOf(SendResult.Failed.class, r).notConnected(),
        "a local shortcoming, not the destination's");
  }

  @Test
  void udpToAPortWithNothingListeningIsReportedLostAtOnce() throws Exception {
    Sender sender = start(SenderSettings.defaults(), List.of(v4(0)), List.of());
    InetSocketAddress closed;
    try (java.nio.channels.DatagramChannel gone = java.nio.channels.DatagramChannel.open()) {
      gone.bind(v4(0));
      closed = (InetSocketAddress) gone.getLocalAddress();
    }
    // two calls to the same dead destination close together: both fail over at once
    for (String callId : List.of("dead-1", "dead-2")) {
      java.util.concurrent.BlockingQueue<SendResult> results =
          new java.util.concurrent.LinkedBlockingQueue<>();
      sender.send(Transport.UDP, closed, null,
          TransportTesting.bytes(options("UDP", "127.0.0.1", false, callId)), results::add);
      assertSame(SendResult.Sent.INSTANCE, results.poll(10, TimeUnit.SECONDS));
      // without the watch nothing more ever comes: the poll would time out
      SendResult lost = results.poll(10, TimeUnit.SECONDS);
      assertTrue(assertInstanceOf(SendResult.Lost.class, lost, String.valueOf(lost)).reason()
          .contains("ICMP port unreachable"), String.valueOf(lost));
    }
  }

  @Test
  void udpToAListeningPortGetsTheMessageAndAKeepAliveAndIsNotLost() throws Exception {
    Sender sender = start(SenderSettings.defaults(), List.of(v4(0)), List.of());
    try (java.net.DatagramSocket live = new java.net.DatagramSocket(v4(0))) {
      live.setSoTimeout(10_000);
      java.util.concurrent.BlockingQueue<SendResult> liveResults =
          new java.util.concurrent.LinkedBlockingQueue<>();
      sender.send(Transport.UDP, (InetSocketAddress) live.getLocalSocketAddress(), null,
          TransportTesting.bytes(options("UDP", "127.0.0.1", false, "live")), liveResults::add);
      assertSame(SendResult.Sent.INSTANCE, liveResults.poll(10, TimeUnit.SECONDS));
      java.util.Set<String> got = new java.util.HashSet<>();
      for (int i = 0; i < 2; i++) {
        java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[4096], 4096);
        live.receive(p);
        String text = new String(p.getData(), 0, p.getLength(),
            java.nio.charset.StandardCharsets.US_ASCII);
        got.add(text.startsWith("OPTIONS") ? "message" : text);
      }
      assertEquals(java.util.Set.of("message", "\r\n\r\n"), got);

      // a dead destination watched after it: its verdict comes, and the live one still has none
      InetSocketAddress closed;
      try (java.nio.channels.DatagramChannel gone = java.nio.channels.DatagramChannel.open()) {
        gone.bind(v4(0));
        closed = (InetSocketAddress) gone.getLocalAddress();
      }
      java.util.concurrent.BlockingQueue<SendResult> deadResults =
          new java.util.concurrent.LinkedBlockingQueue<>();
      sender.send(Transport.UDP, closed, null,
          TransportTesting.bytes(options("UDP", "127.0.0.1", false, "dead")), deadResults::add);
      assertSame(SendResult.Sent.INSTANCE, deadResults.poll(10, TimeUnit.SECONDS));
      assertInstanceOf(SendResult.Lost.class, deadResults.poll(10, TimeUnit.SECONDS));
      assertEquals(null, liveResults.poll(), "a destination that listens is never lost");
    }
  }
}
