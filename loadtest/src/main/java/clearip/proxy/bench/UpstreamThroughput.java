package clearip.proxy.bench;

import clearip.proxy.emulator.ClearIpEmulator;
import clearip.proxy.emulator.EmulatorSettings;
import clearip.proxy.emulator.SelfSignedTls;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.streams.tls.ClientEngines;
import clearip.proxy.streams.tls.ClientTlsSettings;
import clearip.proxy.streams.tls.ServerTlsSettings;
import clearip.proxy.streams.tls.TlsContexts;
import clearip.proxy.streams.transport.ClientTransactions;
import clearip.proxy.streams.transport.Offer;
import clearip.proxy.streams.upstream.UpstreamLink;
import clearip.proxy.streams.upstream.UpstreamLinkSettings;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Throughput of ONE upstream connection ({@link UpstreamLink}, TLS) to the ClearIP emulator:
 * INVITEs of about 1.2 KB out, the emulator's 503 back, a bounded window of requests in flight,
 * for a bounded time. Prints messages/s each way (after a warm-up) and the CPU this JVM used.
 *
 * <pre>
 * java -cp loadtest/target/clearip-demo.jar clearip.proxy.bench.UpstreamThroughput [options]
 *   --seconds N      measured time (default 20), after --warmup N seconds (default 5)
 *   --window N       requests in flight at most (default 1000)
 *   --connect H:P    use an emulator already listening for TLS at H:P (another JVM), trusting
 *   --ca FILE        this PEM CA / certificate; without --connect an emulator is started in
 *                    this JVM with a throw-away certificate (both sides then share the CPU
 *                    figure)
 * </pre>
 *
 * <p>Everything stays on loopback; the run ends by itself after warm-up + measured seconds.
 */
public final class UpstreamThroughput {
  private UpstreamThroughput() {}

