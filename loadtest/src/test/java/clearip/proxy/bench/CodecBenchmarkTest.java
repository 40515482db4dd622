package clearip.proxy.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.header.NameAddr;
import clearip.proxy.sip.message.SipMessage;
import gov.nist.javax.sip.header.Contact;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.infra.Blackhole;

/** Checks that both codecs' benchmarks do the same, correct work, so their figures compare. */
class CodecBenchmarkTest {
  // JMH's own guard against using a Blackhole outside a benchmark; fine in a test
  private static final Blackhole BH = new Blackhole(
      "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

  private static SipMessage decode(byte[] b) {
    Decoded d = new SipDecoder().decode(b);
    if (d instanceof Decoded.Ok ok) return ok.message();
    throw new AssertionError("does not decode: " + d);
  }

  private static void assertRelayed(SipMessage m) {
    assertEquals(BenchMessages.PROXY_VIA_BRANCH, m.topViaBranch());
    assertEquals("TLS", m.topVia().transport());
    assertEquals(3, m.viaCount());
    assertEquals(68, m.maxForwards());
    assertEquals("5f2c1e9a-7d3b-4c8e-9f1a-2b6d8e0c4a71@192.0.2.20", m.callId());
    assertEquals(BenchMessages.IDENTITY, m.identities().get(0));
    SipMessage in = decode(BenchMessages.bytes(BenchMessages.INVITE));
    assertArrayEquals(
        Arrays.copyOfRange(in.buffer(), in.bodyOffset(), in.bodyOffset() + in.bodyLength()),
        Arrays.copyOfRange(m.buffer(), m.bodyOffset(), m.bodyOffset() + m.bodyLength()));
  }

  @Test
  void fixturesHaveTheAdvertisedShape() {
    SipMessage invite = decode(BenchMessages.bytes(BenchMessages.INVITE));
    assertEquals(2, invite.viaCount());
    assertEquals(BenchMessages.REDIRECT_CONTACTS,
        decode(BenchMessages.bytes(BenchMessages.REDIRECT)).contacts().size());
  }

  @Test
  void oursRelaysTheInviteTheSameWithBothOutputs() {
    InviteCodecBenchmark b = new InviteCodecBenchmark();
    byte[] fresh = b.toBytes(BH);
    int n = b.writeTo(BH);
    assertArrayEquals(fresh, Arrays.copyOf(b.out, n));
    assertRelayed(decode(fresh));
  }

  @Test
  void jainSipRelaysTheInviteWithTheSameEdits() throws Exception {
    assertRelayed(decode(new JainSipCodecBenchmark().invite(BH)));
  }

  @Test
  void bothWalkTheContactsInQOrder() throws Exception {
    NameAddr[] ours = new RedirectCodecBenchmark().inQOrder();
    Contact[] theirs = new JainSipCodecBenchmark().inQOrder();
    assertEquals(BenchMessages.REDIRECT_CONTACTS, ours.length);
    assertEquals(BenchMessages.REDIRECT_CONTACTS, theirs.length);
    for (int i = 0; i < ours.length; i++) {
      String uri = "sip:+14016401234@10.0.0." + (i + 1) + ";transport=udp";
      assertEquals(uri, ours[i].uri());
      assertEquals(uri, theirs[i].getAddress().getURI().toString());
      assertEquals(0.99 - 0.01 * i, ours[i].q(), 1e-9);
    }
  }
}
