package clearip.proxy.sip.syntax;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SipCharsTest {
  /** Bytes the word-at-a-time scans must tell apart: targets, near misses, borrow makers. */
  private static final byte[] TRICKY = {'\r', '\n', 0, 1, 0x09, 0x0b, 0x0c, 0x0e, ' ', '!', 0x7f,
      (byte) 0x80, (byte) 0x8a, (byte) 0x8d, (byte) 0xa0, (byte) 0xff, '>', '<', ':', 'a', '9',
      ';', (byte) 0xba, '"', '=', '?', '\t', (byte) 0xbe, (byte) 0xbc};

  private static byte[] random(Random r, int len) {
    byte[] b = new byte[len];
    for (int i = 0; i < len; i++) {
      b[i] = r.nextInt(3) == 0 ? (byte) r.nextInt(256) : TRICKY[r.nextInt(TRICKY.length)];
    }
    return b;
  }

  private static int plainCrOrLf(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] == '\r' || b[i] == '\n') return i;
    }
    return -1;
  }

  private static int plainSpaceOrControl(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if ((b[i] & 0xff) < 0x21 || b[i] == 0x7f) return i;
    }
    return -1;
  }

  private static int plainColonSpaceOrControl(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if ((b[i] & 0xff) < 0x21 || b[i] == ':') return i;
    }
    return -1;
  }

  private static int plainAngleUri(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (" \t\r\n<\">".indexOf(b[i]) >= 0) return i;
    }
    return to;
  }

  private static int plainIndexOf(byte[] b, byte c, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] == c) return i;
    }
    return -1;
  }

  @Test
  void wordAtATimeScansAgreeWithPlainLoopsOnRandomInput() {
    Random r = new Random(42);
    for (int n = 0; n < 50_000; n++) {
      byte[] b = random(r, r.nextInt(40));
      int from = b.length == 0 ? 0 : r.nextInt(b.length);
      int to = from + (b.length - from == 0 ? 0 : r.nextInt(b.length - from + 1));
      assertEquals(plainCrOrLf(b, from, to), SipChars.indexOfCrOrLf(b, from, to));
      assertEquals(plainSpaceOrControl(b, from, to), SipChars.indexOfSpaceOrControl(b, from, to));
      assertEquals(plainColonSpaceOrControl(b, from, to),
          SipChars.indexOfColonSpaceOrControl(b, from, to));
      assertEquals(plainAngleUri(b, from, to), SipChars.skipAngleUri(b, from, to));
      byte c = TRICKY[r.nextInt(TRICKY.length)];
      assertEquals(plainIndexOf(b, c, from, to), SipChars.indexOf(b, c, from, to));
    }
  }

  @Test
  void findsTheTargetAtEveryPositionOfAWordAndAtTheEnd() {
    // filler just above and below the targets, so a word-level pre-test fires without a match
    byte[][] fillers = {{'a'}, {0x0b, 0x0e}, {(byte) 0x8d, (byte) 0x8a}, {0x09, '!'}, {'9', ';'},
        {(byte) 0xba, (byte) 0xa0}, {'=', '?'}, {(byte) 0xbe, (byte) 0xbc}};
    byte[] targets = {'\r', '\n', ' ', 0x00, 0x1f, 0x7f, '>', ':', '<', '"', '\t', '=', '?'};
    for (byte[] filler : fillers) {
      for (int len = 0; len <= 40; len++) {
        for (int from = 0; from <= Math.min(len, 8); from++) {
          for (int at = from; at < len; at++) {
            for (byte t : targets) {
              byte[] b = new byte[len];
              for (int i = 0; i < len; i++) b[i] = filler[i % filler.length];
              b[at] = t;
              assertEquals(plainCrOrLf(b, from, len), SipChars.indexOfCrOrLf(b, from, len));
              assertEquals(plainSpaceOrControl(b, from, len),
                  SipChars.indexOfSpaceOrControl(b, from, len));
              assertEquals(plainColonSpaceOrControl(b, from, len),
                  SipChars.indexOfColonSpaceOrControl(b, from, len));
              assertEquals(plainAngleUri(b, from, len), SipChars.skipAngleUri(b, from, len));
              assertEquals(plainAngleUri(b, from, at), SipChars.skipAngleUri(b, from, at));
              // nothing past the range is found
              assertEquals(plainColonSpaceOrControl(b, from, at),
                  SipChars.indexOfColonSpaceOrControl(b, from, at));
              assertEquals(plainIndexOf(b, t, from, len), SipChars.indexOf(b, t, from, len));
              // the same byte just past the range is not found
              assertEquals(plainIndexOf(b, t, from, at), SipChars.indexOf(b, t, from, at));
            }
          }
        }
      }
    }
  }

  /** A word-at-a-time scan, with two bytes it stops at: the first one placed must be found. */
  private record Scan(String name, byte first, byte second,
      java.util.function.ToIntFunction<byte[]> indexIn) {}

  @Test
  void twoTargetsInOneWordGiveTheFirst() {
    List<Scan> scans = List.of(
        new Scan("CR/LF", (byte) '\n', (byte) '\r', b -> SipChars.indexOfCrOrLf(b, 0, b.length)),
        new Scan("space or control", (byte) 0x7f, (byte) ' ',
            b -> SipChars.indexOfSpaceOrControl(b, 0, b.length)),
        new Scan("colon before white space", (byte) ':', (byte) '\t',
            b -> SipChars.indexOfColonSpaceOrControl(b, 0, b.length)),
        new Scan("white space before colon", (byte) '\t', (byte) ':',
            b -> SipChars.indexOfColonSpaceOrControl(b, 0, b.length)),
        new Scan("angle URI", (byte) '"', (byte) '<', b -> SipChars.skipAngleUri(b, 0, b.length)),
        new Scan("one byte", (byte) '>', (byte) '>',
            b -> SipChars.indexOf(b, (byte) '>', 0, b.length)));
    for (Scan scan : scans) {
      for (int a = 0; a < 8; a++) {
        for (int c = a + 1; c < 8; c++) {
          byte[] b = "xxxxxxxxxxxxxxxx".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
          b[a] = scan.first();
          b[c] = scan.second();
          assertEquals(a, scan.indexIn().applyAsInt(b), scan.name() + " at " + a + ", " + c);
        }
      }
    }
  }

  @Test
  void nonAsciiBytesAreNeitherCrLfNorControls() {
    byte[] b = new byte[128];
    for (int i = 0; i < b.length; i++) b[i] = (byte) (0x80 + i);
    assertEquals(-1, SipChars.indexOfCrOrLf(b, 0, b.length));
    assertEquals(-1, SipChars.indexOfSpaceOrControl(b, 0, b.length));
    assertEquals(-1, SipChars.indexOfColonSpaceOrControl(b, 0, b.length));
    assertEquals(b.length, SipChars.skipAngleUri(b, 0, b.length));
    assertEquals(-1, SipChars.indexOf(b, (byte) '\r', 0, b.length));
    assertEquals(5, SipChars.indexOf(b, (byte) 0x85, 0, b.length));
  }
}
