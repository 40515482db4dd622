package clearip.proxy.sip.message;

import static org.junit.jupiter.api.Assertions.assertEquals;

import clearip.proxy.sip.testing.SipFixtures;
import org.junit.jupiter.api.Test;

class SipMessageTest {
  static SipRequest withRoutes(String routeLines) {
    return SipFixtures.request("BYE sip:bob@192.0.2.30 SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bKb1\r\n"
        + routeLines
        + "From: <sip:alice@example.com>;tag=a\r\n"
        + "To: <sip:bob@example.com>;tag=b\r\n"
        + "Call-ID: r1\r\n"
        + "CSeq: 2 BYE\r\n"
        + "Content-Length: 0\r\n"
        + "\r\n");
  }

  static String topRouteUri(SipRequest r) {
    long span = r.topRouteUriSpan();
    if (span < 0) return null;
    int from = (int) (span >>> 32);
    return new String(r.buffer(), from, (int) span - from);
  }

  @Test
  void topRouteUriIsTheFirstRoutesUri() {
    String[] routeLines = {
        "Route: <sip:10.0.0.1:5070;lr>\r\n",
        "Route: <sip:p1.example.com;lr;transport=tls>;x=1, <sip:p2.example.com;lr>\r\n",
        "Route: \"Proxy\" <sips:p1.example.com>\r\nRoute: <sip:p2.example.com;lr>\r\n",
        "Route: sip:bare.example.com;lr\r\n",
        // a malformed first value is skipped, as routes() skips it
        "Route: <>, <sip:second.example.com;lr>\r\n",
        "Route: nonsense\r\nRoute: <sip:next-field.example.com>\r\n",
        "Route: <sip:folded.example.com;lr>,\r\n <sip:p2.example.com>\r\n",
    };
    for (String lines : routeLines) {
      SipRequest r = withRoutes(lines);
      assertEquals(r.routes().get(0).uri(), topRouteUri(r), lines);
    }
    assertEquals("sip:second.example.com;lr", topRouteUri(withRoutes(routeLines[4])));
  }

  @Test
  void noRouteNoSpan() {
    assertEquals(-1, withRoutes("").topRouteUriSpan());
    SipRequest bad = withRoutes("Route: nonsense\r\n");
    assertEquals(0, bad.routes().size());
    assertEquals(-1, bad.topRouteUriSpan());
  }
}
