package clearip.proxy.sip.header;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HeaderNameTest {
  private static int id(String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    return HeaderName.lookupId(b, 0, b.length);
  }

  @Test
  void compactFormsMapToTheirLongNames() {
    String[][] pairs = {{"v", "Via"}, {"i", "Call-ID"}, {"f", "From"}, {"t", "To"},
        {"m", "Contact"}, {"l", "Content-Length"}, {"c", "Content-Type"}, {"k", "Supported"},
        {"s", "Subject"}, {"e", "Content-Encoding"}, {"o", "Event"}, {"r", "Refer-To"},
        {"u", "Allow-Events"}, {"x", "Session-Expires"}, {"y", "Identity"}, {"b", "Referred-By"},
        {"a", "Accept-Contact"}, {"j", "Reject-Contact"}, {"d", "Request-Disposition"},
        {"n", "Identity-Info"}};
    for (String[] p : pairs) {
      assertEquals(id(p[1]), id(p[0]), p[0]);
      assertEquals(id(p[1]), id(p[0].toUpperCase()), p[0]);
    }
  }

  @Test
  void longNamesAreCaseInsensitive() {
    assertEquals(HeaderName.MAX_FORWARDS.id(), id("MaX-fOrWaRdS"));
    assertEquals(HeaderName.CALL_ID.id(), id("call-id"));
    assertSame(HeaderName.P_ASSERTED_IDENTITY, HeaderName.lookup("p-asserted-identity"));
  }

  @Test
  void unknownNamesAreUnknown() {
    assertEquals(HeaderName.UNKNOWN, id("X-Custom"));
    assertEquals(HeaderName.UNKNOWN, id("z"));
    assertEquals(HeaderName.UNKNOWN, id("Vias"));
    assertNull(HeaderName.lookup("C%6Fntact"));
  }

  @Test
  void onlyLettersFoldCase() {
    // CR | 0x20 is '-', '_' | 0x20 is DEL, 0xC1 | 0x20 is 0xE1: none may pass for the name
    assertEquals(HeaderName.UNKNOWN, id("Call\rID"));
    assertEquals(HeaderName.UNKNOWN, id("Max_Forwards"));
    assertEquals(HeaderName.UNKNOWN, id("Call-I\u0004"));
    byte[] b = {(byte) ('V' | 0x80), 'i', 'a'};
    assertEquals(HeaderName.UNKNOWN, HeaderName.lookupId(b, 0, 3));
    b = new byte[] {'v', 'i', (byte) 0xC1};
    assertEquals(HeaderName.UNKNOWN, HeaderName.lookupId(b, 0, 3));
  }

  @Test
  void everyKnownNameIsFoundInAnyCaseAndInsideABuffer() {
    for (HeaderName h : HeaderName.known()) {
      for (String s : new String[] {h.name(), h.name().toUpperCase(), h.name().toLowerCase()}) {
        byte[] b = ("xx" + s + ":").getBytes(StandardCharsets.US_ASCII);
        assertEquals(h.id(), HeaderName.lookupId(b, 2, s.length()), s);
        if (s.length() > 2) { // "T" alone is To's compact form
          assertEquals(HeaderName.UNKNOWN, HeaderName.lookupId(b, 2, s.length() - 1), s);
        }
        assertEquals(HeaderName.UNKNOWN, HeaderName.lookupId(b, 1, s.length() + 1), s);
      }
    }
  }

  @Test
  void emptyAndOneByteNamesNeedNoHash() {
    assertNull(HeaderName.lookup(""));
    assertEquals(HeaderName.UNKNOWN, HeaderName.lookupId(new byte[0], 0, 0));
    assertEquals(HeaderName.UNKNOWN, HeaderName.lookupId(new byte[] {(byte) 0xff}, 0, 1));
  }

  @Test
  void anyOtherByteAnywhereInANameIsAnotherName() {
    // 3 bytes after the name: short names compare byte by byte; 9: in one masked word
    for (int after : new int[] {3, 9}) {
      for (HeaderName h : HeaderName.known()) {
        byte[] name = h.name().getBytes(StandardCharsets.US_ASCII);
        for (int at = 0; at < name.length; at++) {
          for (int v = 0; v < 256; v++) {
            byte[] b = new byte[1 + name.length + after];
            java.util.Arrays.fill(b, (byte) 'x');
            System.arraycopy(name, 0, b, 1, name.length);
            b[1 + at] = (byte) v;
            boolean sameLetter = v < 128
                && Character.toLowerCase((char) v) == Character.toLowerCase((char) name[at]);
            int id = HeaderName.lookupId(b, 1, name.length);
            if (sameLetter) {
              assertEquals(h.id(), id, h.name() + " " + at + " " + v);
            } else if (id == h.id()) {
              throw new AssertionError(h.name() + " matched with byte " + v + " at " + at);
            }
          }
        }
      }
    }
  }

  @Test
  void everyKnownNameIsFoundAtEveryAlignmentAndAtTheBufferEnd() {
    for (HeaderName h : HeaderName.known()) {
      byte[] name = h.name().getBytes(StandardCharsets.US_ASCII);
      for (int at = 0; at < 16; at++) {
        // the name is the last bytes of the buffer: no word may be read past it
        byte[] b = new byte[at + name.length];
        java.util.Arrays.fill(b, (byte) 'x');
        System.arraycopy(name, 0, b, at, name.length);
        assertEquals(h.id(), HeaderName.lookupId(b, at, name.length), h.name() + " at " + at);
        if (name.length > 2) { // "o", the tail of "To", is Event's compact form
          assertEquals(HeaderName.UNKNOWN, HeaderName.lookupId(b, at + 1, name.length - 1));
        }
      }
    }
  }
}
