package clearip.proxy.ops.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import clearip.proxy.streams.transport.Transport;
import org.junit.jupiter.api.Test;

class ProxyOperationsTest {

  @Test
  void defaultPortFollowsTheTransport() {
    assertEquals("sip:sip.clearip.com:5060;transport=tcp", ProxyOperations.withTransport(
        "sip:sip.clearip.com:5061;transport=tls", Transport.TCP));
    assertEquals("sip:sip.clearip.com:5061;transport=tls", ProxyOperations.withTransport(
        "sip:sip.clearip.com:5060;transport=tcp", Transport.TLS));
  }

  @Test
  void otherPortsAndParametersAreKept() {
    assertEquals("sip:10.1.2.3:7000;lr;transport=tcp", ProxyOperations.withTransport(
        "sip:10.1.2.3:7000;transport=TLS;lr", Transport.TCP));
    assertEquals("sip:[2001:db8::1]:5060;transport=tcp", ProxyOperations.withTransport(
        "sip:[2001:db8::1]:5061;transport=tls", Transport.TCP));
  }

  @Test
  void uriWithoutPortOrTransportGetsTheParameter() {
    assertEquals("sip:sip.clearip.com;transport=tcp",
        ProxyOperations.withTransport("sip:sip.clearip.com", Transport.TCP));
    assertEquals("sip:sip.clearip.com:5060;transport=tcp",
        ProxyOperations.withTransport("sips:sip.clearip.com:5061", Transport.TCP));
  }

  @Test
  void notASipUriIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> ProxyOperations.withTransport("http://example.com", Transport.TCP));
  }
}
