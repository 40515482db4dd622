package clearip.proxy.sip.syntax;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HeaderScannerTest {
  private static int scan(String value, int[] s) {
    byte[] b = value.getBytes(StandardCharsets.ISO_8859_1);
    return HeaderScanner.scanNameAddr(b, 0, b.length, s);
  }

  private static int scan(String value) {
    return scan(value, new int[HeaderScanner.NA_SPANS]);
  }

  @Test
  void angleUriEndsAtTheFirstCloseBracket() {
    int[] s = new int[HeaderScanner.NA_SPANS];
    String v = "\"A\" <sip:a@h;x=>>;tag=1";
    // '>' ends the URI; what follows is not a parameter, so the value is refused
    assertEquals(-1, scan(v, s));
    v = "\"A\" <sip:a@h;lr>;tag=1, <sip:b@h>";
    assertEquals(v.indexOf(','), scan(v, s));
    assertEquals(v.indexOf("sip:a"), s[HeaderScanner.NA_URI]);
    assertEquals(v.indexOf(">;tag"), s[HeaderScanner.NA_URI + 1]);
    assertEquals(1, s[HeaderScanner.NA_ANGLE]);
  }

  @Test
  void angleUriRefusesWhiteSpaceQuotesBracketsAndMissingClose() {
    for (String bad : new String[] {"<sip:a@h", "<>", "<sip:a @h>", "<sip:a\t@h>", "<sip:a\r\n @h>",
        "<sip:a\"@h>", "<sip:a<@h>", "<sip:a@h", "<sip:", "<", "<sip:a@h;x=\"y\">",
        "<sip:a@h\"", "<sip:a@h <sip:b@h>"}) {
      assertEquals(-1, scan(bad), bad);
    }
  }

  @Test
  void angleUriAcceptsNonAsciiAndAnyLength() {
    for (int n = 1; n <= 20; n++) {
      String v = "<sip:" + "a".repeat(n) + "\u00e9@h>";
      assertEquals(v.length(), scan(v), v);
    }
  }
}
