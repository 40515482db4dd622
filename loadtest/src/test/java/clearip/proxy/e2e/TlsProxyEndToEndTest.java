package clearip.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.emulator.ClearIpEmulator;
import clearip.proxy.ops.server.ProxyServer;
import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.ParseLimits;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.codec.SipStreamFramer;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.streams.tls.ClientTlsSettings;
import clearip.proxy.streams.tls.TestPki;
import clearip.proxy.streams.tls.TlsContexts;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocket;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * tls-proxy mode end to end: real SIPp as the switch, the real proxy, the ClearIP emulator over
 * verified TLS, all on loopback.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsProxyEndToEndTest {
  Path work;
  TestPki pki;
  TestPki.Leaf leaf;
  ActorSystem<Void> emuSystem;
  ClearIpEmulator emulator;
  ProxyServer proxy;
  final List<ProxyServer> extra = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("e2e-tls-proxy");
    pki = TestPki.create(work.resolve("pki"));
    leaf = pki.issue("clearip", TestPki.KeyType.EC_P256, "127.0.0.1", "localhost");
    emuSystem = ActorSystem.create(Behaviors.empty(), "e2e-emulator");
    emulator = E2e.emulator(emuSystem, """
        clearip-emulator {
          listen { udp = [], tcp = [], tls = ["127.0.0.1:0"] }
          identity.reuse-across-numbers = on
          rules = [
            { name = r1, called-prefix = "1", action = redirect, identity = on, attest = A,
              destinations = ["sip:${user}@127.0.0.1:5080", "sip:${user}@127.0.0.1:5082;transport=tcp"] }
            { name = b6, called-prefix = "6", action = block }
            { name = f4, called-prefix = "4", action = forbidden }
            { name = slow7, called-prefix = "7", action = no-action, delay = 3s }
            { name = silent8, called-prefix = "8", action = no-action, no-answer = on }
            { name = drop9, called-prefix = "9", action = no-action, drop-connection = on }
          ]
        }
        """, leaf);
    int emuPort = emulator.bound().tls().get(0).getPort();
    proxy = startProxy("sip:127.0.0.1:" + emuPort + ";transport=tls", "[]");
    assertTrue(proxy.awaitUpstream(Duration.ofSeconds(10)), "proxy connected to the emulator");
  }

  ProxyServer startProxy(String upstream, String allow) throws Exception {
    return startProxy(upstream, allow, "");
  }

  ProxyServer startProxy(String upstream, String allow, String more) throws Exception {
    Config c = ConfigFactory.parseString(String.join("\n", more,
        "clearip-proxy.listen.udp = [\"127.0.0.1:0\"]",
        "clearip-proxy.listen.tcp = [\"127.0.0.1:0\"]",
        "clearip-proxy.listen.tls = [\"127.0.0.1:0\"]",
        "clearip-proxy.upstream.uri = \"" + upstream + "\"",
        "clearip-proxy.upstream.timeout = 1s",
        "clearip-proxy.access.allow = " + allow));
    c = E2e.with(c, "clearip-proxy.listen.tls-certificate", leaf.chain());
    c = E2e.with(c, "clearip-proxy.listen.tls-private-key", leaf.privateKey());
    return E2e.proxy(E2e.with(c, "clearip-proxy.upstream.tls.ca-file", pki.caCertificate()));
  }

  @AfterAll
  void stop() throws Exception {
    for (ProxyServer p : extra) p.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
    if (proxy != null) proxy.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
    if (emulator != null) emulator.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
    if (emuSystem != null) emuSystem.terminate();
  }

  InetSocketAddress udp(ProxyServer p) {
    return p.bound().udp().get(0);
  }

  InetSocketAddress tcp(ProxyServer p) {
    return p.bound().tcp().get(0);
  }

  long emulatorAnswers() {
    long n = 0;
    for (int s : new int[] {302, 403, 503, 603, 487, 200}) n += emulator.handler().answered(s);
    return n;
  }

  static void assertAllPassed(Sipp.Result r, int calls) {
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals(calls, r.successful(), r.toString());
    assertEquals(0, r.failed(), r.toString());
  }

  static Stream<Arguments> answers() {
    List<Arguments> out = new ArrayList<>();
    for (String t : List.of("u1", "t1")) {
      out.add(Arguments.of("uac_302", "14016401234", t));
      out.add(Arguments.of("uac_503", "5305550100", t));
      out.add(Arguments.of("uac_603", "6195550100", t));
      out.add(Arguments.of("uac_403", "4045550100", t));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} for {1} over {2}")
  @MethodSource("answers")
  void relaysEachClearIpAnswer(String scenario, String number, String transport)
      throws Exception {
    Sipp.assumeInstalled();
    InetSocketAddress target = transport.equals("u1") ? udp(proxy) : tcp(proxy);
    Sipp.Result r = Sipp.run(work.resolve(scenario + transport), scenario, number, target,
        transport, 10, 20, Duration.ofSeconds(20));
    assertAllPassed(r, 10);
  }

  @Test
  void cancelGets200And487() throws Exception {
    Sipp.assumeInstalled();
    Sipp.Result r = Sipp.run(work.resolve("cancel"), "uac_cancel", "7305550100", udp(proxy), "u1",
        5, 10, Duration.ofSeconds(20));
    assertAllPassed(r, 5);
  }

  @Test
  void silentClearIpFailsOpenWithinTheTimeout() throws Exception {
    Sipp.assumeInstalled();
    // upstream.timeout is 1 s: the 503 must come before SIPp's 1.5 s receive timeout
    Sipp.Result r = Sipp.run(work.resolve("silent"), "uac_503", "8305550100", udp(proxy), "u1",
        5, 5, Duration.ofSeconds(20), "-recv_timeout", "1500");
    assertAllPassed(r, 5);
  }

  @Test
  void droppedConnectionFailsOpenAtOnceAndRecovers() throws Exception {
    Sipp.assumeInstalled();
    Sipp.Result r = Sipp.run(work.resolve("drop"), "uac_503", "9305550100", udp(proxy), "u1",
        3, 1, Duration.ofSeconds(20), "-recv_timeout", "1500");
    assertAllPassed(r, 3);
    // a connection dropped before any answer is retried after a back-off: wait for it
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!proxy.upstream().isUp()) {
      assertTrue(System.nanoTime() < deadline, "reconnected within 10 s");
      TimeUnit.MILLISECONDS.sleep(20);
    }
    // reconnected: ClearIP answers again
    Sipp.Result again = Sipp.run(work.resolve("drop-after"), "uac_302", "14016401234",
        udp(proxy), "u1", 3, 3, Duration.ofSeconds(20));
    assertAllPassed(again, 3);
  }

  @Test
  void emergencyCallsNeverReachClearIp() throws Exception {
    Sipp.assumeInstalled();
    long before = emulatorAnswers();
    for (String n : List.of("911", "933")) {
      Sipp.Result r = Sipp.run(work.resolve("sos" + n), "uac_503", n, udp(proxy), "u1", 5, 10,
          Duration.ofSeconds(20), "-recv_timeout", "500");
      assertAllPassed(r, 5);
    }
    assertEquals(before, emulatorAnswers(), "the emulator saw an emergency call");
  }

  @Test
  void unreachableClearIpFailsOpenAtOnce() throws Exception {
    Sipp.assumeInstalled();
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    ProxyServer down = startProxy("sip:127.0.0.1:" + closed + ";transport=tls", "[]");
    extra.add(down);
    Sipp.Result r = Sipp.run(work.resolve("down"), "uac_503", "14016401234", udp(down), "u1", 5,
        10, Duration.ofSeconds(20), "-recv_timeout", "500");
    assertAllPassed(r, 5);
  }

  @Test
  void sourcesOutsideTheAllowListGetNothing() throws Exception {
    Sipp.assumeInstalled();
    int emuPort = emulator.bound().tls().get(0).getPort();
    ProxyServer strict = startProxy("sip:127.0.0.1:" + emuPort + ";transport=tls",
        "[\"192.0.2.1/32\"]");
    extra.add(strict);
    Sipp.Result r = Sipp.run(work.resolve("stranger"), "uac_no_answer", "14016401234",
        udp(strict), "u1", 3, 3, Duration.ofSeconds(20));
    assertAllPassed(r, 3);
  }

  /** Sends one request over UDP from a fresh loopback socket and returns the first answer. */
  static SipResponse udpExchange(InetSocketAddress proxy, String method, String number)
      throws Exception {
    return udpExchange(proxy, method, number, "");
  }

  /** As above, with a To tag (e.g. ";tag=x") to make it an in-dialog request. */
  static SipResponse udpExchange(InetSocketAddress proxy, String method, String number,
      String toTag) throws Exception {
    try (java.net.DatagramSocket s = new java.net.DatagramSocket(new InetSocketAddress(
        java.net.InetAddress.getLoopbackAddress(), 0))) {
      s.setSoTimeout(3000);
      String req = method + " sip:" + number + "@127.0.0.1 SIP/2.0\r\n"
          + "Via: SIP/2.0/UDP 127.0.0.1:" + s.getLocalPort() + ";branch=z9hG4bK" + method
          + System.nanoTime() + ";rport\r\n"
          + "Max-Forwards: 70\r\n"
          + "From: <sip:monitor@127.0.0.1>;tag=m1\r\n"
          + "To: <sip:" + number + "@127.0.0.1>" + toTag + "\r\n"
          + "Call-ID: " + method + System.nanoTime() + "@127.0.0.1\r\n"
          + "CSeq: 1 " + method + "\r\n"
          + "Content-Length: 0\r\n\r\n";
      byte[] b = req.getBytes(StandardCharsets.UTF_8);
      s.send(new java.net.DatagramPacket(b, b.length, proxy));
      java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[8192], 8192);
      s.receive(p);
      Decoded d = new SipDecoder().decode(java.util.Arrays.copyOf(p.getData(), p.getLength()));
      return (SipResponse) ((Decoded.Ok) d).message();
    }
  }

  @Test
  void clearIpsNoActionIsRelayedWithoutARetryAfter() throws Exception {
    try (java.net.DatagramSocket s = new java.net.DatagramSocket(new InetSocketAddress(
        java.net.InetAddress.getLoopbackAddress(), 0))) {
      s.setSoTimeout(5000);
      String req = "INVITE sip:5305550100@127.0.0.1 SIP/2.0\r\n"
          + "Via: SIP/2.0/UDP 127.0.0.1:" + s.getLocalPort() + ";branch=z9hG4bKnoaction"
          + System.nanoTime() + "\r\n"
          + "Max-Forwards: 70\r\n"
          + "From: <sip:14045266060@127.0.0.1>;tag=n1\r\n"
          + "To: <sip:5305550100@127.0.0.1>\r\n"
          + "Call-ID: noaction" + System.nanoTime() + "@127.0.0.1\r\n"
          + "CSeq: 1 INVITE\r\n"
          + "Content-Length: 0\r\n\r\n";
      byte[] b = req.getBytes(StandardCharsets.UTF_8);
      s.send(new java.net.DatagramPacket(b, b.length, udp(proxy)));
      SipResponse r;
      do {
        java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[8192], 8192);
        s.receive(p);
        r = (SipResponse) ((Decoded.Ok) new SipDecoder().decode(
            java.util.Arrays.copyOf(p.getData(), p.getLength()))).message();
      } while (r.statusCode() < 200);
      assertEquals(503, r.statusCode());
      assertEquals(null, r.header("Retry-After"),
          "ClearIP's no action: the switch route-advances this call only");
    }
  }

  @Test
  void optionsPingsAreAnsweredAndOtherMethodsRefusedWithAllow() throws Exception {
    assertEquals(200, udpExchange(udp(proxy), "OPTIONS", "ping").statusCode());
    SipResponse bye = udpExchange(udp(proxy), "BYE", "14016401234");
    assertEquals(405, bye.statusCode());
    assertEquals("INVITE, ACK, CANCEL, OPTIONS", bye.header("Allow"));
    assertEquals(405, udpExchange(udp(proxy), "REGISTER", "x").statusCode());
    // in a dialog this proxy is not part of: 481, and never screened as a new call
    assertEquals(481, udpExchange(udp(proxy), "BYE", "14016401234", ";tag=d1").statusCode());
    assertEquals(481, udpExchange(udp(proxy), "INVITE", "14016401234", ";tag=d1")
        .statusCode());
  }

  @Test
  void optionsAnswer503WhileClearIpIsUnreachable() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    ProxyServer down = startProxy("sip:127.0.0.1:" + closed + ";transport=tls", "[]");
    extra.add(down);
    SipResponse r = udpExchange(udp(down), "OPTIONS", "ping");
    assertEquals(503, r.statusCode());
    assertEquals("ClearIP unreachable", r.reasons().get(0).text());
  }

  /** A proxy whose overload control admits hardly any new call (its share near the 2 % floor). */
  private ProxyServer startProxyBehindItsLoad() throws Exception {
    int emuPort = emulator.bound().tls().get(0).getPort();
    // any wait at all counts as "behind": the admitted share falls to its floor (2 %)
    ProxyServer behind = startProxy("sip:127.0.0.1:" + emuPort + ";transport=tls", "[]",
        "clearip-proxy.calls.max-dispatch-delay = 1ns");
    extra.add(behind);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    // a probe runs every 10 ms and each cuts the share by a quarter; admittedNow() alone would
    // read low already while a probe waits, before the probes have cut the share itself
    while (behind.registry().shedder().probedShare() > 0.05 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    return behind;
  }

  @Test
  void aProxyBehindItsLoadAnswersNewInvites503AtOnce() throws Exception {
    ProxyServer behind = startProxyBehindItsLoad();
    int refused = 0;
    for (int i = 0; i < 5; i++) { // 2 % of them may still be admitted
      SipResponse r = udpExchange(udp(behind), "INVITE", "14016401234");
      if (r.statusCode() == 503) {
        assertEquals("proxy overloaded", r.reasons().get(0).text());
        assertEquals("1", r.header("Retry-After"), "the switch may try its other routes");
        refused++;
      } else {
        assertEquals(100, r.statusCode());
      }
    }
    assertTrue(refused >= 3, refused + " of 5 refused with 503 before any 100 Trying");
    assertEquals(refused, behind.registry().shedder().shedCount());
  }

  @Test
  void theOverloadScenarioTimesRefusedCallsApartFromAdmittedOnes() throws Exception {
    Sipp.assumeInstalled();
    ProxyServer behind = startProxyBehindItsLoad();
    Path dir = work.resolve("overload");
    // ClearIP blocks 6… numbers: an admitted call ends 603 (response time 1), a refused one 503
    // from the proxy (response time 2); both are successful calls for the scenario
    Sipp.Result r = Sipp.run(dir, "uac_overload", "6305550100", udp(behind), "u1", 40, 20,
        Duration.ofSeconds(20), "-trace_rtt", "-rtt_freq", "1");
    assertAllPassed(r, 40);
    long[] byTimer = new long[3];
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.toString().endsWith("_rtt.csv")).toList()) {
        for (String line : Files.readAllLines(f)) {
          String[] x = line.split(";"); // date;response time ms;timer number
          if (x.length > 2 && x[2].trim().matches("[12]")) {
            byTimer[Integer.parseInt(x[2].trim())]++;
          }
        }
      }
    }
    assertEquals(40, byTimer[1] + byTimer[2], "each call timed once");
    assertEquals(behind.registry().shedder().shedCount(), byTimer[2],
        "the refused calls are the ones timed as response time 2");
    assertTrue(byTimer[2] >= 30, byTimer[2] + " of 40 refused at a 2 % admitted share");
  }

  @Test
  void switchCanReachTheProxyOverTls() throws Exception {
    var engines = TlsContexts.client(ClientTlsSettings.defaults()
        .withCaBundle(pki.caCertificate()));
    InetSocketAddress tls = proxy.bound().tls().get(0);
    try (SSLSocket s = (SSLSocket) engines.sslContext().getSocketFactory()
        .createSocket(tls.getAddress(), tls.getPort())) {
      s.setSoTimeout(5000);
      s.setSSLParameters(engines.sslParameters("127.0.0.1"));
      String invite = "INVITE sip:14016401234@127.0.0.1 SIP/2.0\r\n"
          + "Via: SIP/2.0/TLS 127.0.0.1:" + s.getLocalPort() + ";branch=z9hG4bKtls1\r\n"
          + "Max-Forwards: 70\r\n"
          + "From: <sip:14045266060@127.0.0.1>;tag=t1\r\n"
          + "To: <sip:14016401234@127.0.0.1>\r\n"
          + "Call-ID: tls-switch-1@127.0.0.1\r\n"
          + "CSeq: 1 INVITE\r\n"
          + "Content-Length: 0\r\n\r\n";
      OutputStream out = s.getOutputStream();
      out.write(invite.getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = s.getInputStream();
      SipStreamFramer framer = new SipStreamFramer(ParseLimits.DEFAULT);
      SipResponse fin = null;
      byte[] buf = new byte[8192];
      while (fin == null) {
        int n = in.read(buf);
        assertTrue(n > 0, "connection closed before the final answer");
        framer.feed(buf, 0, n);
        for (SipStreamFramer.Frame f; (f = framer.next()) != null; ) {
          byte[] m = ((SipStreamFramer.Frame.Message) f).bytes();
          Decoded d = new SipDecoder().decode(m, 0, m.length, SipDecoder.Framing.STREAM);
          SipResponse r = (SipResponse) ((Decoded.Ok) d).message();
          if (r.isFinal()) fin = r;
        }
      }
      assertEquals(302, fin.statusCode());
      assertEquals(2, fin.contacts().size());
      assertNotNull(fin.identities().get(0));
      assertEquals("z9hG4bKtls1", fin.topViaBranch());
    }
  }
}
