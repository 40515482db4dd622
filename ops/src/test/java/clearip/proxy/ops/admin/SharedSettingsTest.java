package clearip.proxy.ops.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The operator's changes of the settings a fleet shares: applied here, then published. */
public class SharedSettingsTest {
  final FakeProxy proxy = new FakeProxy();
  final List<String> published = new ArrayList<>();
  final ProxyOperations ops;

  SharedSettingsTest() throws Exception {
    ops = new ProxyOperations(proxy, null);
    ops.share(new SharedSettings() {
      @Override
      public void publish(String key, String value) {
        published.add(key + "=" + value);
      }

      @Override
      public String notReadyReason() {
        return "lost the fleet's majority (1 of 3 members reachable)";
      }
    });
  }

  @Test
  void anAllowListIsAppliedThenPublished() throws Exception {
    String r = ops.setAccessAllow(" 192.0.2.0/24 , 10.0.0.0/8");
    assertTrue(r.contains("192.0.2.0/24,10.0.0.0/8"), r);
    assertTrue(proxy.access.allows(InetAddress.getByName("192.0.2.9")));
    assertEquals("192.0.2.0/24,10.0.0.0/8", ops.accessAllow());
    assertEquals(List.of("access.allow=192.0.2.0/24,10.0.0.0/8"), published);
  }

  @Test
  void aBadEntryChangesNothingAndNamesEachProblem() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ops.setAccessAllow("192.0.2.0/33,nonsense"));
    assertTrue(e.getMessage().contains("192.0.2.0/33") && e.getMessage().contains("nonsense"),
        e.getMessage());
    assertEquals(List.of(), published);
    assertEquals("", ops.accessAllow());
  }

  @Test
  void emergencyNumbersAreAppliedThenPublished() {
    ops.setEmergencyNumbers("911,933,112");
    assertEquals(java.util.Set.of("911", "933", "112"), proxy.settings.emergencyNumbers());
    assertEquals(List.of("emergency.numbers=112,911,933"), published);
    assertThrows(IllegalArgumentException.class, () -> ops.setEmergencyNumbers("911,abc"));
  }

  @Test
  void aChangeFromTheFleetIsAppliedAndNotPublishedAgain() {
    ops.applyShared(SharedSettings.EMERGENCY_NUMBERS, "112", "10.0.0.12:25520");
    ops.applyShared(SharedSettings.UPSTREAM_URI, "sip:10.0.0.9:5061;transport=tls", "x");
    assertEquals(java.util.Set.of("112"), proxy.settings.emergencyNumbers());
    assertEquals("sip:10.0.0.9:5061;transport=tls", proxy.retargeted);
    assertEquals(List.of(), published);
  }

  @Test
  void anUpstreamSwitchIsPublishedAsTheWholeUri() {
    ops.setUpstreamTransport("tcp");
    assertEquals(List.of("upstream.uri=sip:sip.clearip.com:5060;transport=tcp"), published);
  }

  @Test
  void aNodeThatLostTheMajorityIsNotReady() {
    assertEquals("lost the fleet's majority (1 of 3 members reachable)", ops.notReadyReason());
  }
}
