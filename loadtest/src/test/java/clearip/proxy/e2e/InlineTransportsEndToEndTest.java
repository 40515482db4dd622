package clearip.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import clearip.proxy.ops.server.ProxyServer;
import java.io.Closeable;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * In-line mode with its default transport settings against destinations that speak one
 * transport only, as carriers' switches do: UDP-only ones get 2 KB INVITEs (ClearIP's Identity
 * included) although the size rule picks TCP for them, TCP-only ones get them over TCP. Real SIPp
 * as the switch and as the destinations, the ClearIP emulator over TLS, all on loopback.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InlineTransportsEndToEndTest {
  static final Duration T = Duration.ofSeconds(30);
  Path work;
  E2e.ProxyOnEmulator bench;
  ProxyServer proxy;
  final List<Closeable> held = new ArrayList<>();
  int udpOnly;
  int tcpOnlyExplicit;
  int tcpOnlyBySize;

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("e2e-inline-transports");
    udpOnly = udpOnlyPort();
    tcpOnlyExplicit = tcpOnlyPort();
    tcpOnlyBySize = tcpOnlyPort();
    // one Contact each, so that a wrong transport fails the call instead of moving on;
    // inline.udp-max-size, udp-fallback, tcp-connect-timeout: the defaults under test
    bench = E2e.ProxyOnEmulator.start(work, """
        clearip-emulator {
          listen { udp = [], tcp = [], tls = ["127.0.0.1:0"] }
          rules = [
            { name = udp-only, called-prefix = "21", action = redirect, identity = on, attest = A,
              destinations = ["sip:${user}@127.0.0.1:%d"] }
            { name = tcp-explicit, called-prefix = "22", action = redirect, identity = on,
              destinations = ["sip:${user}@127.0.0.1:%d;transport=tcp"] }
            { name = tcp-by-size, called-prefix = "23", action = redirect, identity = on,
              destinations = ["sip:${user}@127.0.0.1:%d"] }
          ]
        }
        """.formatted(udpOnly, tcpOnlyExplicit, tcpOnlyBySize),
        "clearip-proxy.mode = inline",
        "clearip-proxy.inline.record-route = on",
        "clearip-proxy.inline.no-answer-timeout = 2s");
    proxy = bench.proxy;
  }

  int udpOnlyPort() throws IOException {
    Socket s = Sipp.udpOnlyPort();
    held.add(s);
    return s.getLocalPort();
  }

  /** A port whose UDP side is held by a socket that never answers, free on TCP for SIPp. */
  int tcpOnlyPort() throws IOException {
    int p = Sipp.freePort();
    held.add(new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), p)));
    return p;
  }

  @AfterAll
  void stop() throws Exception {
    if (bench != null) bench.close();
    for (Closeable c : held) c.close();
  }

  Sipp.Result call(String scenario, String number, String name, int calls) throws Exception {
    return Sipp.run(work.resolve(name), scenario, number, proxy.bound().udp().get(0), "u1",
        calls, 2, T);
  }

  long fallbacks() {
    return proxy.callContext().transports().fallbacks();
  }

  @Test
  void udpOnlyDestinationsGetLargeInvitesOverUdpAtOnceAndAreRemembered() throws Exception {
    Sipp.assumeInstalled();
    Sipp.Running dest = Sipp.startServer(work.resolve("udp-only"), "uas_answer", "udp-only",
        udpOnly, 3, T, "u1");
    long before = fallbacks();
    // first call: TCP refused, the same INVITE over UDP at once
    TlsProxyEndToEndTest.assertAllPassed(call("uac_call_large", "21016401234", "udp-1", 1), 1);
    assertEquals(before + 1, fallbacks(), "the size rule chose TCP, then fell back");
    // the next ones go straight over UDP: the destination is remembered
    TlsProxyEndToEndTest.assertAllPassed(call("uac_call_large", "21016401234", "udp-2", 2), 2);
    assertEquals(before + 1, fallbacks());
    assertEquals(0, dest.await(T).exitCode(), "the destination took 3 calls");
    assertEquals(3, identities(dest), "each INVITE carried ClearIP's Identity");
  }

  @Test
  void tcpOnlyDestinationsGetTheirInvitesOverTcp() throws Exception {
    Sipp.assumeInstalled();
    long before = fallbacks();
    // a Contact that names TCP: followed, whatever the INVITE's size
    Sipp.Running explicit = Sipp.startServer(work.resolve("tcp-explicit"), "uas_answer",
        "tcp-explicit", tcpOnlyExplicit, 2, T, "t1");
    TlsProxyEndToEndTest.assertAllPassed(call("uac_call", "22016401234", "tcp-explicit-calls",
        2), 2);
    assertEquals(0, explicit.await(T).exitCode());
    assertEquals(2, identities(explicit));
    // a Contact that names no transport, with a 2 KB INVITE: TCP by the size rule, and it works
    Sipp.Running bySize = Sipp.startServer(work.resolve("tcp-by-size"), "uas_answer",
        "tcp-by-size", tcpOnlyBySize, 2, T, "t1");
    TlsProxyEndToEndTest.assertAllPassed(call("uac_call_large", "23016401234", "tcp-size-calls",
        2), 2);
    assertEquals(0, bySize.await(T).exitCode());
    assertEquals(2, identities(bySize));
    assertEquals(before, fallbacks(), "no fallback to UDP");
  }

  private static long identities(Sipp.Running dest) throws IOException {
    return dest.logLines().stream().filter(l -> l.contains("IDENTITY ")).count();
  }
}
