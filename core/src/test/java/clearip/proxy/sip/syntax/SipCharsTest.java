package clearip.proxy.sip.syntax;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SipCharsTest {
  @Test
  void wordAtATimeScanFindsTheFirstCrOrLfLikeAPlainLoop() {
    Random r = new Random(42);
    for (int n = 0; n < 20_000; n++) {
      byte[] b = new byte[r.nextInt(40)];
      for (int i = 0; i < b.length; i++) {
        int k = r.nextInt(10);
        b[i] = (byte) (k == 0 ? '\r' : k == 1 ? '\n' : k == 2 ? 0 : k == 3 ? 0x0b
            : r.nextInt(256));
      }
      int from = b.length == 0 ? 0 : r.nextInt(b.length);
      int to = from + (b.length - from == 0 ? 0 : r.nextInt(b.length - from + 1));
      int expected = -1;
      for (int i = from; i < to; i++) {
        if (b[i] == '\r' || b[i] == '\n') {
          expected = i;
          break;
        }
      }
      assertEquals(expected, SipChars.indexOfCrOrLf(b, from, to));
    }
  }
}
