package clearip.proxy.ops.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.streams.transport.MessageTap.Direction;
import clearip.proxy.streams.transport.MessageTap;
import clearip.proxy.streams.transport.MessageTaps;
import clearip.proxy.streams.transport.Transport;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TraceControllerTest {
  static final byte[] INVITE = ("INVITE sip:14016401234@127.0.0.1 SIP/2.0\r\n"
      + "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
  static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 5060);
  static final InetSocketAddress SWITCH = new InetSocketAddress("127.0.0.1", 40000);

  ActorSystem system;
  @TempDir Path dir;

  @BeforeAll
  void start() {
    system = ActorSystem.create("trace-test");
  }

  @AfterAll
  void stop() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  TraceSettings settings() {
    return TraceSettings.defaults().withFile(dir.resolve("t.pcap"));
  }

  @Test
  void onDemandTraceWritesEveryTappedMessageAndUninstallsItself() throws Exception {
    MessageTaps taps = MessageTaps.get(system);
    TraceController c = new TraceController(system, settings());
    assertSame(MessageTap.NONE, taps.current());
    assertTrue(c.startTrace(60).startsWith("tracing for 60 s to "), "says where");
    assertTrue(c.isTracing());
    MessageTap tap = taps.current();
    tap.onMessage(Direction.IN, Transport.UDP, LOCAL, SWITCH, INVITE);
    tap.onMessage(Direction.OUT, Transport.TLS, new InetSocketAddress("127.0.0.1", 41000),
        new InetSocketAddress("127.0.0.1", 5061), INVITE);
    assertTrue(c.stopTrace().startsWith("trace stopped; 2 messages traced, 0 dropped"));
    assertFalse(c.isTracing());
    assertSame(MessageTap.NONE, taps.current());
    assertEquals(2, c.tracedMessages());
    assertTrue(c.stopTrace().startsWith("no trace running; the last one is in "));
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("t.pcap")));
    b.position(24);
    int first = b.getInt(b.position() + 8);
    assertEquals(20 + 8 + INVITE.length, first, "a UDP packet");
    b.position(b.position() + 16 + first);
    int second = b.getInt(b.position() + 8);
    assertEquals(20 + 20 + INVITE.length, second, "a TCP segment");
    assertEquals(b.limit(), b.position() + 16 + second, "nothing else");
  }

  @Test
  void aTraceEndsAtItsDeadline() throws Exception {
    CallTrace t = new CallTrace(settings(), new CallTrace.Counters(), () -> {});
    t.start(1);
    t.ended().get(10, TimeUnit.SECONDS); // the writer ended it by itself
    assertFalse(t.isRunning());
  }

  @Test
  void aFullQueueDropsAndCountsInsteadOfWaiting() throws Exception {
    CallTrace.Counters counters = new CallTrace.Counters();
    CallTrace t = new CallTrace(settings().withQueueSize(2), counters, () -> {});
    for (int i = 0; i < 5; i++) t.onMessage(Direction.IN, Transport.UDP, LOCAL, SWITCH, INVITE);
    assertEquals(3, counters.dropped().sum());
    t.start(0);
    t.stop();
    t.ended().get(10, TimeUnit.SECONDS);
    assertEquals(2, counters.traced().sum());
  }

  @Test
  void permanentTraceStartsFromConfigurationAndIsNotShortenedOnDemand() {
    TraceSettings s = settings();
    TraceController c = new TraceController(system, new TraceSettings(true, s.file(),
        s.maxFileSize(), s.maxFiles(), s.queueSize(), null, 1, ""));
    c.startConfigured();
    assertTrue(c.isTracing());
    c.startTrace(1);
    assertTrue(c.isTracing());
    c.stopTrace();
    assertFalse(c.isTracing());
  }

  @Test
  void negativeDurationIsRefused() {
    TraceController c = new TraceController(system, settings());
    assertThrows(IllegalArgumentException.class, () -> c.startTrace(-1));
  }

  @Test
  void anUnwritableFileIsReportedToTheCaller() throws Exception {
    Path blocker = Files.createFile(dir.resolve("not-a-dir"));
    TraceController c = new TraceController(system,
        TraceSettings.defaults().withFile(blocker.resolve("t.pcap")));
    assertThrows(IllegalStateException.class, () -> c.startTrace(10));
    assertFalse(c.isTracing());
  }

  @Test
  void hepExportSendsAWellFormedPacketPerMessage() throws Exception {
    try (DatagramSocket collector = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      collector.setSoTimeout(10_000);
      TraceController c = new TraceController(system, settings().withFile(null).withHep(
          new InetSocketAddress("127.0.0.1", collector.getLocalPort()), 2001, "pw"));
      c.startTrace(60);
      MessageTaps.get(system).current()
          .onMessage(Direction.IN, Transport.UDP, LOCAL, SWITCH, INVITE);
      byte[] buf = new byte[65_535];
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      collector.receive(p);
      c.stopTrace();
      Map<Integer, byte[]> chunks = HepPackets.parse(buf, p.getLength());
      assertEquals(2, HepPackets.uint(chunks.get(1)));
      assertEquals(17, HepPackets.uint(chunks.get(2)));
      assertArrayEquals(new byte[] {127, 0, 0, 1}, chunks.get(3));
      assertEquals(40000, HepPackets.uint(chunks.get(7)), "from the switch");
      assertEquals(5060, HepPackets.uint(chunks.get(8)), "to us");
      assertEquals(1, HepPackets.uint(chunks.get(11)));
      assertEquals(2001, HepPackets.uint(chunks.get(12)));
      assertEquals("pw", new String(chunks.get(14), StandardCharsets.US_ASCII));
      assertArrayEquals(INVITE, chunks.get(15));
    }
  }
}
