package clearip.proxy.sip.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.sip.message.RequestChecks;
import clearip.proxy.sip.message.SipMessage;
import clearip.proxy.sip.message.SipRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every RFC 4475 and RFC 5118 torture message against the verdict in {@code expected.tsv}:
 * valid ones decode and round-trip byte for byte; invalid ones give the status the RFC names.
 */
class ConformanceTest {
  private static final SipDecoder DECODER = new SipDecoder();

  /** Status the RFC names per malformed file; 0 = a response to drop. Default for invalid: 400. */
  private static final Map<String, Integer> MALFORMED_STATUS = Map.of(
      "rfc4475/invalid/badvers.dat", 505,
      "rfc4475/invalid/bigcode.dat", 0,
      "rfc4475/invalid/scalarlg.dat", 0);

  /** Application-layer files that the decoder itself rejects (missing or repeated headers). */
  private static final Set<String> APPLICATION_MALFORMED = Set.of(
      "rfc4475/application/insuf.dat",
      "rfc4475/application/multi01.dat",
      "rfc4475/application/mcl01.dat");

  /** Application-layer files refused by the RFC 3261 16.3 checks, with the status. */
  private static final Map<String, Integer> PROXY_CHECK_STATUS = Map.of(
      "rfc4475/application/unkscm.dat", 416,
      "rfc4475/application/novelsc.dat", 416,
      "rfc4475/application/bext01.dat", 420,
      "rfc4475/application/zeromf.dat", 483);

  record Case(String file, String section, String verdict) {
    @Override
    public String toString() {
      return file + " (" + verdict + ")";
    }
  }

  static Stream<Case> cases() {
    return lines("conformance/expected.tsv").stream()
        .skip(1)
        .filter(l -> !l.isBlank())
        .map(l -> l.split("\t"))
        .map(f -> new Case(f[0], f[1], f[2]));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void meetsVerdict(Case c) {
    byte[] bytes = resource("conformance/" + c.file());
    Decoded d = DECODER.decode(bytes);
    switch (c.verdict()) {
      case "invalid" -> {
        Decoded.Malformed m = assertInstanceOf(Decoded.Malformed.class, d, c.file());
        assertEquals(MALFORMED_STATUS.getOrDefault(c.file(), 400), m.status(), m.reason());
        assertNotNull(m.reason());
        if (m.status() > 0) assertTrue(m.canRespond(), "should be answerable: " + m);
      }
      case "application" -> {
        if (APPLICATION_MALFORMED.contains(c.file())) {
          Decoded.Malformed m = assertInstanceOf(Decoded.Malformed.class, d, c.file());
          assertEquals(400, m.status(), m.reason());
        } else {
          SipMessage msg = assertOk(c, bytes, d);
          Integer status = PROXY_CHECK_STATUS.get(c.file());
          if (msg instanceof SipRequest r) {
            RequestChecks.Rejection rej = RequestChecks.check(r, Set.of());
            if (status == null) {
              assertNull(rej, c.file() + " refused: " + rej);
            } else {
              assertNotNull(rej, c.file());
              assertEquals(status, rej.status());
            }
          }
        }
      }
      case "valid", "tolerate", "transaction", "backcompat" -> {
        if (c.file().equals("rfc5118/ipv6-in-sdp.dat") && d instanceof Decoded.Malformed m) {
          // its Content-Length exceeds the body (an error in the RFC): over UDP a 400 is right too
          assertEquals(400, m.status());
          return;
        }
        assertOk(c, bytes, d);
      }
      default -> throw new AssertionError("unknown verdict " + c.verdict());
    }
  }

  private static SipMessage assertOk(Case c, byte[] bytes, Decoded d) {
    if (d instanceof Decoded.Malformed m) {
      throw new AssertionError(c.file() + " rejected: " + m.status() + " " + m.reason());
    }
    SipMessage msg = ((Decoded.Ok) d).message();
    byte[] out = msg.edit().toBytes();
    // a datagram's octets past Content-Length are not part of the message (dblreq)
    int len = msg.length() + msg.offset();
    assertArrayEquals(Arrays.copyOfRange(bytes, msg.offset(), len), out, "round trip");
    assertFalse(msg.callId() == null || msg.callId().isEmpty());
    assertNotNull(msg.topVia());
    return msg;
  }

  static byte[] resource(String name) {
    try (InputStream in = ConformanceTest.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) throw new IllegalArgumentException("no resource " + name);
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> lines(String name) {
    return new String(resource(name), StandardCharsets.UTF_8).lines().toList();
  }
}
