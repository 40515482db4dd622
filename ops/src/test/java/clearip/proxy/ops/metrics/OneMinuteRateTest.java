package clearip.proxy.ops.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OneMinuteRateTest {
  static final long SECOND = 1_000_000_000L;

  @Test
  void steadyRateConvergesToEventsPerSecond() {
    AtomicLong now = new AtomicLong();
    OneMinuteRate r = new OneMinuteRate(now::get);
    for (int s = 0; s < 600; s++) { // ten minutes at 20 calls/s
      for (int i = 0; i < 20; i++) r.mark();
      now.addAndGet(SECOND);
    }
    assertEquals(20.0, r.perSecond(), 0.5);
  }

  @Test
  void rateDecaysWhenCallsStop() {
    AtomicLong now = new AtomicLong();
    OneMinuteRate r = new OneMinuteRate(now::get);
    for (int i = 0; i < 100; i++) r.mark();
    now.addAndGet(5 * SECOND);
    assertEquals(20.0, r.perSecond(), 0.01);
    now.addAndGet(300 * SECOND);
    assertTrue(r.perSecond() < 0.2, "decayed to " + r.perSecond());
  }
}
