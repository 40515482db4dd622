package clearip.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import clearip.proxy.ops.server.ProxyServer;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every RFC 4475 and RFC 5118 torture message sent, byte for byte, to the running proxy over
 * UDP from an allowed switch; the answer must be the one the RFC names for a proxy that screens
 * INVITEs and answers OPTIONS itself. ClearIP (the emulator) blocks every call it is asked
 * about, so a 603 proves that the INVITE was forwarded.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConformanceEndToEndTest {
  static final Path DIR = Path.of("..", "core", "src", "test", "resources", "conformance")
      .toAbsolutePath().normalize();
  /** No answer at all: a response nobody asked for, or one too broken to answer. */
  static final int DROPPED = 0;
  static final int FORWARDED = 603;

  /**
   * The answer per file. Out-of-dialog requests other than INVITE, OPTIONS and CANCEL get 405
   * with Allow; methods SIP does not define get 501 (RFC 3261 8.2.1); OPTIONS is answered by
   * the proxy as the final recipient (16.3 step 3, so Max-Forwards 0 gets 200), after the URI
   * scheme (416) and Require (420) checks.
   */
  static final Map<String, Integer> EXPECTED = new HashMap<>();

  static {
    expect(FORWARDED, "rfc4475/valid/esc01.dat",
        "rfc4475/valid/longreq.dat", "rfc4475/application/invut.dat",
        "rfc4475/application/sdp01.dat", "rfc4475/backcompat/inv2543.dat",
        "rfc5118/mult-ip-in-sdp.dat", "rfc5118/ipv4-mapped-ipv6.dat");
    expect(501, "rfc4475/valid/intmeth.dat", "rfc4475/valid/esc02.dat");
    expect(405, "rfc4475/valid/escnull.dat", "rfc4475/valid/dblreq.dat",
        "rfc4475/valid/mpart01.dat", "rfc4475/application/unksm2.dat",
        "rfc4475/application/regaut01.dat", "rfc4475/application/cparam01.dat",
        "rfc4475/application/cparam02.dat", "rfc4475/application/regescrt.dat",
        "rfc5118/ipv6-good.dat", "rfc5118/port-ambiguous.dat", "rfc5118/port-unambiguous.dat");
    expect(200, "rfc4475/valid/lwsdisp.dat", "rfc4475/valid/semiuri.dat",
        "rfc4475/valid/transports.dat", "rfc4475/transaction/badbranch.dat",
        "rfc4475/application/zeromf.dat", "rfc5118/via-received-param-no-delim.dat",
        "rfc5118/ipv6-bug-abnf-3-colons.dat", "rfc5118/ipv6-correct-abnf-2-colons.dat");
    expect(DROPPED, "rfc4475/valid/unreason.dat", "rfc4475/valid/noreason.dat",
        "rfc4475/invalid/scalarlg.dat", "rfc4475/invalid/bigcode.dat",
        "rfc4475/application/bcast.dat");
    expect(400, "rfc4475/invalid/badinv01.dat", "rfc4475/invalid/clerr.dat",
        "rfc4475/invalid/ncl.dat", "rfc4475/invalid/scalar02.dat", "rfc4475/invalid/quotbal.dat",
        "rfc4475/invalid/ltgtruri.dat", "rfc4475/invalid/lwsruri.dat",
        "rfc4475/invalid/lwsstart.dat", "rfc4475/invalid/trws.dat",
        "rfc4475/invalid/escruri.dat", "rfc4475/invalid/baddate.dat",
        "rfc4475/invalid/regbadct.dat", "rfc4475/invalid/badaspec.dat",
        "rfc4475/invalid/baddn.dat", "rfc4475/invalid/mismatch01.dat",
        "rfc4475/invalid/mismatch02.dat", "rfc4475/application/insuf.dat",
        "rfc4475/application/multi01.dat", "rfc4475/application/mcl01.dat",
        "rfc5118/ipv6-bad.dat",
        // its Content-Length exceeds the datagram (an error in the RFC): 400 over UDP
        "rfc5118/ipv6-in-sdp.dat");
    expect(505, "rfc4475/invalid/badvers.dat");
    expect(416, "rfc4475/application/unkscm.dat", "rfc4475/application/novelsc.dat");
    expect(420, "rfc4475/application/bext01.dat");
    // in a dialog this proxy is not part of (a To tag): a re-INVITE is never screened as a new
    // call, nor relayed
    expect(481, "rfc4475/valid/wsinv.dat", "rfc5118/via-received-param-with-delim.dat",
        "rfc5118/mult-ip-in-header.dat");
  }

  private static void expect(int status, String... files) {
    for (String f : files) {
      if (EXPECTED.put(f, status) != null) throw new IllegalStateException("twice: " + f);
    }
  }

  E2e.ProxyOnEmulator bench;
  ProxyServer proxy;

  @BeforeAll
  void start() throws Exception {
    bench = E2e.ProxyOnEmulator.start(Files.createTempDirectory("e2e-conformance"), """
        clearip-emulator {
          listen { udp = [], tcp = [], tls = ["127.0.0.1:0"] }
          default-action = block
          rules = []
        }
        """, "clearip-proxy.listen.tcp = []");
    proxy = bench.proxy;
  }

  @AfterAll
  void stop() throws Exception {
    if (bench != null) bench.close();
  }

  static Stream<String> files() throws Exception {
    return Files.readAllLines(DIR.resolve("expected.tsv")).stream().skip(1)
        .filter(l -> !l.isBlank()).map(l -> l.split("\t")[0]);
  }

  @Test
  void everyFileOfTheSuitesHasAnExpectedAnswer() throws Exception {
    List<String> listed = files().sorted().toList();
    assertEquals(61, listed.size(), "the suites' files");
    assertEquals(listed, EXPECTED.keySet().stream().sorted().toList());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void answeredAsTheRfcSays(String file) throws Exception {
    int expected = EXPECTED.get(file);
    byte[] bytes = Files.readAllBytes(DIR.resolve(file));
    // several files share a Via branch: each comes from a loopback address of its own, as from
    // a switch of its own, so none is taken for a retransmission of another
    List<String> all = files().toList();
    InetAddress source = InetAddress.getByAddress(
        new byte[] {127, 0, 1, (byte) (10 + all.indexOf(file))});
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(source, 0))) {
      s.setSoTimeout(5000);
      InetSocketAddress to = proxy.bound().udp().get(0);
      s.send(new DatagramPacket(bytes, bytes.length, to));
      if (expected == DROPPED) {
        // the proxy handles a datagram before the next from the same socket: the answer to a
        // later OPTIONS coming first proves that nothing was sent for this one
        byte[] ping = ping(s.getLocalPort());
        s.send(new DatagramPacket(ping, ping.length, to));
        Answer first = receiveFinal(s, file);
        assertEquals("conformance-ping", first.header("Call-ID"), file + " was answered: "
            + first.statusLine());
        return;
      }
      Answer answer = receiveFinal(s, file);
      assertEquals(expected, answer.status(), file + ": " + answer.statusLine());
      if (expected == 420) {
        assertEquals("nothingSupportsThis, nothingSupportsThisEither",
            answer.header("Unsupported"));
      }
      if (expected == 405 || expected == 501) {
        assertEquals("INVITE, ACK, CANCEL, OPTIONS", answer.header("Allow"));
      }
    }
  }

  /**
   * A response read as text: an answer to a malformed request repeats its broken header fields
   * (RFC 3261 8.2.6.2), so it need not be decodable.
   */
  record Answer(String text) {
    String statusLine() {
      return text.substring(0, text.indexOf("\r\n"));
    }

    int status() {
      String[] f = statusLine().split(" ", 3);
      assertEquals("SIP/2.0", f[0], text);
      return Integer.parseInt(f[1]);
    }

    /** The first value of a header field, by its full name; null when absent. */
    String header(String name) {
      for (String line : text.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
          return line.substring(colon + 1).trim();
        }
        if (line.isEmpty()) break;
      }
      return null;
    }
  }

  /** The first final response that arrives (100 Trying skipped). */
  private static Answer receiveFinal(DatagramSocket s, String file) throws Exception {
    byte[] buf = new byte[65535];
    while (true) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        s.receive(p);
      } catch (SocketTimeoutException e) {
        throw new AssertionError(file + ": no answer within 5 s");
      }
      Answer a = new Answer(new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8));
      if (a.status() >= 200) return a;
    }
  }

  private static byte[] ping(int port) {
    return ("OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 127.0.0.1:" + port + ";branch=z9hG4bKconfping" + port + "\r\n"
        + "Max-Forwards: 70\r\n"
        + "From: <sip:monitor@127.0.0.1>;tag=p\r\n"
        + "To: <sip:ping@127.0.0.1>\r\n"
        + "Call-ID: conformance-ping\r\n"
        + "CSeq: 1 OPTIONS\r\n"
        + "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
  }
}
