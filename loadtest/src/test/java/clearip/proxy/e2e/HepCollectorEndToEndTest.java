package clearip.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import clearip.proxy.ops.server.ProxyServer;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The proxy's HEPv3 export received by a real collector: sngrep listening for HEP (EEP) on a
 * loopback UDP port and writing what it receives to a pcap file. SIPp places calls through the
 * proxy (tls-proxy mode, ClearIP emulator over TLS) while a trace runs; every message of every
 * call, on both legs, must be in sngrep's capture with its Call-ID.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HepCollectorEndToEndTest {
  static final int CALLS = 3;
  static final Duration WAIT = Duration.ofSeconds(30);
  static final String PROBE_CALL_ID = "hep-probe@127.0.0.1";

  Path work;
  E2e.ProxyOnEmulator env;
  ProxyServer proxy;
  Process sngrep;
  Path capture;
  int collectorPort;
  int emuPort;

  @BeforeAll
  void start() throws Exception {
    String binary = Sipp.which("sngrep");
    assumeTrue(binary != null, "sngrep is not installed (apt-get install -y sngrep); skipping "
        + "the HEP collector end-to-end test");
    Sipp.assumeInstalled();
    work = Files.createTempDirectory("e2e-hep");
    capture = work.resolve("hep.pcap");
    collectorPort = Sipp.freePort();
    // -N no interface, -q quiet: sngrep only listens for HEP and writes each packet it gets
    sngrep = new ProcessBuilder(binary, "-N", "-q",
        "-L", "udp:127.0.0.1:" + collectorPort, "-O", capture.toString())
        .redirectErrorStream(true).redirectOutput(work.resolve("sngrep.log").toFile())
        .start();
    sngrep.getOutputStream().close(); // nothing on its standard input
    awaitCollectorListening();

    env = E2e.ProxyOnEmulator.start(work, """
        clearip-emulator {
          listen { udp = [], tcp = [], tls = ["127.0.0.1:0"] }
          identity.reuse-across-numbers = on
          rules = [
            { name = r1, called-prefix = "1", action = redirect, identity = on, attest = A,
              destinations = ["sip:${user}@127.0.0.1:5080", "sip:${user}@127.0.0.1:5082"] }
          ]
        }
        """,
        "clearip-proxy.listen.tcp = []",
        "clearip-proxy.trace.hep.collector = \"127.0.0.1:" + collectorPort + "\"",
        "clearip-proxy.trace.hep.capture-id = 77",
        "clearip-proxy.trace.file = \"" + work.resolve("traces/calls.pcap") + "\"");
    proxy = env.proxy;
    emuPort = env.emulator.bound().tls().get(0).getPort();
  }

  @AfterAll
  void stop() throws Exception {
    if (env != null) env.close();
    stopCollector();
  }

  /** SIGTERM to our own sngrep, by its handle; it closes its pcap file and exits. */
  void stopCollector() throws InterruptedException {
    if (sngrep == null || !sngrep.isAlive()) return;
    sngrep.destroy();
    if (!sngrep.waitFor(10, TimeUnit.SECONDS)) {
      sngrep.destroyForcibly();
      sngrep.waitFor(5, TimeUnit.SECONDS);
    }
  }

  /**
   * Sends a HEP probe every 100 ms until sngrep has written it: sngrep is listening, and writes
   * what it receives.
   */
  void awaitCollectorListening() throws Exception {
    byte[] probe = hepProbe();
    try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      awaitCapture("sngrep listening", list -> list.stream()
          .anyMatch(p -> p.sip().contains("Call-ID: " + PROBE_CALL_ID)), () -> {
            s.send(new DatagramPacket(probe, probe.length, InetAddress.getLoopbackAddress(),
                collectorPort));
          });
    }
  }

  interface Step {
    void run() throws IOException;
  }

  /** Polls the capture every 100 ms (running {@code each} first) until {@code done} holds. */
  List<Captured> awaitCapture(String what, Predicate<List<Captured>> done, Step each)
      throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      assertTrue(sngrep.isAlive(), "sngrep exited: " + log());
      each.run();
      List<Captured> list = Files.exists(capture) ? read(capture) : List.of();
      if (done.test(list)) return list;
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for " + what + "; captured: " + list
            + "\nsngrep: " + log());
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
  }

  String log() {
    try {
      return Files.readString(work.resolve("sngrep.log"));
    } catch (IOException e) {
      return e.toString();
    }
  }

  @Test
  void sngrepReceivesEveryTracedMessageOfEveryCallWithItsCallId() throws Exception {
    int proxyPort = proxy.bound().udp().get(0).getPort();
    proxy.traces().startTrace(120);
    Sipp.Result r = Sipp.run(work.resolve("sipp"), "uac_302", "14016401234",
        proxy.bound().udp().get(0), "u1", CALLS, 10, WAIT);
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals(CALLS, r.successful(), r.toString());
    // the switch's ACK ends each call (UDP): once none is in flight, every message was traced
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (proxy.registry().inFlight() > 0) {
      assertTrue(System.nanoTime() - deadline < 0, "calls still in flight");
      TimeUnit.MILLISECONDS.sleep(50);
    }
    proxy.traces().stopTrace(); // returns once everything traced was sent

    // what each call must show, on the switch's leg (UDP) and ClearIP's (TLS, in clear text)
    List<String> expected = List.of(
        "switch>proxy INVITE", "proxy>switch 100", "proxy>clearip INVITE",
        "clearip>proxy 302", "proxy>clearip ACK", "proxy>switch 302", "switch>proxy ACK");
    List<Captured> all = awaitCapture("every message of " + CALLS + " calls", list -> {
      Map<String, Set<String>> byCall = byCall(list, proxyPort);
      return byCall.size() == CALLS
          && byCall.values().stream().allMatch(s -> s.containsAll(expected));
    }, () -> { });
    stopCollector();
    assertEquals(0, sngrep.exitValue(), "sngrep stopped cleanly: " + log());
    // read again once sngrep closed the file: the same packets, nothing lost at the close
    List<Captured> closed = read(capture);
    assertTrue(closed.size() >= all.size(), closed.size() + " < " + all.size());
    Map<String, Set<String>> byCall = byCall(closed, proxyPort);
    assertEquals(CALLS, byCall.size(), byCall.toString());
    for (Map.Entry<String, Set<String>> call : byCall.entrySet()) {
      assertTrue(call.getValue().containsAll(expected),
          "call " + call.getKey() + " captured " + call.getValue());
    }
  }

  /**
   * Each call's messages (by Call-ID, calls started by a switch INVITE to the proxy), as
   * "from>to method-or-status". The legs are told apart by port: sngrep writes every packet it
   * receives over HEP as UDP in its pcap, whatever the HEP packet's protocol (TCP for the TLS
   * leg to ClearIP).
   */
  Map<String, Set<String>> byCall(List<Captured> list, int proxyPort) {
    Set<String> calls = new TreeSet<>();
    for (Captured p : list) {
      if (p.dstPort() == proxyPort && p.sip().startsWith("INVITE ")) calls.add(p.callId());
    }
    Map<String, Set<String>> out = new TreeMap<>();
    for (String id : calls) out.put(id, new TreeSet<>());
    for (Captured p : list) {
      Set<String> seen = out.get(p.callId());
      if (seen == null) continue;
      String from = role(p.srcPort(), p.dstPort(), proxyPort);
      String to = role(p.dstPort(), p.srcPort(), proxyPort);
      String first = p.sip().substring(0, p.sip().indexOf(' '));
      String what = first.equals("SIP/2.0") ? p.sip().substring(8, 11) : first;
      seen.add(from + ">" + to + " " + what);
    }
    return out;
  }

  String role(int port, int otherPort, int proxyPort) {
    if (port == emuPort) return "clearip";
    if (port == proxyPort) return "proxy";
    // the proxy's side of its TLS connection is an ephemeral port
    return otherPort == emuPort ? "proxy" : "switch";
  }

  // ---- HEP and pcap ----

  /** One SIP message as sngrep wrote it: its transport, ports and text. */
  record Captured(boolean udp, int srcPort, int dstPort, String sip) {
    String callId() {
      for (String line : sip.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon < 0) continue;
        String name = line.substring(0, colon).trim();
        if (name.equalsIgnoreCase("Call-ID") || name.equals("i")) {
          return line.substring(colon + 1).trim();
        }
      }
      return "";
    }

    @Override
    public String toString() {
      return (udp ? "UDP " : "TCP ") + srcPort + ">" + dstPort + " "
          + sip.substring(0, Math.max(0, sip.indexOf('\r'))) + " [" + callId() + "]";
    }
  }

  /** The SIP messages of a classic pcap file (Ethernet or raw IPv4 frames). */
  static List<Captured> read(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
    List<Captured> out = new ArrayList<>();
    if (b.remaining() < 24) return out;
    int magic = b.getInt(0);
    if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) b.order(ByteOrder.LITTLE_ENDIAN);
    int linkType = b.getInt(20);
    int linkHeader = switch (linkType) {
      case 1 -> 14; // Ethernet
      case 101, 228 -> 0; // raw IP
      case 113 -> 16; // Linux cooked
      default -> throw new AssertionError("link type " + linkType + " not read here");
    };
    int pos = 24;
    while (pos + 16 <= b.limit()) {
      int captured = b.getInt(pos + 8);
      int start = pos + 16;
      if (start + captured > b.limit()) break; // a record still being written
      int ip = start + linkHeader;
      if ((b.get(ip) >> 4) == 4) {
        int ihl = (b.get(ip) & 0x0f) * 4;
        int proto = b.get(ip + 9) & 0xff;
        int l4 = ip + ihl;
        int src = Short.toUnsignedInt(b.order() == ByteOrder.BIG_ENDIAN ? b.getShort(l4)
            : Short.reverseBytes(b.getShort(l4)));
        int dst = Short.toUnsignedInt(b.order() == ByteOrder.BIG_ENDIAN ? b.getShort(l4 + 2)
            : Short.reverseBytes(b.getShort(l4 + 2)));
        int payload = proto == 17 ? l4 + 8 : l4 + ((b.get(l4 + 12) >> 4) & 0x0f) * 4;
        int end = start + captured;
        if ((proto == 17 || proto == 6) && payload < end) {
          String sip = new String(b.array(), payload, end - payload, StandardCharsets.UTF_8);
          out.add(new Captured(proto == 17, src, dst, sip));
        }
      }
      pos = start + captured;
    }
    return out;
  }

  /** A HEPv3 packet carrying one small INVITE, for the collector's start-up check. */
  static byte[] hepProbe() {
    byte[] sip = ("INVITE sip:probe@127.0.0.1 SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKprobe\r\n"
        + "From: <sip:probe@127.0.0.1>;tag=p\r\nTo: <sip:probe@127.0.0.1>\r\n"
        + "Call-ID: " + PROBE_CALL_ID + "\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(200 + sip.length);
    b.put(new byte[] {'H', 'E', 'P', '3'}).putShort((short) 0);
    chunk(b, 1, 1).put((byte) 2); // IPv4
    chunk(b, 2, 1).put((byte) 17); // UDP
    chunk(b, 3, 4).put(new byte[] {127, 0, 0, 1});
    chunk(b, 4, 4).put(new byte[] {127, 0, 0, 1});
    chunk(b, 7, 2).putShort((short) 5070);
    chunk(b, 8, 2).putShort((short) 5071);
    long micros = System.currentTimeMillis() * 1000;
    chunk(b, 9, 4).putInt((int) (micros / 1_000_000));
    chunk(b, 10, 4).putInt((int) (micros % 1_000_000));
    chunk(b, 11, 1).put((byte) 1); // SIP
    chunk(b, 12, 4).putInt(1);
    chunk(b, 15, sip.length).put(sip);
    b.putShort(4, (short) b.position());
    byte[] out = new byte[b.position()];
    b.flip().get(out);
    return out;
  }

  private static ByteBuffer chunk(ByteBuffer b, int type, int valueLength) {
    return b.putShort((short) 0).putShort((short) type).putShort((short) (6 + valueLength));
  }
}
