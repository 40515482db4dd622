package clearip.proxy.ops.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SettingTest {

  @Test
  void travelsAsOneStringAndBack() {
    Setting s = new Setting("upstream.uri", "sip:10.0.0.1:5061;transport=tls|odd", "10.0.0.11:25520",
        "p-1", 1_700_000_000_000L);
    assertEquals(s, Setting.decode("upstream.uri", s.encode()));
  }

  @Test
  void anEmptyValueIsAValue() {
    Setting s = new Setting("access.allow", "", "10.0.0.11:25520", "p-1", 5);
    assertEquals(s, Setting.decode("access.allow", s.encode()));
  }

  @Test
  void somethingElseIsNotASetting() {
    assertNull(Setting.decode("k", "no bars here"));
    assertNull(Setting.decode("k", "x|a|b|c"));
  }

  @Test
  void saysWhereAndWhenItWasChanged() {
    String text = new Setting("emergency.numbers", "112,911", "10.0.0.12:25520", "p", 0)
        .toString();
    assertTrue(text.startsWith("emergency.numbers = 112,911 (changed on 10.0.0.12:25520 at "
        + "1970-01-01T00:00:00Z"), text);
  }
}
