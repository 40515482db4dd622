package clearip.proxy.sip.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.SipDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RequestChecksTest {

  static SipRequest options(String uri, String extra) {
    String text = "OPTIONS " + uri + " SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKo1\r\n"
        + "Max-Forwards: 0\r\n"
        + "From: <sip:sw@192.0.2.20>;tag=a\r\n"
        + "To: <sip:ping@192.0.2.1>\r\n"
        + "Call-ID: o1@192.0.2.20\r\n"
        + "CSeq: 1 OPTIONS\r\n"
        + extra
        + "Content-Length: 0\r\n\r\n";
    return (SipRequest) ((Decoded.Ok) new SipDecoder().decode(
        text.getBytes(StandardCharsets.US_ASCII))).message();
  }

  @Test
  void aRecipientRefusesUnknownSchemesAndRequiredExtensionsButNotMaxForwardsZero() {
    assertNull(RequestChecks.checkAsRecipient(options("sip:ping@192.0.2.1", ""), Set.of()),
        "Max-Forwards 0: the element it reached may answer an OPTIONS (RFC 3261 16.3)");
    assertEquals(416, RequestChecks.checkAsRecipient(options("soap.beep://192.0.2.1:3002", ""),
        Set.of()).status());
    RequestChecks.Rejection r = RequestChecks.checkAsRecipient(options("sip:ping@192.0.2.1",
        "Require: foo, Bar\r\nProxy-Require: baz\r\n"), Set.of("bar"));
    assertEquals(420, r.status());
    assertEquals("Unsupported", r.headerName());
    assertEquals("foo", r.headerValue(), "Require's unknown tags; Proxy-Require is not ours");
  }

  @Test
  void aProxyRefusesMaxForwardsZeroAndUnknownProxyRequire() {
    assertEquals(483, RequestChecks.check(options("sip:ping@192.0.2.1", ""), Set.of()).status());
  }

  @Test
  void methodsSipDefinesAreKnownOthersAreNot() {
    assertTrue(RequestChecks.isKnownMethod("REGISTER"));
    assertTrue(RequestChecks.isKnownMethod("UPDATE"));
    assertFalse(RequestChecks.isKnownMethod("RE%47IST%45R"));
    assertFalse(RequestChecks.isKnownMethod("register"), "methods are case-sensitive");
  }
}
