package clearip.proxy.ops.launcher;

import clearip.proxy.actors.call.CallMetrics;
import clearip.proxy.emulator.ClearIpEmulator;
import clearip.proxy.emulator.EmulatorSettings;
import clearip.proxy.emulator.SelfSignedTls;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.header.HeaderName;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.streams.tls.ServerTlsSettings;
import clearip.proxy.streams.transport.TransportMetrics;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the call path hot before the real listeners open: a throw-away proxy on loopback relays
 * synthetic calls to the bundled ClearIP emulator (TLS, answer 503) for {@code warm-up.duration}.
 * A fresh JVM interprets and compiles for its first 10-20 s of traffic and, at full load, needs
 * 1.5-2 times the CPU per call for that long; the switch would see it as seconds-long answers.
 * Nothing leaves loopback; the real ClearIP connection is not opened until the warm-up is over.
 * In-line mode's destination leg is not exercised (it needs destinations to call).
 */
final class WarmUp {
  private static final Logger log = LoggerFactory.getLogger(WarmUp.class);
  /** The emulator's default rules answer numbers starting with 5 with 503 (no action). */
  private static final String NUMBER = "5305550100";

  private WarmUp() {}

  /** Returns the number of calls answered; 0 when the warm-up is off. */
  static long run(Duration duration, int rate) throws Exception {
    if (duration.isZero() || rate <= 0) return 0;
    long t0 = System.nanoTime();
    ServerTlsSettings tls = SelfSignedTls.create();
    String cert = tls.identity().certificateChain().toString();
    String key = tls.identity().privateKey().toString();
    var emuConfig = ConfigFactory.parseString(
            "clearip-emulator.listen { udp = [], tcp = [], tls = [\"127.0.0.1:0\"] }")
        .withValue("clearip-emulator.tls.certificate", ConfigValueFactory.fromAnyRef(cert))
        .withValue("clearip-emulator.tls.private-key", ConfigValueFactory.fromAnyRef(key))
        .withFallback(ConfigFactory.defaultReference()).resolve();
    ActorSystem<Void> emuSystem = ActorSystem.create(Behaviors.empty(), "clearip-warm-up-emulator",
        ProxyServer.pekkoConfig(ProxyConfig.defaults()));
    ClearIpEmulator emulator = null;
    ProxyServer proxy = null;
    try {
      emulator = ClearIpEmulator.start(emuSystem,
              EmulatorSettings.fromConfig(emuConfig.getConfig(EmulatorSettings.SECTION)))
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      int emuPort = emulator.bound().tls().get(0).getPort();
      var proxyConfig = ConfigFactory.parseString(String.join("\n",
              "clearip-proxy.listen.udp = [\"127.0.0.1:0\"]",
              "clearip-proxy.listen.tcp = []",
              "clearip-proxy.listen.tls = []",
              "clearip-proxy.admin.listen = \"\"",
              "clearip-proxy.calls.max-dispatch-delay = 0",
              "clearip-proxy.upstream.uri = \"sip:127.0.0.1:" + emuPort + ";transport=tls\""))
          .withValue("clearip-proxy.upstream.tls.ca-file", ConfigValueFactory.fromAnyRef(cert));
      proxy = ProxyServer.start(ProxyConfig.from(proxyConfig), CallMetrics.NONE,
          TransportMetrics.NONE).toCompletableFuture().get(30, TimeUnit.SECONDS);
      if (!proxy.awaitUpstream(Duration.ofSeconds(10))) {
        log.warn("JIT warm-up skipped: the warm-up proxy could not reach its emulator");
        return 0;
      }
      log.info("JIT warm-up: {} synthetic calls/s through a loopback proxy for {} s before the "
          + "listeners open", rate, duration.toSeconds());
      long answered = drive(proxy.bound().udp().get(0), duration, rate);
      log.info("JIT warm-up done: {} calls answered in {} ms", answered,
          (System.nanoTime() - t0) / 1_000_000);
      return answered;
    } finally {
      if (proxy != null) proxy.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
      if (emulator != null) emulator.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
      emuSystem.terminate();
      emuSystem.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** Paced INVITEs from one socket; a reader thread ACKs each final. Returns finals seen. */
  private static long drive(InetSocketAddress proxy, Duration duration, int rate)
      throws Exception {
    AtomicLong finals = new AtomicLong();
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(
        InetAddress.getLoopbackAddress(), 0))) {
      s.setReceiveBufferSize(4 << 20);
      s.setSoTimeout(200);
      int local = s.getLocalPort();
      Thread reader = new Thread(() -> acknowledge(s, proxy, finals), "warm-up-reader");
      reader.setDaemon(true);
      reader.start();
      long interval = 1_000_000_000L / rate;
      long start = System.nanoTime();
      long end = start + duration.toNanos();
      long next = start;
      for (long n = 0; System.nanoTime() < end; n++) {
        long wait = next - System.nanoTime();
        if (wait > 0) LockSupport.parkNanos(wait); // pacing
        next += interval;
        byte[] b = invite(n, local, proxy.getPort()).getBytes(StandardCharsets.US_ASCII);
        s.send(new DatagramPacket(b, b.length, proxy));
      }
      // answers still on their way are not waited for: the compiled code is what counts
      s.close();
      reader.join(2000);
    }
    return finals.get();
  }

  private static void acknowledge(DatagramSocket s, InetSocketAddress proxy, AtomicLong finals) {
    SipDecoder decoder = new SipDecoder();
    byte[] buf = new byte[65_535];
    while (!s.isClosed()) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        s.receive(p);
      } catch (SocketTimeoutException e) {
        continue;
      } catch (SocketException e) {
        return; // closed at the end
      } catch (Exception e) {
        log.debug("warm-up read failed", e);
        return;
      }
      Decoded d = decoder.decode(Arrays.copyOf(p.getData(), p.getLength()));
      if (d instanceof Decoded.Ok ok && ok.message() instanceof SipResponse r && r.isFinal()) {
        finals.incrementAndGet();
        byte[] ack = ack(r, proxy.getPort()).getBytes(StandardCharsets.US_ASCII);
        try {
          s.send(new DatagramPacket(ack, ack.length, proxy));
        } catch (Exception e) {
          return;
        }
      }
    }
  }

  private static String invite(long n, int local, int proxyPort) {
    return "INVITE sip:" + NUMBER + "@127.0.0.1:" + proxyPort + " SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 127.0.0.1:" + local + ";branch=z9hG4bKwarm" + n + "\r\n"
        + "Max-Forwards: 70\r\n"
        + "From: <sip:14045266060@127.0.0.1>;tag=w" + n + "\r\n"
        + "To: <sip:" + NUMBER + "@127.0.0.1>\r\n"
        + "Call-ID: warm-" + n + "@127.0.0.1\r\n"
        + "CSeq: 1 INVITE\r\n"
        + "Contact: <sip:14045266060@127.0.0.1:" + local + ">\r\n"
        + "Content-Length: 0\r\n\r\n";
  }

  private static String ack(SipResponse r, int proxyPort) {
    return "ACK sip:" + NUMBER + "@127.0.0.1:" + proxyPort + " SIP/2.0\r\n"
        + "Via: " + r.header(HeaderName.VIA) + "\r\n"
        + "Max-Forwards: 70\r\n"
        + "From: " + r.header(HeaderName.FROM) + "\r\n"
        + "To: " + r.header(HeaderName.TO) + "\r\n"
        + "Call-ID: " + r.callId() + "\r\n"
        + "CSeq: " + r.cseqNumber() + " ACK\r\n"
        + "Content-Length: 0\r\n\r\n";
  }
}
