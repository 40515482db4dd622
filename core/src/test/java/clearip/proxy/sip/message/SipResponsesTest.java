package clearip.proxy.sip.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.testing.SipFixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

class SipResponsesTest {
  @Test
  void responseCopiesTransactionHeadersAndTagsTo() {
    SipRequest r = SipFixtures.request(SipFixtures.invite("c@h", "z9hG4bKsw1"));
    byte[] bytes = SipResponses.create(r, 503, "Service Unavailable", "t1",
        List.of(new SipResponses.Header("Reason", "SIP;cause=503;text=\"ClearIP timeout\"")));
    SipResponse resp = SipFixtures.response(new String(bytes));
    assertEquals(503, resp.statusCode());
    assertEquals(2, resp.viaCount());
    assertEquals("z9hG4bKsw1", resp.topViaBranch());
    assertEquals("t1", resp.toTag());
    assertEquals("c@h", resp.callId());
    assertEquals(201, resp.cseqNumber());
    assertEquals("ClearIP timeout", resp.reasons().get(0).text());
  }

  @Test
  void trying100HasNoToTag() {
    SipRequest r = SipFixtures.request(SipFixtures.invite("c@h", "z9hG4bKsw1"));
    SipResponse resp = SipFixtures.response(new String(
        SipResponses.create(r, 100, "Trying", "t1", List.of())));
    assertEquals(null, resp.toTag());
  }

  @Test
  void statelessErrorForMalformedRequest() {
    String bad = SipFixtures.invite("c@h", "z9hG4bKsw1").replace("SIP/2.0\r\nVia", "SIP/3.0\r\nVia");
    Decoded.Malformed m = assertInstanceOf(Decoded.Malformed.class,
        new SipDecoder().decode(SipFixtures.bytes(bad)));
    assertTrue(m.canRespond());
    SipResponse resp = SipFixtures.response(new String(SipResponses.create(m.context(), m.status(),
        m.reason(), "t9", "clearip-proxy")));
    assertEquals(505, resp.statusCode());
    assertEquals("z9hG4bKsw1", resp.topViaBranch());
    assertTrue(resp.header("Warning").startsWith("399 clearip-proxy \""));
  }
}
