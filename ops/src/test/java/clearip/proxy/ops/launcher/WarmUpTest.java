package clearip.proxy.ops.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WarmUpTest {
  @Test
  void synthetic503CallsAreAnsweredThroughALoopbackProxy() throws Exception {
    long answered = WarmUp.run(Duration.ofSeconds(1), 300);
    // 300 sent; a few may still be on their way when the warm-up ends
    assertTrue(answered >= 150 && answered <= 300, answered + " answered");
  }

  @Test
  void offMeansOff() throws Exception {
    assertEquals(0, WarmUp.run(Duration.ZERO, 2000));
  }
}
