package clearip.proxy.sip.uri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class UriTest {
  @Test
  void sipUriParts() {
    SipUri u = SipUri.parse("sip:+1-401-640-1234@10.0.0.1:5070;transport=TCP;tag;parameter=1");
    assertEquals("sip", u.scheme());
    assertEquals("+1-401-640-1234", u.user());
    assertEquals("+14016401234", u.userNumber());
    assertEquals("10.0.0.1", u.host());
    assertEquals(5070, u.port());
    assertEquals("tcp", u.transport());
    assertEquals(";transport=TCP;tag;parameter=1", u.params().toString());
    assertEquals("sip:+1-401-640-1234@10.0.0.1:5070;transport=TCP;tag;parameter=1", u.toString());
  }

  @Test
  void ipv6AndDefaults() {
    SipUri u = SipUri.parse("sips:[2001:db8::10]");
    assertEquals("[2001:db8::10]", u.host());
    assertEquals("2001:db8::10", u.hostAddress());
    assertEquals(5061, u.portOrDefault());
    assertEquals(5061, SipUri.parse("sip:sip.clearip.com;transport=tls").portOrDefault());
    assertEquals(5060, SipUri.parse("sip:host").portOrDefault());
  }

  @Test
  void userWithSemicolonAndHeaders() {
    SipUri u = SipUri.parse("sip:user;par=u%40example.net@example.com?Route=%3Csip:x%3E");
    assertEquals("user;par=u%40example.net", u.user());
    assertEquals("user", u.userNumber());
    assertEquals("Route=%3Csip:x%3E", u.headers());
  }

  @Test
  void malformedSipUris() {
    assertNull(SipUri.parse("sip:2001:db8::10"));
    assertNull(SipUri.parse("sip:@host"));
    assertNull(SipUri.parse("sip:a@host;;x"));
    assertNull(SipUri.parse("sip:a b@host"));
  }

  @Test
  void telAndOtherSchemes() {
    TelUri t = assertInstanceOf(TelUri.class, Uri.parse("tel:+1-201-555-0123;phone-context=x"));
    assertEquals("+12015550123", t.digits());
    assertInstanceOf(AbsoluteUri.class, Uri.parse("urn:service:sos"));
  }
}
