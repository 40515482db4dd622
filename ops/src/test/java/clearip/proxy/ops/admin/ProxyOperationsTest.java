package clearip.proxy.ops.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import clearip.proxy.streams.transport.Transport;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
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

  @Test
  void reloadNamesTheKeysThatNeedARestart() {
    Config before = ConfigFactory.parseString("""
        clearip-proxy { mode = tls-proxy, listen.udp = ["0.0.0.0:5060"],
          upstream { uri = "sip:a", timeout = 2s, queue-size = 10 } }""");
    Config after = ConfigFactory.parseString("""
        clearip-proxy { mode = tls-proxy, listen.udp = ["0.0.0.0:5062"],
          upstream { uri = "sip:b", timeout = 3s, queue-size = 20 } }""");
    assertEquals(List.of("listen", "upstream.queue-size"),
        ProxyOperations.restartOnlyChanges(before, after));
  }
}
