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
  void hostAndPortWithoutBuildingTheUri() {
    Object[][] cases = {
        {"sip:proxy.example.com", "proxy.example.com", 5060},
        {"sips:proxy.example.com", "proxy.example.com", 5061},
        {"SIP:Proxy.Example.com:5070;lr", "Proxy.Example.com", 5070},
        {"sip:10.0.0.1;lr;TRANSPORT=TLS", "10.0.0.1", 5061},
        {"sip:10.0.0.1;transport=tcp;transport=tls", "10.0.0.1", 5060},
        {"sip:10.0.0.1;transport", "10.0.0.1", 5060},
        {"sip:u:pw@[2001:db8::1]:5080;lr?h=v", "[2001:db8::1]", 5080},
        {"sip:user;par=u%40example.net@example.com?Route=%3Csip:x%3E", "example.com", 5060},
        {"sip:2001:db8::10", null, -1},
        {"sip:@host", null, -1},
        {"sip:a@host;;x", null, -1},
        {"sip:a b@host", null, -1},
        {"sip:host;=x", null, -1},
        {"sip:host:99999", null, -1},
        {"sip:host;lr;", null, -1},
        {"tel:+12015550123", null, -1},
    };
    for (Object[] c : cases) {
      byte[] b = ("xx" + c[0] + "yy").getBytes(java.nio.charset.StandardCharsets.UTF_8);
      int[] host = new int[2];
      int port = SipUri.hostAndPort(b, 2, b.length - 2, host);
      assertEquals(c[2], port, (String) c[0]);
      SipUri u = SipUri.parse((String) c[0]);
      assertEquals(u == null ? -1 : u.portOrDefault(), port, "as parse: " + c[0]);
      if (port >= 0) {
        assertEquals(c[1], new String(b, host[0], host[1] - host[0]), (String) c[0]);
        assertEquals(u.host(), c[1]);
      }
    }
  }

  @Test
  void telAndOtherSchemes() {
    TelUri t = assertInstanceOf(TelUri.class, Uri.parse("tel:+1-201-555-0123;phone-context=x"));
    assertEquals("+12015550123", t.digits());
    assertInstanceOf(AbsoluteUri.class, Uri.parse("urn:service:sos"));
  }
}
