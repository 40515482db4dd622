package clearip.proxy.sip.syntax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

  /** Parameter lists that hold a branch (or not) at various places and in various spellings. */
  private static final String[] PARAMS = {"", ";branch=z9hG4bK1", ";BRANCH=z9hG4bK1",
      ";Branch = z9hG4bK1", ";branch\t=\r\n z9", ";rport;branch=a;branch=b", ";branch",
      ";branch;rport", ";branch ;rport=1", ";x=1;branch=\"q;u\\\"o\";y", ";branchx=1;branc=2",
      ";x=1", " ;branch=a", ";a ; branch = b ", ";received=[::1];branch=[2001:db8::1]",
      ";p0;p1=1;p2=\"2\";p3 = 3;branch=last"};

  /** The first branch span the way the decoder used to read it: a second pass with findParam. */
  private static void assertNotedAsFindParamFindsIt(byte[] b, int from, int to, int[] s, int at,
      String name, String what) {
    long span = HeaderScanner.findParam(b, from, to, name);
    if (span < 0) {
      assertEquals(-1, s[at], what);
    } else {
      assertEquals((int) (span >>> 32), s[at], what);
      assertEquals((int) span, s[at + 1], what);
    }
  }

  @Test
  void scanParamsNotesTheFirstNamedParameterAtEveryOffset() {
    for (String p : PARAMS) {
      for (String tail : new String[] {"", ", next", "\r\n"}) {
        for (int pad = 0; pad <= 16; pad++) {
          byte[] b = ("x".repeat(pad) + p + tail).getBytes(StandardCharsets.ISO_8859_1);
          int to = pad + p.length() + (tail.equals("\r\n") ? 0 : tail.length());
          int[] s = {7, 7, 7, 7};
          int e = HeaderScanner.scanParams(b, pad, to, "branch", s, 1);
          String what = "[" + p + tail + "] at " + pad;
          assertEquals(HeaderScanner.scanParams(b, pad, to), e, what);
          assertTrue(e >= 0, what);
          assertNotedAsFindParamFindsIt(b, pad, e, s, 1, "branch", what);
          assertEquals(7, s[0], "writes only its two slots");
          if (s[1] < 0) assertEquals(7, s[2], "writes only its two slots");
          assertEquals(7, s[3], "writes only its two slots");
        }
      }
    }
  }

  @Test
  void scanParamsRefusesMalformedListsWhateverItNoted() {
    for (String p : new String[] {";branch=", ";=x", ";branch=\"open", ";branch=a;", ";;branch=a",
        ";branch=a;=", ";branch=\"a\\"}) {
      byte[] b = p.getBytes(StandardCharsets.ISO_8859_1);
      assertEquals(-1, HeaderScanner.scanParams(b, 0, b.length, "branch", new int[2], 0), p);
      assertEquals(-1, HeaderScanner.scanParams(b, 0, b.length), p);
    }
  }

  @Test
  void scanViaNotesTheBranchOfEachValue() {
    int[] s = new int[HeaderScanner.VIA_SPANS];
    for (String p : PARAMS) {
      for (String tail : new String[] {"", " , SIP/2.0/TCP h2;branch=other"}) {
        for (int pad = 0; pad <= 16; pad++) {
          String via = "SIP/2.0/UDP 192.0.2.20:5060" + p;
          byte[] b = ("x".repeat(pad) + via + tail).getBytes(StandardCharsets.ISO_8859_1);
          String what = "[" + via + tail + "] at " + pad;
          // a previous value's branch must not survive into a value without one
          s[HeaderScanner.VIA_BRANCH] = 3;
          int e = HeaderScanner.scanVia(b, pad, b.length, s);
          assertTrue(e >= 0, what);
          assertNotedAsFindParamFindsIt(b, s[HeaderScanner.VIA_PARAMS],
              s[HeaderScanner.VIA_PARAMS + 1], s, HeaderScanner.VIA_BRANCH, "branch", what);
        }
      }
    }
  }

  @Test
  void scanNameAddrNotesTheTagAtEveryOffset() {
    int[] s = new int[HeaderScanner.NA_SPANS];
    for (String p : PARAMS) {
      String params = p.replace("branch", "tag");
      for (String addr : new String[] {"<sip:a@h;tag=in-uri>", "\"A;tag=x\" <sip:a@h>",
          "sip:a@h", "A B <sip:a@h>"}) {
        for (int pad = 0; pad <= 16; pad++) {
          String v = addr + params;
          byte[] b = ("x".repeat(pad) + v).getBytes(StandardCharsets.ISO_8859_1);
          String what = "[" + v + "] at " + pad;
          s[HeaderScanner.NA_TAG] = 3;
          int e = HeaderScanner.scanNameAddr(b, pad, b.length, s);
          assertEquals(b.length, e, what);
          assertNotedAsFindParamFindsIt(b, s[HeaderScanner.NA_PARAMS],
              s[HeaderScanner.NA_PARAMS + 1], s, HeaderScanner.NA_TAG, "tag", what);
        }
      }
    }
  }
}
