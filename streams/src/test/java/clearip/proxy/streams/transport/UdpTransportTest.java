package clearip.proxy.streams.transport;

import static clearip.proxy.streams.transport.TransportTesting.bytes;
import static clearip.proxy.streams.transport.TransportTesting.options;
import static clearip.proxy.streams.transport.TransportTesting.v4;
import static clearip.proxy.streams.transport.TransportTesting.v6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.sip.header.Via;
import clearip.proxy.sip.testing.SipFixtures;
import clearip.proxy.streams.transport.TransportTesting.CountingMetrics;
import clearip.proxy.streams.transport.TransportTesting.Inbound;
import clearip.proxy.streams.transport.TransportTesting.RecordingHandler;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class UdpTransportTest {
  static ActorSystem system;
  TransportEndpoints endpoints;

  @BeforeAll
  static void startSystem() {
    system = TransportTesting.system("udp-transport-test");
  }

  @AfterAll
  static void stopSystem() throws Exception {
    TransportTesting.shutdown(system);
  }

  @AfterEach
  void stopEndpoints() throws Exception {
    if (endpoints != null) endpoints.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private BoundAddresses start(RecordingHandler handler, CountingMetrics metrics,
      AccessList access, List<InetSocketAddress> udp) throws Exception {
    endpoints = TransportEndpoints.builder(system, handler)
        .listeners(TransportTesting.settings(udp, List.of(), List.of()))
        .accessList(access)
        .metrics(metrics)
        .build();
    return endpoints.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static DatagramPacket receive(DatagramSocket s) throws Exception {
    DatagramPacket p = new DatagramPacket(new byte[65_535], 65_535);
    s.receive(p);
    return p;
  }

  @Test
  void requestReachesHandlerWithReceivedAndRportAndReplyLeavesFromListeningSocket()
      throws Exception {
    RecordingHandler handler = new RecordingHandler();
    handler.onRequest.set(in -> in.origin().reply(bytes("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")));
    InetSocketAddress bound = start(handler, new CountingMetrics(), AccessList.LOOPBACK_ONLY,
        List.of(v4(0))).udp().get(0);
    try (DatagramSocket client = new DatagramSocket(v4(0))) {
      client.setSoTimeout(10_000);
      byte[] invite = bytes(SipFixtures.invite("call-1@udp", "z9hG4bKudp1"));
      client.send(new DatagramPacket(invite, invite.length, bound));

      Inbound in = handler.next();
      Via top = in.request().topVia();
      assertEquals("127.0.0.1", top.received());
      assertEquals(client.getLocalPort(), top.rport());
      assertEquals("192.0.2.20", top.host()); // sent-by untouched
      assertEquals(Transport.UDP, in.origin().transport());
      assertEquals(client.getLocalPort(), in.origin().remote().getPort());
      assertEquals(bound, in.origin().local());
      // the rest of the message is byte-identical, body included
      assertTrue(in.request().toString().endsWith("a=rtpmap:101 telephone-event/8000\r\n"));

      DatagramPacket reply = receive(client);
      assertEquals(bound.getPort(), reply.getPort());
      assertTrue(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8)
          .startsWith("SIP/2.0 200 OK"));
    }
  }

  @Test
  void viaMatchingTheSourceIsNotReencoded() throws Exception {
    RecordingHandler handler = new RecordingHandler();
    InetSocketAddress bound = start(handler, new CountingMetrics(), AccessList.LOOPBACK_ONLY,
        List.of(v4(0))).udp().get(0);
    try (DatagramSocket client = new DatagramSocket(v4(0))) {
      String sent = options("UDP", "127.0.0.1:" + client.getLocalPort(), false, "plain");
      byte[] b = bytes(sent);
      client.send(new DatagramPacket(b, b.length, bound));
      assertEquals(sent, handler.next().request().toString());
    }
  }

  @Test
  void anIntakeProbeMeasuresHowLongNewDatagramsWaitAndReachesNobody() throws Exception {
    RecordingHandler handler = new RecordingHandler();
    CountingMetrics metrics = new CountingMetrics();
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    handler.onRequest.set(in -> {
      // the reader itself runs the handler: holding it here keeps everything behind queued
      if (in.request().callId().equals("first@udp")) {
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    InetSocketAddress bound = start(handler, metrics, AccessList.LOOPBACK_ONLY, List.of(v4(0)))
        .udp().get(0);
    try (DatagramSocket client = new DatagramSocket(v4(0))) {
      byte[] first = bytes(SipFixtures.invite("first@udp", "z9hG4bKp1"));
      client.send(new DatagramPacket(first, first.length, bound));
      assertEquals("first@udp", handler.next().request().callId()); // the reader is now held
      assertEquals(0, endpoints.udpIntakeWaitNanos(1_000), "no probe sent yet");

      endpoints.probeUdpIntake(1_000);
      byte[] second = bytes(SipFixtures.invite("second@udp", "z9hG4bKp2"));
      client.send(new DatagramPacket(second, second.length, bound));
      assertEquals(4_000, endpoints.udpIntakeWaitNanos(5_000), "the probe waits behind the reader");
      assertEquals(9_000, endpoints.udpIntakeWaitNanos(10_000));

      release.countDown();
      assertEquals("second@udp", handler.next().request().callId());
      // the probe was read between the two INVITEs, passed to nobody and counted nowhere
      assertEquals(0, endpoints.udpIntakeWaitNanos(20_000));
      assertTrue(handler.received.isEmpty());
      assertEquals(2, metrics.count("datagramIn"));
      assertEquals(0, metrics.count("droppedByAccessList.UDP"));
      assertEquals(0, metrics.count("malformed.UDP"));
    }
  }

  @Test
  void keepAlivesAreIgnoredAndMalformedRequestsAnsweredStatelessly() throws Exception {
    RecordingHandler handler = new RecordingHandler();
    CountingMetrics metrics = new CountingMetrics();
    InetSocketAddress bound = start(handler, metrics, AccessList.LOOPBACK_ONLY, List.of(v4(0)))
        .udp().get(0);
    try (DatagramSocket client = new DatagramSocket(v4(0))) {
      client.setSoTimeout(10_000);
      byte[] ping = bytes("\r\n\r\n");
      client.send(new DatagramPacket(ping, ping.length, bound));
      byte[] bad = bytes(options("UDP", "127.0.0.1", false, "bad").replace("CSeq: 1 OPTIONS",
          "CSeq: x OPTIONS"));
      client.send(new DatagramPacket(bad, bad.length, bound));

      DatagramPacket p = receive(client);
      String response = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
      assertTrue(response.startsWith("SIP/2.0 400 Bad Request\r\n"), response);
      assertTrue(response.contains("Call-ID: bad\r\n"), response);
      assertTrue(response.contains("Warning: 399 clearip-proxy \"malformed CSeq number\""),
          response);
      // both datagrams went through the same actor in order: the keep-alive reached nobody
      assertTrue(handler.received.isEmpty());
      assertEquals(1, metrics.count("malformed.UDP"));
      assertEquals(2, metrics.count("datagramIn"));
    }
  }

  @Test
  void datagramsFromSourcesOffTheAllowListAreDroppedBeforeParsing() throws Exception {
    RecordingHandler handler = new RecordingHandler();
    CountingMetrics metrics = new CountingMetrics();
    BoundAddresses bound = start(handler, metrics, AccessList.parse(List.of("::1/128")),
        List.of(v4(0), v6(0)));
    try (DatagramSocket c4 = new DatagramSocket(v4(0));
        DatagramSocket c6 = new DatagramSocket(v6(0))) {
      byte[] from4 = bytes(options("UDP", "127.0.0.1", false, "from-v4"));
      c4.send(new DatagramPacket(from4, from4.length, bound.udp().get(0)));
      metrics.await("droppedByAccessList.UDP", 1);

      byte[] from6 = bytes(options("UDP", "[::1]", false, "from-v6"));
      c6.send(new DatagramPacket(from6, from6.length, bound.udp().get(1)));
      Inbound in = handler.next();
      assertEquals("from-v6", in.request().callId());
      assertFalse(in.request().topVia().params().has("received"));
      assertTrue(handler.received.isEmpty());

      // reload: IPv4 loopback allowed from now on
      endpoints.setAccessList(AccessList.parse(List.of("127.0.0.0/8")));
      c4.send(new DatagramPacket(from4, from4.length, bound.udp().get(0)));
      assertEquals("from-v4", handler.next().request().callId());
      assertEquals(1, metrics.count("droppedByAccessList.UDP"));
    }
  }

  @Test
  void senderUsesTheListeningSocketOfTheDestinationFamily() throws Exception {
    RecordingHandler handler = new RecordingHandler();
    BoundAddresses bound = start(handler, new CountingMetrics(), AccessList.LOOPBACK_ONLY,
        List.of(v4(0), v6(0)));
    try (DatagramSocket peer = new DatagramSocket(v6(0))) {
      peer.setSoTimeout(10_000);
      SendResult r = TransportTesting.send(endpoints.sender(), Transport.UDP,
          (InetSocketAddress) peer.getLocalSocketAddress(), null, options("UDP", "[::1]", false,
              "out")).get(10, TimeUnit.SECONDS);
      assertSame(SendResult.Sent.INSTANCE, r);
      DatagramPacket p = receive(peer);
      assertEquals(bound.udp().get(1).getPort(), p.getPort());
    }
  }

  @Test
  void stoppingClosesTheSocketEndsItsReaderAndFailsLaterSends() throws Exception {
    RecordingHandler handler = new RecordingHandler();
    InetSocketAddress bound = start(handler, new CountingMetrics(), AccessList.LOOPBACK_ONLY,
        List.of(v4(0))).udp().get(0);
    List<Thread> readers = readerThreads("-" + bound.getPort());
    assertEquals(1, readers.size(), "one reader thread for the socket");
    Sender sender = endpoints.sender();
    endpoints.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    endpoints = null;

    readers.get(0).join(10_000);
    assertFalse(readers.get(0).isAlive(), "the reader ended with the socket");
    try (DatagramSocket again = new DatagramSocket(bound)) { // the port is free again
      assertEquals(bound.getPort(), again.getLocalPort());
    }
    SendResult r = TransportTesting.send(sender, Transport.UDP, v4(9), null,
        options("UDP", "127.0.0.1", false, "late")).get(10, TimeUnit.SECONDS);
    assertInstanceOf(SendResult.Failed.class, r);
  }

  private static List<Thread> readerThreads(String portSuffix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("sip-udp-") && t.getName().endsWith(portSuffix))
        .toList();
  }

  @Test
  void stampingIsSkippedWhenNothingChanges() {
    MessageIntake intake = new MessageIntake(new clearip.proxy.sip.codec.SipDecoder(),
        new RecordingHandler(), TransportMetrics.NONE, "test");
    var r = (clearip.proxy.sip.message.SipRequest) SipFixtures.decode(
        options("UDP", "127.0.0.1:5070", true, "x").replace(";rport", ";rport=5070;received=127.0.0.1"));
    assertSame(r, intake.stampVia(r, v4(5070), clearip.proxy.sip.codec.SipDecoder.Framing.DATAGRAM));
    var changed = intake.stampVia(r, v4(5071),
        clearip.proxy.sip.codec.SipDecoder.Framing.DATAGRAM);
    assertEquals(5071, changed.topVia().rport());
    var v6 = intake.stampVia(r, new InetSocketAddress("::1", 5070),
        clearip.proxy.sip.codec.SipDecoder.Framing.DATAGRAM);
    assertInstanceOf(String.class, v6.topVia().received());
    assertEquals("0:0:0:0:0:0:0:1", v6.topVia().received());
  }
}
