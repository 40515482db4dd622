package clearip.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import clearip.proxy.emulator.ClearIpEmulator;
import clearip.proxy.ops.server.ProxyServer;
import clearip.proxy.ops.trace.HepPackets;
import clearip.proxy.streams.tls.TestPki;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Call traces end to end: the real proxy in tls-proxy mode, the ClearIP emulator over verified
 * TLS, a plain UDP client as the switch, all on loopback. The pcap must show, to tshark, the
 * switch's INVITE and the INVITE and 302 of the TLS leg in clear text; the HEP collector must
 * receive the same messages.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CallTraceEndToEndTest {
  static final int CALLS = 3;
  Path work;
  ActorSystem<Void> emuSystem;
  ClearIpEmulator emulator;
  ProxyServer proxy;
  DatagramSocket collector;
  int emuPort;

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("e2e-trace");
    TestPki pki = TestPki.create(work.resolve("pki"));
    TestPki.Leaf leaf = pki.issue("clearip", TestPki.KeyType.EC_P256, "127.0.0.1", "localhost");
    emuSystem = ActorSystem.create(Behaviors.empty(), "trace-emulator");
    emulator = E2e.emulator(emuSystem, """
        clearip-emulator {
          listen { udp = [], tcp = [], tls = ["127.0.0.1:0"] }
          identity.reuse-across-numbers = on
          rules = [
            { name = r1, called-prefix = "1", action = redirect, identity = on, attest = A,
              destinations = ["sip:${user}@127.0.0.1:5080"] }
          ]
        }
        """, leaf);
    emuPort = emulator.bound().tls().get(0).getPort();
    collector = new DatagramSocket(0, InetAddress.getLoopbackAddress());
    collector.setSoTimeout(5_000);
    Config c = ConfigFactory.parseString(String.join("\n",
        "clearip-proxy.listen.udp = [\"127.0.0.1:0\"]",
        "clearip-proxy.listen.tcp = []",
        "clearip-proxy.listen.tls = []",
        "clearip-proxy.upstream.uri = \"sip:127.0.0.1:" + emuPort + ";transport=tls\"",
        "clearip-proxy.trace.hep.collector = \"127.0.0.1:" + collector.getLocalPort() + "\"",
        "clearip-proxy.trace.hep.capture-id = 77"))
        .withValue("clearip-proxy.trace.file",
            ConfigValueFactory.fromAnyRef(work.resolve("traces/calls.pcap").toString()));
    proxy = E2e.proxy(E2e.with(c, "clearip-proxy.upstream.tls.ca-file", pki.caCertificate()));
    assertTrue(proxy.awaitUpstream(Duration.ofSeconds(10)), "proxy connected to the emulator");
  }

  @AfterAll
  void stop() throws Exception {
    if (proxy != null) proxy.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
    if (emulator != null) emulator.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
    if (emuSystem != null) emuSystem.terminate();
    if (collector != null) collector.close();
  }

  int proxyUdpPort() {
    return proxy.bound().udp().get(0).getPort();
  }

  @Test
  void pcapShowsTheSwitchLegAndTheTlsLegInClearText() throws Exception {
    String tshark = Sipp.which("tshark");
    assumeTrue(tshark != null,
        "tshark is not installed (apt-get install -y tshark); skipping the pcap check");
    proxy.traces().startTrace(120);
    for (int i = 0; i < CALLS; i++) assertEquals(302, call("pcap-" + i));
    proxy.traces().stopTrace(); // returns once the file is complete
    Path file = proxy.traces().file();
    assertNotNull(file);
    assertTrue(Files.size(file) > 24, "packets written");

    List<String[]> invites = tshark(tshark, file, "sip.Method == \"INVITE\"");
    long fromSwitch = invites.stream()
        .filter(f -> f[5].equals(Integer.toString(proxyUdpPort()))).count();
    long toClearIp = invites.stream()
        .filter(f -> f[3].equals(Integer.toString(emuPort))).count();
    assertEquals(CALLS, fromSwitch, "switch INVITEs (UDP to the proxy): " + dump(invites));
    assertEquals(CALLS, toClearIp, "INVITEs on the TLS leg (TCP to ClearIP's TLS port): "
        + dump(invites));

    List<String[]> redirects = tshark(tshark, file, "sip.Status-Code == 302");
    long fromClearIp = redirects.stream()
        .filter(f -> f[2].equals(Integer.toString(emuPort))).count();
    long toSwitch = redirects.stream()
        .filter(f -> f[4].equals(Integer.toString(proxyUdpPort()))).count();
    assertEquals(CALLS, fromClearIp, "302s on the TLS leg: " + dump(redirects));
    assertEquals(CALLS, toSwitch, "302s relayed to the switch: " + dump(redirects));
    for (String[] f : invites) {
      assertEquals("127.0.0.1", f[0]);
      assertEquals("127.0.0.1", f[1]);
    }
  }

  @Test
  void hepCollectorReceivesTheTlsLegInClearText() throws Exception {
    proxy.traces().startTrace(120);
    assertEquals(302, call("hep-1"));
    proxy.traces().stopTrace();
    boolean inviteToClearIp = false;
    boolean redirectFromClearIp = false;
    byte[] buf = new byte[65_535];
    // everything was sent before stopTrace returned: read until both are seen or nothing is left
    try {
      for (int i = 0; i < 1_000 && !(inviteToClearIp && redirectFromClearIp); i++) {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        collector.receive(p);
        Map<Integer, byte[]> chunks = HepPackets.parse(buf, p.getLength());
        assertEquals(77, HepPackets.uint(chunks.get(12)), "capture id");
        assertEquals(1, HepPackets.uint(chunks.get(11)), "SIP");
        String sip = new String(chunks.get(15), StandardCharsets.UTF_8);
        if (!sip.contains("Call-ID: hep-1@")) continue;
        int proto = HepPackets.uint(chunks.get(2));
        int src = HepPackets.uint(chunks.get(7));
        int dst = HepPackets.uint(chunks.get(8));
        if (proto == 6 && dst == emuPort && sip.startsWith("INVITE ")) inviteToClearIp = true;
        if (proto == 6 && src == emuPort && sip.startsWith("SIP/2.0 302")) {
          redirectFromClearIp = true;
        }
      }
    } catch (SocketTimeoutException e) {
      // reported below
    }
    assertTrue(inviteToClearIp, "HEP: INVITE to ClearIP over the TLS leg");
    assertTrue(redirectFromClearIp, "HEP: 302 from ClearIP over the TLS leg");
  }

  /** Places one call as a switch would over UDP: INVITE, final answer, ACK; returns the code. */
  int call(String callId) throws IOException {
    try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      s.setSoTimeout(10_000);
      int me = s.getLocalPort();
      InetSocketAddress proxyAt = new InetSocketAddress("127.0.0.1", proxyUdpPort());
      String via = "Via: SIP/2.0/UDP 127.0.0.1:" + me + ";branch=z9hG4bK" + callId + "\r\n";
      String common = "From: <sip:14045266060@127.0.0.1>;tag=t" + callId + "\r\n"
          + "To: <sip:14016401234@127.0.0.1>\r\n"
          + "Call-ID: " + callId + "@127.0.0.1\r\n";
      send(s, proxyAt, "INVITE sip:14016401234@127.0.0.1 SIP/2.0\r\n" + via
          + "Max-Forwards: 70\r\n" + common + "CSeq: 1 INVITE\r\n"
          + "Contact: <sip:14045266060@127.0.0.1:" + me + ">\r\n"
          + "Content-Length: 0\r\n\r\n");
      byte[] buf = new byte[65_535];
      while (true) {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        s.receive(p);
        String r = new String(buf, 0, p.getLength(), StandardCharsets.UTF_8);
        int code = Integer.parseInt(r.substring(8, 11));
        if (code < 200) continue;
        String toTag = r.lines().filter(l -> l.startsWith("To:")).findFirst().orElseThrow()
            .substring(3).trim();
        send(s, proxyAt, "ACK sip:14016401234@127.0.0.1 SIP/2.0\r\n" + via
            + "Max-Forwards: 70\r\n" + common.replace("To: <sip:14016401234@127.0.0.1>",
                "To: " + toTag)
            + "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n");
        return code;
      }
    }
  }

  static void send(DatagramSocket s, InetSocketAddress to, String m) throws IOException {
    byte[] b = m.getBytes(StandardCharsets.UTF_8);
    s.send(new DatagramPacket(b, b.length, to));
  }

  /** ip.src, ip.dst, tcp.srcport, tcp.dstport, udp.srcport, udp.dstport of matching packets. */
  static List<String[]> tshark(String tshark, Path file, String filter)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(tshark, "-n", "-r", file.toString(), "-Y", filter,
        "-T", "fields", "-E", "separator=,", "-e", "ip.src", "-e", "ip.dst",
        "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport")
        .redirectErrorStream(false).start();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly(); // our own child, by its handle
      throw new AssertionError("tshark did not finish");
    }
    assertEquals(0, p.exitValue(), "tshark: " + err);
    List<String[]> rows = new ArrayList<>();
    for (String line : new String(out, StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) rows.add(line.split(",", -1));
    }
    return rows;
  }

  static String dump(List<String[]> rows) {
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) sb.append(String.join(",", r)).append("; ");
    return sb.toString();
  }
}
