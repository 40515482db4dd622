package clearip.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.emulator.ClearIpEmulator;
import clearip.proxy.ops.server.ProxyServer;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Inline mode end to end: SIPp as the switch and as the destinations of ClearIP's 302, the real
 * proxy (Record-Routing) and the ClearIP emulator over TLS, all on loopback.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InlineEndToEndTest {
  static final Duration T = Duration.ofSeconds(30);
  Path work;
  E2e.ProxyOnEmulator bench;
  ClearIpEmulator emulator;
  ProxyServer proxy;
  int destA;
  int destB;
  int dead;
  final List<Socket> refusing = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("e2e-inline");
    // UDP-only destinations (the default size rule tries TCP first for a large INVITE)
    for (Socket s : new Socket[] {Sipp.udpOnlyPort(), Sipp.udpOnlyPort()}) refusing.add(s);
    destA = refusing.get(0).getLocalPort();
    destB = refusing.get(1).getLocalPort();
    StringBuilder twelve = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      // ports bound but not listening, held for the whole class: every attempt is refused at
      // once with a transport error. A port merely closed again could meanwhile be taken by
      // another socket, or a connect to it could pick it as its own source port and connect
      // to itself, and the attempt would then wait for an answer instead of failing.
      Socket s = new Socket();
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      refusing.add(s);
      twelve.append(i == 0 ? "" : ", ").append("\"sip:${user}@127.0.0.1:")
          .append(s.getLocalPort()).append(";transport=tcp\"");
    }
    // its TCP side held by a bound socket above; nothing ever listens on its UDP side
    dead = refusing.get(2).getLocalPort();
    String a = "\"sip:${user}@127.0.0.1:" + destA + "\"";
    String b = "\"sip:${user}@127.0.0.1:" + destB + "\"";
    bench = E2e.ProxyOnEmulator.start(work, """
        clearip-emulator {
          listen { udp = [], tcp = [], tls = ["127.0.0.1:0"] }
          rules = [
            { name = two, called-prefix = "1", action = redirect, identity = on, attest = A,
              destinations = [%s, %s] }
            { name = twelve, called-prefix = "2", action = redirect, identity = on,
              destinations = [%s] }
            { name = dead, called-prefix = "3", action = redirect, identity = on,
              destinations = ["sip:${user}@127.0.0.1:%d"] }
          ]
        }
        """.formatted(a, b, twelve, dead),
        "clearip-proxy.mode = inline",
        "clearip-proxy.inline.record-route = on",
        "clearip-proxy.inline.no-answer-timeout = 1s",
        "clearip-proxy.inline.ring-timeout = 2s");
    emulator = bench.emulator;
    proxy = bench.proxy;
  }

  @AfterAll
  void stop() throws Exception {
    if (bench != null) bench.close();
    for (Socket s : refusing) s.close();
  }

  InetSocketAddress udp() {
    return proxy.bound().udp().get(0);
  }

  Sipp.Running destination(String scenario, int port, int calls, String name) throws Exception {
    return Sipp.startServer(work.resolve(name), scenario, name, port, calls, T);
  }

  Sipp.Result call(String scenario, String name, int calls) throws Exception {
    return Sipp.run(work.resolve(name), scenario, "14016401234", udp(), "u1", calls, 2, T);
  }

  static void passed(Sipp.Result r, int calls) {
    TlsProxyEndToEndTest.assertAllPassed(r, calls);
  }

  static void exited0(Sipp.Result r) {
    assertEquals(0, r.exitCode(), r.toString());
  }

  @Test
  void firstDestinationAnswersWithClearIpsIdentityAndByePassesThrough() throws Exception {
    Sipp.assumeInstalled();
    Sipp.Running a = destination("uas_answer", destA, 3, "answer-a");
    passed(call("uac_call", "answer", 3), 3);
    exited0(a.await(T)); // got the INVITE with Identity, the ACK and the BYE through the proxy
    String expected = emulator.signer().identity("A", "14045266060", "14016401234");
    List<String> logged = new ArrayList<>();
    for (String l : a.logLines()) {
      if (l.contains("IDENTITY ")) logged.add(l.substring(l.indexOf("IDENTITY ") + 9).trim());
    }
    assertEquals(3, logged.size(), a.logLines().toString());
    for (String l : logged) assertEquals(expected, l, "Identity byte for byte");
  }

  @Test
  void failedFirstDestinationMovesToTheSecond() throws Exception {
    Sipp.assumeInstalled();
    Sipp.Running a = destination("uas_503", destA, 2, "reroute-a");
    Sipp.Running b = destination("uas_answer", destB, 2, "reroute-b");
    passed(call("uac_call", "reroute", 2), 2);
    exited0(a.await(T));
    exited0(b.await(T));
  }

  @Test
  void aUdpDestinationWithNothingListeningFailsAtOnceNotAfterTheNoAnswerTimer() throws Exception {
    Sipp.assumeInstalled();
    // its host's ICMP port-unreachable is a transport error (503, RFC 3261 8.1.3.1); waiting for
    // the no-answer timer instead would end the attempt with 408 and fail this scenario
    passed(Sipp.run(work.resolve("dead"), "uac_503", "34016401234", udp(), "u1", 2, 2, T), 2);
  }

  @Test
  void silentFirstDestinationTimesOutThenTheSecondAnswers() throws Exception {
    Sipp.assumeInstalled();
    try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(
        InetAddress.getLoopbackAddress(), destA))) {
      Sipp.Running b = destination("uas_answer", destB, 2, "silent-b");
      passed(call("uac_call", "silent", 2), 2);
      exited0(b.await(T));
      assertFalse(silent.isClosed());
    }
  }

  @Test
  void busyEndsTheSearch() throws Exception {
    Sipp.assumeInstalled();
    Sipp.Running a = destination("uas_486", destA, 2, "busy-a");
    passed(call("uac_486", "busy", 2), 2);
    exited0(a.await(T));
  }

  @Test
  void declineEndsTheSearch() throws Exception {
    Sipp.assumeInstalled();
    Sipp.Running a = destination("uas_603", destA, 2, "decline-a");
    passed(call("uac_603", "decline", 2), 2);
    exited0(a.await(T));
  }

  @Test
  void ringingDestinationThatNeverAnswersIsCancelled() throws Exception {
    Sipp.assumeInstalled();
    // rang then the 2 s ring timeout: CANCEL, and no further Contact (stop-after-ringing)
    Sipp.Running a = destination("uas_ring_cancel", destA, 2, "ring-a");
    passed(call("uac_408", "ring", 2), 2);
    exited0(a.await(T));
  }

  @Test
  void everyDestinationFailingGivesOneFinal() throws Exception {
    Sipp.assumeInstalled();
    Sipp.Result r = Sipp.run(work.resolve("all-fail"), "uac_503", "24016401234", udp(), "u1",
        2, 2, T);
    passed(r, 2);
  }

  @Test
  void cancelFromTheSwitchDuringAnAttempt() throws Exception {
    Sipp.assumeInstalled();
    Sipp.Running a = destination("uas_ring_cancel", destA, 2, "cancel-a");
    passed(call("uac_cancel_ringing", "cancel", 2), 2);
    exited0(a.await(T));
  }

  @Test
  void lateAnswerFromAnAbandonedDestinationStillReachesTheSwitch() throws Exception {
    Sipp.assumeInstalled();
    // A stays silent past the 1 s no-answer timeout, B rings; A's late 200 wins, B is cancelled
    Sipp.Running a = destination("uas_late_200", destA, 1, "late-a");
    Sipp.Running b = destination("uas_ring_cancel", destB, 1, "late-b");
    passed(call("uac_call", "late", 1), 1);
    exited0(a.await(T));
    exited0(b.await(T));
  }

  /**
   * Requests that name the proxy in their Route but belong to no dialog it screened, as an
   * allowed switch could make them up: never relayed, whatever their Request-URI.
   */
  @Test
  void inDialogRequestsOfDialogsNotScreenedHereAreRefusedNotRelayed() throws Exception {
    InetSocketAddress proxyUdp = udp();
    String route = "<sip:" + proxyUdp.getAddress().getHostAddress() + ":" + proxyUdp.getPort()
        + ";transport=udp;lr";
    try (DatagramSocket target = new DatagramSocket(new InetSocketAddress(
        InetAddress.getLoopbackAddress(), 0));
        DatagramSocket sw = new DatagramSocket(new InetSocketAddress(
            InetAddress.getLoopbackAddress(), 0))) {
      sw.setSoTimeout(5000);
      String uri = "sip:14016401234@127.0.0.1:" + target.getLocalPort();
      String[][] cases = {
          // a brand-new call dressed as a re-INVITE: it would skip ClearIP
          {"INVITE", route + ">"},
          {"BYE", route + ">"},
          {"INVITE", route + ";cipd=00112233445566778899aabb>"}, // a token made up
          {"MESSAGE", route + ";cipd=>"},
      };
      int n = 0;
      for (String[] c : cases) {
        String callId = "relay-" + (n++) + "@127.0.0.1";
        byte[] req = inDialog(c[0], uri, c[1], callId, sw.getLocalPort());
        sw.send(new java.net.DatagramPacket(req, req.length, proxyUdp));
        String answer = receive(sw);
        assertTrue(answer.startsWith("SIP/2.0 403 "), c[0] + " " + c[1] + ": " + answer);
        assertTrue(answer.contains("Call-ID: " + callId), answer);
      }
      // an ACK gets no answer; the OPTIONS after it shows it was handled (and not relayed)
      byte[] ack = inDialog("ACK", uri, route + ">", "relay-ack@127.0.0.1", sw.getLocalPort());
      sw.send(new java.net.DatagramPacket(ack, ack.length, proxyUdp));
      byte[] ping = inDialog("OPTIONS", "sip:ping@127.0.0.1", null, "relay-ping@127.0.0.1",
          sw.getLocalPort());
      sw.send(new java.net.DatagramPacket(ping, ping.length, proxyUdp));
      assertTrue(receive(sw).contains("Call-ID: relay-ping@127.0.0.1"));
      // the target named by the Request-URIs never heard of any of them
      target.setSoTimeout(1);
      assertThrows(java.net.SocketTimeoutException.class, () -> target.receive(
          new java.net.DatagramPacket(new byte[65535], 65535)));
    }
  }

  private static byte[] inDialog(String method, String uri, String route, String callId,
      int port) {
    return (method + " " + uri + " SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 127.0.0.1:" + port + ";branch=z9hG4bK" + callId.hashCode() + "\r\n"
        + "Max-Forwards: 70\r\n"
        + (route == null ? "" : "Route: " + route + "\r\n")
        + "From: <sip:14045266060@127.0.0.1>;tag=caller\r\n"
        + "To: <sip:14016401234@127.0.0.1>" + (route == null ? "" : ";tag=callee") + "\r\n"
        + "Call-ID: " + callId + "\r\n"
        + "CSeq: 2 " + method + "\r\n"
        + "Content-Length: 0\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static String receive(DatagramSocket s) throws Exception {
    java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[65535], 65535);
    s.receive(p);
    return new String(p.getData(), 0, p.getLength(), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The drain deadline passes with a destination still ringing: nothing is abandoned. */
  @Test
  void atTheDrainDeadlineRingingCallsGet503AndTheirDestinationsCancel() throws Exception {
    Sipp.assumeInstalled();
    Socket held = Sipp.udpOnlyPort();
    int ringing = held.getLocalPort();
    E2e.ProxyOnEmulator b = null;
    ProxyServer p = null;
    try {
      b = E2e.ProxyOnEmulator.start(Files.createDirectories(work.resolve("drain")), """
          clearip-emulator {
            listen { udp = [], tcp = [], tls = ["127.0.0.1:0"] }
            rules = [{ name = ring, called-prefix = "1", action = redirect, identity = on,
              destinations = ["sip:${user}@127.0.0.1:%d"] }]
          }
          """.formatted(ringing), "clearip-proxy.mode = inline", "clearip-proxy.listen.tcp = []");
      p = b.proxy;
      ProxyServer proxy2 = p;
      Sipp.Running dest = Sipp.startServer(work.resolve("drain-dest"), "uas_hold_ringing",
          "drain-dest", ringing, 2, T);
      CompletableFuture<Sipp.Result> calls = CompletableFuture.supplyAsync(() -> {
        try {
          return Sipp.run(work.resolve("drain-calls"), "uac_503", "14016401234",
              proxy2.bound().udp().get(0), "u1", 2, 10, T);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      TestProbe<Object> probe = TestProbe.create(b.emuSystem);
      probe.awaitAssert(Duration.ofSeconds(20), () -> {
        assertEquals(2, proxy2.registry().inFlight(), "both calls ringing");
        return null;
      });
      new clearip.proxy.ops.admin.ProxyOperations(p, null).drainAndStop(Duration.ofMillis(200))
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      passed(calls.get(30, TimeUnit.SECONDS), 2); // each got its 503
      exited0(dest.await(T)); // each INVITE was CANCELled (200, 487, ACK)
    } finally {
      if (b != null) b.close(); // the proxy's second stop finds it stopped
      held.close();
    }
  }
}
