package clearip.proxy.sip.header;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NameAddrTest {
  private static double q(String value) {
    return NameAddr.parse("<sip:a@h>;q=" + value).q();
  }

  @Test
  void everyRfcQvalueReadsAsParseDoubleReadsIt() {
    for (int scale : new int[] {10, 100, 1000}) {
      int digits = Integer.toString(scale).length() - 1;
      for (int i = 0; i <= scale; i++) {
        String s = i == scale ? "1." + "0".repeat(digits)
            : "0." + String.format("%0" + digits + "d", i);
        assertEquals(Double.parseDouble(s), q(s), s);
        assertEquals(Double.doubleToLongBits(Double.parseDouble(s)),
            Double.doubleToLongBits(NameAddr.qvalue(s)), s);
      }
    }
    assertEquals(0.0, q("0"));
    assertEquals(1.0, q("1"));
  }

  @Test
  void otherSpellingsKeepTheirOldReading() {
    assertEquals(0.0, q("0."));
    assertEquals(0.5, q(".5"));
    assertEquals(0.1234, q("0.1234"));
    assertEquals(1.0, q("1.5"));
    assertEquals(1.0, q("1.001"));
    assertEquals(1.0, q("2"));
    assertEquals(1.0, q("abc"));
    assertEquals(1.0, q("0.x"));
    assertEquals(0.25, q("00.25"));
    assertEquals(1.0, NameAddr.parse("<sip:a@h>;q").q());
  }
}
