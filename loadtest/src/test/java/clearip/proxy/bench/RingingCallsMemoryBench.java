package clearip.proxy.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.actors.call.CallMetrics;
import clearip.proxy.emulator.ClearIpEmulator;
import clearip.proxy.emulator.EmulatorSettings;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.server.ProxyServer;
import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.message.SipResponses;
import clearip.proxy.streams.transport.TransportMetrics;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Memory benchmark (not part of the normal suite): inline mode with N calls held ringing at once
 * (the destination answers 180 and never more) inside a small heap; reports heap bytes per call
 * in flight. Run with:
 *
 * <pre>
 * mvn -B -T1 -pl loadtest -am test -Dtest=RingingCallsMemoryBench -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dclearip.bench=ringing -Dclearip.bench.calls=50000 \
 *     -Dsurefire.argLine="-Xms512m -Xmx512m -XX:+UseG1GC"
 * </pre>
 */
@EnabledIfSystemProperty(named = "clearip.bench", matches = "ringing")
class RingingCallsMemoryBench {
  static final InetAddress LO = InetAddress.getLoopbackAddress();

  @Test
  void callsHeldRinging() throws Exception {
    int calls = Integer.getInteger("clearip.bench.calls", 50_000);
    int rate = Integer.getInteger("clearip.bench.rate", 2_000);
    DatagramChannel destination = DatagramChannel.open().bind(new InetSocketAddress(LO, 0));
    int destPort = ((InetSocketAddress) destination.getLocalAddress()).getPort();
    Config emu = ConfigFactory.parseString("""
        clearip-emulator {
          listen { udp = [], tls = [], tcp = ["127.0.0.1:0"] }
          rules = [ { name = r, called-prefix = "1", action = redirect, identity = off,
                      destinations = ["sip:${user}@127.0.0.1:%d"] } ]
        }""".formatted(destPort)).withFallback(ConfigFactory.defaultReference()).resolve();
    ActorSystem<Void> emuSystem = ActorSystem.create(Behaviors.empty(), "bench-emulator");
    ClearIpEmulator emulator = ClearIpEmulator.start(emuSystem,
        EmulatorSettings.fromConfig(emu.getConfig(EmulatorSettings.SECTION)))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    Config c = ConfigFactory.parseString(String.join("\n",
        "clearip-proxy.mode = inline",
        "clearip-proxy.listen.udp = [\"127.0.0.1:0\"]",
        "clearip-proxy.listen.tcp = []",
        "clearip-proxy.listen.tls = []",
        "clearip-proxy.listen.udp-receive-buffer = 8388608",
        "clearip-proxy.upstream.uri = \"sip:127.0.0.1:"
            + emulator.bound().tcp().get(0).getPort() + ";transport=tcp\"",
        "clearip-proxy.upstream.timeout = 10s",
        "clearip-proxy.inline.ring-timeout = 600s",
        "clearip-proxy.inline.udp-max-size = 0",
        "clearip-proxy.calls.max-in-flight = " + (calls + 1000),
        // load generators share the JVM and its two cores: count memory, not overload
        "clearip-proxy.calls.max-dispatch-delay = 0"));
    ProxyServer proxy = ProxyServer.start(ProxyConfig.from(c), CallMetrics.NONE,
        TransportMetrics.NONE).toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertTrue(proxy.awaitUpstream(Duration.ofSeconds(10)));
    InetSocketAddress target = proxy.bound().udp().get(0);

    AtomicInteger ringing = new AtomicInteger();
    Thread dest = daemon("destination", () -> answerRinging(destination));
    DatagramChannel sw = DatagramChannel.open().bind(new InetSocketAddress(LO, 0));
    sw.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 8 << 20);
    Thread reader = daemon("switch-reader", () -> count180(sw, ringing));

    long baseline = usedAfterGc();
    long t0 = System.nanoTime();
    int port = ((InetSocketAddress) sw.getLocalAddress()).getPort();
    for (int i = 0; i < calls; i++) {
      long due = t0 + (long) i * 1_000_000_000L / rate;
      long wait = due - System.nanoTime();
      if (wait > 0) java.util.concurrent.locks.LockSupport.parkNanos(wait); // pacing
      sw.send(ByteBuffer.wrap(invite(i, port).getBytes(StandardCharsets.UTF_8)), target);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (ringing.get() < calls && System.nanoTime() < deadline) {
      Thread.sleep(100); // benchmark driver thread waiting for the load to settle
    }
    int held = proxy.registry().inFlight();
    long used = usedAfterGc();
    long perCall = held == 0 ? -1 : (used - baseline) / held;
    System.out.printf("%n[ringing] calls sent %d, 180s received %d, calls in flight %d%n", calls,
        ringing.get(), held);
    System.out.printf("[ringing] heap used after GC: baseline %.1f MiB, with calls %.1f MiB, "
        + "max %.1f MiB => %d bytes per call in flight%n", baseline / 1048576.0,
        used / 1048576.0, Runtime.getRuntime().maxMemory() / 1048576.0, perCall);
    dest.interrupt();
    reader.interrupt();
    proxy.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
    emulator.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    emuSystem.terminate();
    destination.close();
    sw.close();
    assertTrue(held >= calls * 0.99, "calls held: " + held);
  }

  static long usedAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  static final String SDP = "v=0\r\no=sw 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
      + "t=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";

  static String invite(int i, int port) {
    return "INVITE sip:1401640" + String.format("%04d", i % 10_000) + "@127.0.0.1 SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 127.0.0.1:" + port + ";branch=z9hG4bKring" + i + ";rport\r\n"
        + "Max-Forwards: 70\r\n"
        + "From: <sip:14045266060@127.0.0.1>;tag=f" + i + "\r\n"
        + "To: <sip:14016401234@127.0.0.1>\r\n"
        + "Call-ID: ring-" + i + "@127.0.0.1\r\n"
        + "CSeq: 1 INVITE\r\n"
        + "Contact: <sip:14045266060@127.0.0.1:" + port + ">\r\n"
        + "Content-Type: application/sdp\r\n"
        + "Content-Length: " + SDP.length() + "\r\n\r\n"
        + SDP;
  }

  static Thread daemon(String name, ThrowingRunnable r) {
    Thread t = new Thread(() -> {
      try {
        r.run();
      } catch (Exception e) {
        // closed at the end of the run
      }
    }, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  static void answerRinging(DatagramChannel ch) throws Exception {
    SipDecoder decoder = new SipDecoder();
    ByteBuffer buf = ByteBuffer.allocate(65_536);
    while (!Thread.currentThread().isInterrupted()) {
      buf.clear();
      InetSocketAddress from = (InetSocketAddress) ch.receive(buf);
      byte[] b = Arrays.copyOf(buf.array(), buf.position());
      if (decoder.decode(b) instanceof Decoded.Ok ok && ok.message() instanceof SipRequest r
          && r.isInvite()) {
        ch.send(ByteBuffer.wrap(SipResponses.create(r, 180, "Ringing", "d" + r.callId().hashCode(),
            List.of())), from);
      }
    }
  }

  static void count180(DatagramChannel ch, AtomicInteger ringing) throws Exception {
    SipDecoder decoder = new SipDecoder();
    ByteBuffer buf = ByteBuffer.allocate(65_536);
    while (!Thread.currentThread().isInterrupted()) {
      buf.clear();
      ch.receive(buf);
      byte[] b = Arrays.copyOf(buf.array(), buf.position());
      if (decoder.decode(b) instanceof Decoded.Ok ok && ok.message() instanceof SipResponse r
          && r.statusCode() == 180) {
        ringing.incrementAndGet();
      }
    }
  }
}
