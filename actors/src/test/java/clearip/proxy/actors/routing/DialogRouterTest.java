package clearip.proxy.actors.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.actors.call.Destinations;
import clearip.proxy.actors.call.txn.Destination;
import clearip.proxy.actors.call.txn.DialogTokens;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.testing.SipFixtures;
import clearip.proxy.streams.transport.SendResult;
import clearip.proxy.streams.transport.Transport;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class DialogRouterTest {
  static final DialogTokens TOKENS = DialogTokens.of("a key of sixteen bytes or more");

  static DialogRouter router(Map<Transport, String> sentBy) {
    return new DialogRouter(new Destinations() {
      @Override
      public void send(Destination destination, byte[] message, Consumer<SendResult> result) {
        result.accept(new SendResult.Failed("not in this test"));
      }

      @Override
      public String localSentBy(Transport transport) {
        return sentBy.get(transport);
      }
    }, "cip", TOKENS);
  }

  static SipRequest bye(String routeLines) {
    return SipFixtures.request("BYE sip:bob@192.0.2.30 SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bKb1\r\n"
        + "Max-Forwards: 70\r\n"
        + routeLines
        + "From: <sip:alice@example.com>;tag=a\r\n"
        + "To: <sip:bob@example.com>;tag=b\r\n"
        + "Call-ID: r1\r\n"
        + "CSeq: 2 BYE\r\n"
        + "Content-Length: 0\r\n"
        + "\r\n");
  }

  @Test
  void topRouteNamingOneOfOurAddressesIsOurs() {
    DialogRouter d = router(Map.of(Transport.UDP, "192.0.2.10:5060",
        Transport.TCP, "192.0.2.10:5060", Transport.TLS, "proxy.example.com:5061"));
    Object[][] cases = {
        {"Route: <sip:192.0.2.10;lr>\r\n", true},
        {"Route: <sip:192.0.2.10:5060;lr;transport=udp>, <sip:far.example.com>\r\n", true},
        {"Route: <sip:192.0.2.10;transport=tls;lr>\r\n", false},
        {"Route: <sips:PROXY.example.COM;lr>\r\n", true},
        {"Route: <sip:proxy.example.com:5061;transport=TLS;lr>\r\n", true},
        {"Route: <sip:proxy.example.com;lr>\r\n", false},
        {"Route: <sip:192.0.2.11;lr>\r\n", false},
        {"Route: <sip:192.0.2.10:5070;lr>\r\n", false},
        {"Route: <sip:192.0.2.10:506;lr>\r\n", false},
        {"Route: <sip:192.0.2.1:50600;lr>\r\n", false},
        {"", false},
        {"Route: <tel:+14016401234>\r\n", false},
        {"Route: <sip:192.0.2.10;;lr>\r\n", false},
        {"Route: <sip:far.example.com;lr>\r\nRoute: <sip:192.0.2.10;lr>\r\n", false},
        // a malformed value does not count, as routes() skips it
        {"Route: <>, <sip:192.0.2.10;lr>\r\n", true},
    };
    for (Object[] c : cases) {
      assertEquals(c[1], d.routedToUs(bye((String) c[0])), (String) c[0]);
    }
  }

  @Test
  void ipv6AndPortsAreComparedAsWritten() {
    DialogRouter d = router(Map.of(Transport.UDP, "[2001:db8::10]:5060",
        Transport.TLS, "[2001:db8::10]:15061"));
    assertEquals(true, d.routedToUs(bye("Route: <sip:[2001:DB8::10];lr>\r\n")));
    assertEquals(true, d.routedToUs(bye("Route: <sip:[2001:db8::10]:15061;lr>\r\n")));
    assertEquals(false, d.routedToUs(bye("Route: <sip:[2001:db8::10]:5061;lr>\r\n")));
    assertEquals(false, d.routedToUs(bye("Route: <sip:[2001:db8::1]:5060;lr>\r\n")));
    assertEquals(false, d.routedToUs(bye("Route: <sip:[2001:db8::10]:0;lr>\r\n")));
  }

  @Test
  void onlyRequestsCarryingTheTokenOfTheirOwnDialogAreScreened() {
    DialogRouter d = router(Map.of(Transport.UDP, "192.0.2.10:5060"));
    String caller = TOKENS.mint("r1", "a"); // the INVITE: Call-ID r1, From tag a
    // the caller's BYE (From tag a) and the callee's (From tag b, To tag a)
    assertTrue(d.screened(bye("Route: <sip:192.0.2.10;lr;cipd=" + caller + ">\r\n")));
    assertTrue(d.screened(SipFixtures.request(new String(bye("Route: <sip:192.0.2.10;lr;cipd="
        + caller + ">\r\n").edit().toBytes(), StandardCharsets.UTF_8)
        .replace("tag=a", "tag=x").replace("tag=b", "tag=a"))));
    assertFalse(d.screened(bye("Route: <sip:192.0.2.10;lr>\r\n")), "no token");
    assertFalse(d.screened(bye("Route: <sip:192.0.2.10;lr;cipd="
        + TOKENS.mint("another-call", "a") + ">\r\n")), "another dialog's token");
    assertFalse(d.screened(bye("Route: <sip:192.0.2.10;lr;cipd="
        + DialogTokens.of("another key of sixteen bytes").mint("r1", "a") + ">\r\n")),
        "another fleet's token");
    assertFalse(d.screened(bye("Route: <sip:192.0.2.10;lr;cipd=" + caller.substring(1)
        + "0>\r\n")));
    assertFalse(d.screened(bye("")));
  }
}
