package clearip.proxy.demo;

import clearip.proxy.actors.call.CallMetrics;
import clearip.proxy.emulator.ClearIpEmulator;
import clearip.proxy.emulator.EmulatorSettings;
import clearip.proxy.emulator.SelfSignedTls;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.server.ProxyServer;
import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.header.HeaderName;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.streams.tls.ServerTlsSettings;
import clearip.proxy.streams.transport.TransportMetrics;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * {@code clearip-demo demo}: the proxy and the bundled ClearIP emulator on loopback, joined by
 * a verified TLS connection, so a newcomer sees calls flow without a ClearIP account.
 * {@code --calls N} places N rounds of sample calls itself and exits.
 */
final class Demo {
  private Demo() {}

  /** Sample called numbers and what the emulator's default rules make of them. */
  static final List<String[]> SAMPLES = List.of(
      new String[] {"14016401234", "ClearIP routes the call (302 + Identity)"},
      new String[] {"5305550100", "ClearIP takes no action (503, route-advance)"},
      new String[] {"6195550100", "ClearIP blocks the call (603)"},
      new String[] {"4045550100", "ClearIP does not know this SBC (403)"},
      new String[] {"911", "emergency: never screened (503 from the proxy)"});

  /**
   * @param calls rounds of sample calls to place before exiting; 0 runs until Ctrl-C
   * @param port the proxy's UDP and TCP port on loopback (TLS the next one); 0 for any
   */
  static int run(int calls, int port, PrintStream out) throws Exception {

    ServerTlsSettings tls = SelfSignedTls.create();
    String cert = tls.identity().certificateChain().toString();
    String key = tls.identity().privateKey().toString();

    var emuConfig = ConfigFactory.parseString(
        "clearip-emulator.listen { udp = [], tcp = [], tls = [\"127.0.0.1:0\"] }")
        .withValue("clearip-emulator.tls.certificate", ConfigValueFactory.fromAnyRef(cert))
        .withValue("clearip-emulator.tls.private-key", ConfigValueFactory.fromAnyRef(key))
        .withFallback(ConfigFactory.defaultReference()).resolve();
    ActorSystem<Void> emuSystem = ActorSystem.create(Behaviors.empty(), "clearip-emulator",
        ProxyServer.pekkoConfig(ProxyConfig.defaults()));
    ClearIpEmulator emulator = ClearIpEmulator.start(emuSystem,
        EmulatorSettings.fromConfig(emuConfig.getConfig(EmulatorSettings.SECTION))).toCompletableFuture().get(30, TimeUnit.SECONDS);
    InetSocketAddress emuTls = emulator.bound().tls().get(0);

    var proxyConfig = ConfigFactory.parseString(String.join("\n",
        "clearip-proxy.listen.udp = [\"127.0.0.1:" + port + "\"]",
        "clearip-proxy.listen.tcp = [\"127.0.0.1:" + port + "\"]",
        "clearip-proxy.listen.tls = [\"127.0.0.1:" + (port == 0 ? 0 : port + 1) + "\"]",
        "clearip-proxy.upstream.uri = \"sip:127.0.0.1:" + emuTls.getPort()
            + ";transport=tls\""))
        .withValue("clearip-proxy.listen.tls-certificate", ConfigValueFactory.fromAnyRef(cert))
        .withValue("clearip-proxy.listen.tls-private-key", ConfigValueFactory.fromAnyRef(key))
        .withValue("clearip-proxy.upstream.tls.ca-file", ConfigValueFactory.fromAnyRef(cert));
    ProxyServer proxy = ProxyServer.start(ProxyConfig.from(proxyConfig), CallMetrics.NONE,
        TransportMetrics.NONE).toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (!proxy.awaitUpstream(Duration.ofSeconds(10))) {
      out.println("the proxy could not reach the emulator over TLS; see the log above");
      stop(proxy, emulator, emuSystem);
      return 3;
    }
    InetSocketAddress udp = proxy.bound().udp().get(0);
    out.println();
    out.println("clearip-proxy demo is running (tls-proxy mode):");
    out.println("  proxy     " + ProxyServer.describe(proxy.bound()));
    out.println("  ClearIP   emulator on tls " + emuTls + " (verified TLS connection)");
    out.println("The called number picks ClearIP's answer:");
    for (String[] s : SAMPLES) out.printf("  %-12s %s%n", s[0], s[1]);
    out.println("Send calls with SIPp, for example:");
    out.println("  sipp -sf loadtest/sipp/uac_302.xml -s 14016401234 -m 10 -r 5 -i 127.0.0.1 "
        + "-nostdin 127.0.0.1:" + udp.getPort());
    out.println("Each call's outcome is logged below (logger clearip.proxy.calls).");
    if (calls > 0) {
      int failures = sampleCalls(udp, calls, out);
      stop(proxy, emulator, emuSystem);
      return failures == 0 ? 0 : 1;
    }
    out.println("Press Ctrl-C to stop.");
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop(proxy, emulator, emuSystem);
      done.countDown();
    }, "demo-shutdown"));
    done.await();
    return 0;
  }

  /** Places the sample calls over UDP, prints each outcome; returns how many got no final. */
  static int sampleCalls(InetSocketAddress proxy, int rounds, PrintStream out) throws Exception {
    int failures = 0;
    SipDecoder decoder = new SipDecoder();
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(
        InetAddress.getLoopbackAddress(), 0))) {
      s.setSoTimeout(5000);
      int local = s.getLocalPort();
      for (int round = 0; round < rounds; round++) {
        for (String[] sample : SAMPLES) {
          String branch = "z9hG4bKdemo" + round + sample[0];
          String callId = "demo-" + round + "-" + sample[0] + "@127.0.0.1";
          String invite = "INVITE sip:" + sample[0] + "@127.0.0.1:" + proxy.getPort()
              + " SIP/2.0\r\n"
              + "Via: SIP/2.0/UDP 127.0.0.1:" + local + ";branch=" + branch + ";rport\r\n"
              + "Max-Forwards: 70\r\n"
              + "From: <sip:14045266060@127.0.0.1>;tag=demo" + round + "\r\n"
              + "To: <sip:" + sample[0] + "@127.0.0.1>\r\n"
              + "Call-ID: " + callId + "\r\n"
              + "CSeq: 1 INVITE\r\n"
              + "Contact: <sip:14045266060@127.0.0.1:" + local + ">\r\n"
              + "Content-Length: 0\r\n\r\n";
          long t0 = System.nanoTime();
          send(s, proxy, invite);
          SipResponse fin = null;
          byte[] buf = new byte[65_535];
          while (fin == null) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
              s.receive(p);
            } catch (SocketTimeoutException e) {
              break;
            }
            Decoded d = decoder.decode(java.util.Arrays.copyOf(p.getData(), p.getLength()));
            if (d instanceof Decoded.Ok ok && ok.message() instanceof SipResponse r
                && r.isFinal() && callId.equals(r.callId())) {
              fin = r;
            }
          }
          double ms = (System.nanoTime() - t0) / 1e6;
          if (fin == null) {
            failures++;
            out.printf("  INVITE %-12s -> no final answer within 5 s%n", sample[0]);
            continue;
          }
          String detail = "";
          if (fin.statusCode() == 302) {
            detail = " (" + fin.contacts().size() + " Contacts"
                + (fin.identities().isEmpty() ? "" : ", Identity") + ")";
          } else if (!fin.reasons().isEmpty() && fin.reasons().get(0).text() != null) {
            detail = " (" + fin.reasons().get(0).text() + ")";
          }
          out.printf("  INVITE %-12s -> %d %s%s in %.1f ms%n", sample[0], fin.statusCode(),
              fin.reasonPhrase(), detail, ms);
          // the hop-by-hop ACK for the non-2xx final
          send(s, proxy, "ACK sip:" + sample[0] + "@127.0.0.1:" + proxy.getPort() + " SIP/2.0\r\n"
              + "Via: SIP/2.0/UDP 127.0.0.1:" + local + ";branch=" + branch + ";rport\r\n"
              + "Max-Forwards: 70\r\n"
              + "From: <sip:14045266060@127.0.0.1>;tag=demo" + round + "\r\n"
              + "To: " + fin.header(HeaderName.TO) + "\r\n"
              + "Call-ID: " + callId + "\r\n"
              + "CSeq: 1 ACK\r\n"
              + "Content-Length: 0\r\n\r\n");
        }
      }
    }
    return failures;
  }

  private static void send(DatagramSocket s, InetSocketAddress to, String msg) throws Exception {
    byte[] b = msg.getBytes(StandardCharsets.UTF_8);
    s.send(new DatagramPacket(b, b.length, to));
  }

  private static void stop(ProxyServer proxy, ClearIpEmulator emulator, ActorSystem<Void> emu) {
    try {
      proxy.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
      emulator.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // shutting down anyway
    }
    emu.terminate();
  }
}