  public static void main(String[] args) throws Exception {
    int seconds = 20;
    int warmup = 5;
    int window = 1000;
    String connect = null;
    Path ca = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--window" -> window = Integer.parseInt(args[++i]);
        case "--connect" -> connect = args[++i];
        case "--ca" -> ca = Path.of(args[++i]);
        default -> {
          System.err.println("unknown argument " + args[i]);
          System.exit(2);
        }
      }
    }
    if (seconds < 1 || seconds > 600 || warmup < 0 || warmup > 120 || window < 1) {
      System.err.println("--seconds 1..600, --warmup 0..120, --window >= 1");
      System.exit(2);
    }

    Config pekko = ConfigFactory.parseString(String.join("\n",
        "pekko.loglevel = WARNING",
        "pekko.log-dead-letters = 0",
        "pekko.coordinated-shutdown.exit-jvm = off")).withFallback(ConfigFactory.load());

    ActorSystem<Void> emuSystem = null;
    ClearIpEmulator emulator = null;
    InetSocketAddress target;
    if (connect == null) {
      ServerTlsSettings tls = SelfSignedTls.create();
      Path cert = tls.identity().certificateChain();
      Config emuConfig = ConfigFactory.parseString(String.join("\n",
          "clearip-emulator.listen { udp = [], tcp = [], tls = [\"127.0.0.1:0\"] }",
          "clearip-emulator.rules = []",
          "clearip-emulator.default-action = no-action",
          "clearip-emulator.no-action-status = 503"))
          .withValue("clearip-emulator.tls.certificate",
              ConfigValueFactory.fromAnyRef(cert.toString()))
          .withValue("clearip-emulator.tls.private-key",
              ConfigValueFactory.fromAnyRef(tls.identity().privateKey().toString()))
          .withFallback(ConfigFactory.defaultReference()).resolve();
      emuSystem = ActorSystem.create(Behaviors.empty(), "clearip-emulator", pekko);
      emulator = ClearIpEmulator.start(emuSystem,
          EmulatorSettings.fromConfig(emuConfig.getConfig(EmulatorSettings.SECTION)))
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      target = emulator.bound().tls().get(0);
      ca = cert;
    } else {
      if (ca == null) {
        System.err.println("--connect needs --ca");
        System.exit(2);
      }
      int colon = connect.lastIndexOf(':');
      target = new InetSocketAddress(connect.substring(0, colon),
          Integer.parseInt(connect.substring(colon + 1)));
      if (!target.getAddress().isLoopbackAddress()) {
        System.err.println("loopback targets only");
        System.exit(2);
      }
    }

    ClientEngines engines = TlsContexts.client(ClientTlsSettings.defaults().withCaBundle(ca));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "upstream-bench", pekko);
    UpstreamLinkSettings ls = UpstreamLinkSettings.defaults();
    UpstreamLinkSettings settings = new UpstreamLinkSettings(Math.max(ls.queueSize(), window * 2),
        ls.connectTimeout(), ls.handshakeTimeout(), ls.idleTimeout(), ls.limits());
    UpstreamLink link = UpstreamLink.open(system, target, target.getAddress().getHostAddress(),
        engines::newEngine, settings);
    link.established().toCompletableFuture().get(10, TimeUnit.SECONDS);
    String sentBy = link.viaSentBy();

    Semaphore permits = new Semaphore(window);
    AtomicLong sent = new AtomicLong();
    AtomicLong sentBytes = new AtomicLong();
    AtomicLong finals = new AtomicLong();
    AtomicLong responses = new AtomicLong();
    AtomicLong responseBytes = new AtomicLong();
    AtomicLong lost = new AtomicLong();
    AtomicLong full = new AtomicLong();
    ClientTransactions.Callback listener = new ClientTransactions.Callback() {
      @Override
      public void onResponse(SipResponse r) {
        responses.incrementAndGet();
        responseBytes.addAndGet(r.length());
        if (r.isFinal()) {
          finals.incrementAndGet();
          permits.release();
        }
      }

      @Override
      public void onUnavailable(String reason) {
        lost.incrementAndGet();
        permits.release();
      }
    };

    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long start = System.nanoTime();
    long measureFrom = start + TimeUnit.SECONDS.toNanos(warmup);
    long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
    long s0 = 0;
    long sb0 = 0;
    long f0 = 0;
    long r0 = 0;
    long rb0 = 0;
    long cpu0 = 0;
    boolean measuring = false;
    long n = 0;
    long nextReport = start + TimeUnit.SECONDS.toNanos(1);
    long lastSent = 0;
    long lastFinals = 0;
    while (true) {
      long now = System.nanoTime();
      if (!measuring && now >= measureFrom) {
        measuring = true;
        s0 = sent.get();
        sb0 = sentBytes.get();
        f0 = finals.get();
        r0 = responses.get();
        rb0 = responseBytes.get();
        cpu0 = os.getProcessCpuTime();
        measureFrom = now;
      }
      if (now >= end) break;
      if (now >= nextReport) {
        long s = sent.get();
        long f = finals.get();
        System.out.printf("t=%2ds  out %7d/s  in %7d/s  in flight %d%n",
            TimeUnit.NANOSECONDS.toSeconds(now - start), s - lastSent, f - lastFinals,
            link.inflight());
        lastSent = s;
        lastFinals = f;
        nextReport += TimeUnit.SECONDS.toNanos(1);
      }
      if (!permits.tryAcquire(1, 100, TimeUnit.MILLISECONDS)) continue;
      n++;
      String branch = "z9hG4bKbench" + n;
      byte[] invite = invite(branch, sentBy, n);
      Offer o;
      while ((o = link.send(branch, invite, listener)) == Offer.FULL) {
        full.incrementAndGet();
        LockSupport.parkNanos(50_000);
      }
      if (o == Offer.CLOSED) {
        System.err.println("the upstream link is down");
        break;
      }
      sent.incrementAndGet();
      sentBytes.addAndGet(invite.length);
    }
    long t1 = System.nanoTime();
    long cpu1 = os.getProcessCpuTime();
    double secs = (t1 - measureFrom) / 1e9;
    long s = sent.get() - s0;
    long r = responses.get() - r0;
    long f = finals.get() - f0;
    double cpuPct = 100.0 * (cpu1 - cpu0) / (t1 - measureFrom);
    System.out.printf("%nUpstreamThroughput: one TLS connection to %s (%s emulator), window %d, "
        + "%.1f s measured after %d s warm-up%n", target, connect == null ? "in-process"
        : "external", window, secs, warmup);
    System.out.printf("  requests out   %,d  = %,.0f msg/s  (avg %d B, %.1f MB/s)%n", s, s / secs,
        s == 0 ? 0 : (sentBytes.get() - sb0) / s, (sentBytes.get() - sb0) / secs / 1e6);
    System.out.printf("  responses in   %,d  = %,.0f msg/s  (finals %,d; avg %d B, %.1f MB/s)%n",
        r, r / secs, f, r == 0 ? 0 : (responseBytes.get() - rb0) / r,
        (responseBytes.get() - rb0) / secs / 1e6);
    System.out.printf("  queue full waits %,d, lost %,d%n", full.get(), lost.get());
    System.out.printf("  CPU of this JVM %.0f %% of one core (%d cores)%s%n", cpuPct,
        Runtime.getRuntime().availableProcessors(),
        connect == null ? " - client and emulator together" : " - client side only");
    link.close();
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    if (emulator != null) {
      emulator.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
      emuSystem.terminate();
      emuSystem.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    System.exit(0);
  }

  private static final String SDP = String.join("\r\n",
      "v=0",
      "o=switch 53655765 2353687637 IN IP4 192.0.2.10",
      "s=-",
      "c=IN IP4 192.0.2.10",
      "t=0 0",
      "m=audio 20000 RTP/AVP 0 18 8 101",
      "a=rtpmap:0 PCMU/8000",
      "a=rtpmap:18 G729/8000",
      "a=fmtp:18 annexb=no",
      "a=rtpmap:8 PCMA/8000",
      "a=rtpmap:101 telephone-event/8000",
      "a=fmtp:101 0-15",
      "a=ptime:20",
      "a=maxptime:40",
      "a=sendrecv", "");

  /** A carrier-style INVITE of about 1.2 KB with our Via on top (as the proxy sends it). */
  static byte[] invite(String branch, String sentBy, long n) {
    byte[] sdp = SDP.getBytes(StandardCharsets.US_ASCII);
    String called = "5125550" + String.format("%03d", n % 1000);
    String s = "INVITE sip:" + called + "@sip.clearip.example;user=phone SIP/2.0\r\n"
        + "Via: SIP/2.0/TLS " + sentBy + ";branch=" + branch + "\r\n"
        + "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKsw" + n + ";rport=5060;received=192.0.2.10\r\n"
        + "Max-Forwards: 69\r\n"
        + "From: \"Rig Caller\" <sip:13125550199@192.0.2.10:5060>;tag=sw" + n + "\r\n"
        + "To: <sip:" + called + "@192.0.2.20;user=phone>\r\n"
        + "Call-ID: bench-" + n + "-7f3a9c2e41d0@192.0.2.10\r\n"
        + "CSeq: 1 INVITE\r\n"
        + "Contact: <sip:13125550199@192.0.2.10:5060;transport=udp>\r\n"
        + "P-Asserted-Identity: <sip:+13125550199@192.0.2.10;user=phone>\r\n"
        + "P-Charging-Vector: icid-value=bench" + n + ";icid-generated-at=192.0.2.10\r\n"
        + "Diversion: <sip:13125550100@192.0.2.10;user=phone>;reason=unconditional;counter=1\r\n"
        + "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO, REFER, NOTIFY\r\n"
        + "Supported: 100rel, timer, replaces\r\n"
        + "Session-Expires: 1800;refresher=uac\r\n"
        + "Min-SE: 90\r\n"
        + "User-Agent: carrier-switch/12.4\r\n"
        + "Content-Type: application/sdp\r\n"
        + "Content-Length: " + sdp.length + "\r\n\r\n";
    byte[] head = s.getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[head.length + sdp.length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(sdp, 0, out, head.length, sdp.length);
    return out;
  }
}
