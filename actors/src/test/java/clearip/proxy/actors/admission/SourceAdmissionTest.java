package clearip.proxy.actors.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SourceAdmissionTest {
  final AtomicLong clock = new AtomicLong(1_000);
  volatile double share = 0.25;
  final SourceAdmission admission = new SourceAdmission(clock::get, () -> share);

  /** One window: {@code heavy} INVITEs from one switch, {@code light} from another, mixed. */
  int[] window(int heavy, int light) {
    int[] exempt = new int[2];
    for (int i = 0; i < Math.max(heavy, light); i++) {
      if (i < heavy && admission.withinFairShare("heavy")) exempt[0]++;
      if (i < light && admission.withinFairShare("light")) exempt[1]++;
    }
    clock.addAndGet(SourceAdmission.WINDOW_NANOS);
    return exempt;
  }

  @Test
  void aLightSwitchIsNeverRefusedWhileAHeavyOneFloods() {
    int[] first = window(2000, 10);
    assertEquals(0, first[0] + first[1], "nobody is exempt before a window has been measured");
    for (int w = 0; w < 5; w++) {
      int[] e = window(2000, 10);
      // fair share: 0.25 × 2010 / 2 = 251
      assertEquals(251, admission.fairShare());
      assertEquals(10, e[1], "every INVITE of the light switch is exempt");
      assertEquals(251, e[0], "the heavy one only up to its fair share; the rest meets the draw");
    }
  }

  @Test
  void theFairShareFollowsTheShedderNotTheCallsAdmitted() {
    window(1000, 1000);
    share = 0.02; // the shedder cuts hard: so does the exemption
    window(1000, 1000);
    assertEquals(20, admission.fairShare());
    share = 1.0;
    window(1000, 1000);
    assertEquals(1000, admission.fairShare());
  }

  @Test
  void aLongerWindowCountsAtItsRatePerWindow() {
    window(2000, 10);
    window(2000, 10);
    assertEquals(251, admission.fairShare());
    clock.addAndGet(2 * SourceAdmission.WINDOW_NANOS); // the reader was held up for 200 ms
    window(2000, 10); // the window that lasted 300 ms rolls over with its first INVITE
    assertEquals(83, admission.fairShare(), "0.25 × 2010 / 3 windows / 2 sources");
    assertTrue(admission.withinFairShare("light"));

    window(100, 100);
    clock.addAndGet(100 * SourceAdmission.WINDOW_NANOS); // a quiet spell
    assertFalse(admission.withinFairShare("light"), "after a quiet spell, about nobody");
    assertEquals(0, admission.fairShare());
  }
}
