package clearip.proxy.sip.message;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.testing.SipFixtures;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SipRequestsTest {
  static final String VIA = "SIP/2.0/TLS 192.0.2.10:40123;branch=z9hG4bKcip.1f";

  static final String ROUTED_INVITE = "INVITE sip:+14016401234@203.0.113.5:5060 SIP/2.0\r\n"
      + "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKsw1;rport\r\n"
      + "Max-Forwards: 69\r\n"
      + "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
      + "Route: <sip:10.0.0.9:5070;transport=tcp;lr>\r\n"
      + "From: \"Caller Name\" <sip:+14045266060@192.0.2.20>;tag=abc\r\n"
      + "To: <sip:+14016401234@203.0.113.5>\r\n"
      + "Call-ID: routed-1@192.0.2.20\r\n"
      + "CSeq: 4711 INVITE\r\n"
      + "Content-Length: 0\r\n"
      + "\r\n";

  static final String BUSY = "SIP/2.0 486 Busy Here\r\n"
      + "Via: " + VIA + "\r\n"
      + "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKsw1;rport=5060\r\n"
      + "From: \"Caller Name\" <sip:+14045266060@192.0.2.20>;tag=abc\r\n"
      + "To: <sip:+14016401234@203.0.113.5>;tag=callee-9\r\n"
      + "Call-ID: routed-1@192.0.2.20\r\n"
      + "CSeq: 4711 INVITE\r\n"
      + "Content-Length: 0\r\n"
      + "\r\n";

  static SipMessage decode(byte[] bytes) {
    Decoded d = new SipDecoder().decode(bytes);
    if (d instanceof Decoded.Ok ok) return ok.message();
    throw new AssertionError("does not decode: " + d);
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void ackCopiesRoutesFromAndCallIdFromTheInviteAndToFromTheResponse() {
    SipRequest invite = SipFixtures.request(ROUTED_INVITE);
    SipResponse busy = SipFixtures.response(BUSY);
    assertEquals("ACK sip:+14016401234@203.0.113.5:5060 SIP/2.0\r\n"
        + "Via: SIP/2.0/TLS 192.0.2.10:40123;branch=z9hG4bKcip.1f\r\n"
        + "Max-Forwards: 70\r\n"
        + "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
        + "Route: <sip:10.0.0.9:5070;transport=tcp;lr>\r\n"
        + "From: \"Caller Name\" <sip:+14045266060@192.0.2.20>;tag=abc\r\n"
        + "To: <sip:+14016401234@203.0.113.5>;tag=callee-9\r\n"
        + "Call-ID: routed-1@192.0.2.20\r\n"
        + "CSeq: 4711 ACK\r\n"
        + "Content-Length: 0\r\n"
        + "\r\n",
        text(SipRequests.ackFor(invite, invite.requestUri(), VIA, busy)));
  }

  @Test
  void cancelCopiesToFromTheInviteAndCarriesTheReason() {
    SipRequest invite = SipFixtures.request(ROUTED_INVITE);
    assertEquals("CANCEL sip:+14016401234@10.0.0.7 SIP/2.0\r\n"
        + "Via: SIP/2.0/TLS 192.0.2.10:40123;branch=z9hG4bKcip.1f\r\n"
        + "Max-Forwards: 70\r\n"
        + "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
        + "Route: <sip:10.0.0.9:5070;transport=tcp;lr>\r\n"
        + "From: \"Caller Name\" <sip:+14045266060@192.0.2.20>;tag=abc\r\n"
        + "To: <sip:+14016401234@203.0.113.5>\r\n"
        + "Reason: SIP;cause=200;text=\"Call completed elsewhere\"\r\n"
        + "Call-ID: routed-1@192.0.2.20\r\n"
        + "CSeq: 4711 CANCEL\r\n"
        + "Content-Length: 0\r\n"
        + "\r\n",
        text(SipRequests.cancelFor(invite, "sip:+14016401234@10.0.0.7", VIA,
            "SIP;cause=200;text=\"Call completed elsewhere\"")));
  }

  @Test
  void withoutRoutesOrReasonThereAreNone() {
    SipRequest invite = SipFixtures.request(SipFixtures.invite("c1@h", "z9hG4bKsw1"));
    SipResponse redirect = SipFixtures.response(SipFixtures.redirect("c1@h", "z9hG4bKcip.2", 2));
    assertEquals("CANCEL sip:+14016401234@outbound.sip.clearip.com SIP/2.0\r\n"
        + "Via: " + VIA + "\r\n"
        + "Max-Forwards: 70\r\n"
        + "From: \"Caller Name\" <sip:+14045266060@192.0.2.20>;tag=bjjplA8zKH1Z1ifnC74B70\r\n"
        + "To: <sip:+14016401234@outbound.sip.clearip.com>\r\n"
        + "Call-ID: c1@h\r\n"
        + "CSeq: 201 CANCEL\r\n"
        + "Content-Length: 0\r\n"
        + "\r\n",
        text(SipRequests.cancelFor(invite, invite.requestUri(), VIA, null)));
    assertEquals("ACK sip:+14016401234@outbound.sip.clearip.com SIP/2.0\r\n"
        + "Via: " + VIA + "\r\n"
        + "Max-Forwards: 70\r\n"
        + "From: \"Caller Name\" <sip:+14045266060@192.0.2.20>;tag=bjjplA8zKH1Z1ifnC74B70\r\n"
        + "To: <sip:+14016401234@outbound.sip.clearip.com>;tag=e78d7458-5545\r\n"
        + "Call-ID: c1@h\r\n"
        + "CSeq: 201 ACK\r\n"
        + "Content-Length: 0\r\n"
        + "\r\n",
        text(SipRequests.ackFor(invite, invite.requestUri(), VIA, redirect)));
  }

  @Test
  void foldedValuesAreUnfoldedAndCompactNamesWrittenInFull() {
    SipRequest invite = (SipRequest) decode(bytes("INVITE sip:bob@example.com SIP/2.0\r\n"
        + "v: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bKsw3\r\n"
        + "f: \"Caller\"\r\n   <sip:alice@example.com>;tag=a1\r\n"
        + "t: <sip:bob@example.com>\r\n"
        + "i: fold-1\r\n"
        + "CSeq: 7 INVITE\r\n"
        + "l: 0\r\n"
        + "\r\n"));
    SipResponse r = (SipResponse) decode(bytes("SIP/2.0 404 Not Found\r\n"
        + "v: " + VIA + "\r\n"
        + "f: \"Caller\" <sip:alice@example.com>;tag=a1\r\n"
        + "t: <sip:bob@example.com>\r\n\t;tag=b2\r\n"
        + "i: fold-1\r\n"
        + "CSeq: 7 INVITE\r\n"
        + "l: 0\r\n"
        + "\r\n"));
    assertEquals("ACK sip:bob@example.com SIP/2.0\r\n"
        + "Via: " + VIA + "\r\n"
        + "Max-Forwards: 70\r\n"
        + "From: \"Caller\" <sip:alice@example.com>;tag=a1\r\n"
        + "To: <sip:bob@example.com> ;tag=b2\r\n"
        + "Call-ID: fold-1\r\n"
        + "CSeq: 7 ACK\r\n"
        + "Content-Length: 0\r\n"
        + "\r\n",
        text(SipRequests.ackFor(invite, invite.requestUri(), VIA, r)));
  }

  @Test
  void textBeyondAsciiIsUtf8AndBytesThatAreNotBecomeReplacementCharacters() {
    SipRequest invite = (SipRequest) decode(concat(bytes("INVITE sip:bob@example.com SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bKsw4\r\n"
        + "From: \"Zoë Ångström\" <sip:zoe@example.com>;tag=z1\r\n"
        + "To: \"Bj"), new byte[] {(byte) 0xf6}, bytes("rn\" <sip:bob@example.com>\r\n"
        + "Call-ID: utf-1\r\n"
        + "CSeq: 1 INVITE\r\n"
        + "Content-Length: 0\r\n"
        + "\r\n")));
    byte[] cancel = SipRequests.cancelFor(invite, "sip:zoë@example.com",
        "SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bKé", "Q.850;cause=16;text=\"Normal – ok\"");
    assertArrayEquals(concat(bytes("CANCEL sip:zoë@example.com SIP/2.0\r\n"
        + "Via: SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bKé\r\n"
        + "Max-Forwards: 70\r\n"
        + "From: \"Zoë Ångström\" <sip:zoe@example.com>;tag=z1\r\n"
        + "To: \"Bj"), new byte[] {(byte) 0xef, (byte) 0xbf, (byte) 0xbd},
        bytes("rn\" <sip:bob@example.com>\r\n"
        + "Reason: Q.850;cause=16;text=\"Normal – ok\"\r\n"
        + "Call-ID: utf-1\r\n"
        + "CSeq: 1 CANCEL\r\n"
        + "Content-Length: 0\r\n"
        + "\r\n")), cancel);
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }
}
