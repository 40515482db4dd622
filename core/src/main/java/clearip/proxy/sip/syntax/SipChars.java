package clearip.proxy.sip.syntax;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Byte classes and small scanners of the RFC 3261 grammar, shared by the decoder and header views. */
public final class SipChars {
  private SipChars() {}

  private static final boolean[] TOKEN = new boolean[256];
  private static final boolean[] HOST = new boolean[256];
  private static final boolean[] PARAM_VALUE = new boolean[256];
  private static final boolean[] WORD = new boolean[256];
  // bytes that end the URI of a name-addr ('>') or may not be in it
  private static final boolean[] ANGLE_URI_STOP = new boolean[256];

  static {
    for (int c = '0'; c <= '9'; c++) TOKEN[c] = true;
    for (int c = 'a'; c <= 'z'; c++) TOKEN[c] = true;
    for (int c = 'A'; c <= 'Z'; c++) TOKEN[c] = true;
    for (char c : "-.!%*_+`'~".toCharArray()) TOKEN[c] = true;
    for (int c = 0; c < 256; c++) {
      HOST[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
    HOST['-'] = HOST['.'] = true;
    // gen-value = token / host / quoted-string; host may be an IPv6 reference, or bare IPv6 in
    // received= (RFC 5118 section 4.5 accepts both)
    System.arraycopy(TOKEN, 0, PARAM_VALUE, 0, 256);
    PARAM_VALUE[':'] = PARAM_VALUE['['] = PARAM_VALUE[']'] = true;
    System.arraycopy(TOKEN, 0, WORD, 0, 256);
    for (char c : "()<>:\\\"/[]?{}".toCharArray()) WORD[c] = true;
    for (char c : " \t\r\n<\">".toCharArray()) ANGLE_URI_STOP[c] = true;
  }

  public static boolean isToken(byte b) {
    return TOKEN[b & 0xff];
  }

  public static boolean isHostChar(byte b) {
    return HOST[b & 0xff];
  }

  public static boolean isParamValueChar(byte b) {
    return PARAM_VALUE[b & 0xff];
  }

  /** Characters of a Call-ID word (RFC 3261 section 25.1). */
  public static boolean isWordChar(byte b) {
    return WORD[b & 0xff];
  }

  /** Linear white space inside a header value span: SP, HTAB, and the CRLF of a folded line. */
  public static boolean isLws(byte b) {
    // one compare for the usual printable byte; the four LWS octets are all at or below SP
    return (b & 0xff) <= ' ' && (b == ' ' || b == '\t' || b == '\r' || b == '\n');
  }

  public static int skipLws(byte[] b, int i, int end) {
    while (i < end && isLws(b[i])) i++;
    return i;
  }

  /** Index of the last non-LWS byte plus one, scanning back from end. */
  public static int trimLwsEnd(byte[] b, int start, int end) {
    while (end > start && isLws(b[end - 1])) end--;
    return end;
  }

  public static int skipToken(byte[] b, int i, int end) {
    while (i < end && TOKEN[b[i] & 0xff]) i++;
    return i;
  }

  /**
   * Skips a quoted string starting at the opening quote; returns the index after the closing
   * quote, or -1 when it is unterminated.
   */
  public static int skipQuoted(byte[] b, int i, int end) {
    i++; // opening quote
    while (i < end) {
      byte c = b[i];
      if (c == '\\') {
        i += 2;
      } else if (c == '"') {
        return i + 1;
      } else {
        i++;
      }
    }
    return -1;
  }

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long CRS = 0x0D0D0D0D0D0D0D0DL;
  private static final long LFS = 0x0A0A0A0A0A0A0A0AL;
  private static final long DELS = 0x7F7F7F7F7F7F7F7FL;

  // Word-at-a-time scans. In (x - ONES) & ~x & HIGHS the lowest flagged byte is exactly the first
  // zero byte of x (little-endian: the lowest address); flags above it may be false, so only the
  // lowest is used. (w - n * ONES) & ~w & HIGHS is non-zero exactly when some byte of w is below
  // n (n <= 0x80), its lowest flag again exact. The array view checks its bounds like b[i] does.

  /** Flags (0x80 per byte) the bytes of w equal to the byte repeated in pattern. */
  private static long equalBytes(long w, long pattern) {
    long x = w ^ pattern;
    return (x - ONES) & ~x & HIGHS;
  }

  /** Flags the bytes of w below 0x0E, the range that holds CR and LF (and TAB). */
  private static long belowCr(long w) {
    return (w - 0x0E * ONES) & ~w & HIGHS;
  }

  /** Flags the CR and LF bytes of w. */
  private static long crOrLf(long w) {
    return equalBytes(w, CRS) | equalBytes(w, LFS);
  }

  /** Index of the lowest flagged byte of a non-zero flag word, counted from i. */
  private static int first(int i, long flags) {
    return i + (Long.numberOfTrailingZeros(flags) >>> 3);
  }

  /**
   * Index of the first CR or LF in [from, to), or -1. Reads sixteen or eight bytes at a time
   * (header values such as Identity run to hundreds of bytes, and this scan is most of decoding).
   */
  public static int indexOfCrOrLf(byte[] b, int from, int to) {
    int i = from;
    // sixteen bytes a step; only a byte below 0x0E (CR and LF are; text almost never is) needs
    // the exact test, done on the words already read
    for (; i + 16 <= to; i += 16) {
      long w0 = (long) LONGS.get(b, i);
      long w1 = (long) LONGS.get(b, i + 8);
      if ((belowCr(w0) | belowCr(w1)) != 0) {
        long m = crOrLf(w0);
        if (m != 0) return first(i, m);
        m = crOrLf(w1);
        if (m != 0) return first(i + 8, m);
      }
    }
    for (; i + 8 <= to; i += 8) {
      long w = (long) LONGS.get(b, i);
      if (belowCr(w) != 0) {
        long m = crOrLf(w);
        if (m != 0) return first(i, m);
      }
    }
    for (; i < to; i++) {
      if (b[i] == '\r' || b[i] == '\n') return i;
    }
    return -1;
  }

  /**
   * Index of the first byte in [from, to) that ends a Request-URI or may not be in one: SP, any
   * other octet below 0x21, or DEL; -1 when there is none. Bytes of 0x80 and above are allowed.
   */
  public static int indexOfSpaceOrControl(byte[] b, int from, int to) {
    int i = from;
    for (; i + 8 <= to; i += 8) {
      long w = (long) LONGS.get(b, i);
      long m = ((w - 0x21 * ONES) & ~w & HIGHS) | equalBytes(w, DELS);
      if (m != 0) return first(i, m);
    }
    for (; i < to; i++) {
      if ((b[i] & 0xff) < 0x21 || b[i] == 0x7f) return i;
    }
    return -1;
  }

  private static final long COLONS = 0x3A3A3A3A3A3A3A3AL;

  /**
   * Index of the first byte in [from, to) that is ':', SP or any other octet below 0x21, or -1:
   * where a header name ends if it is well-formed. Eight bytes at a time.
   */
  public static int indexOfColonSpaceOrControl(byte[] b, int from, int to) {
    int i = from;
    for (; i + 8 <= to; i += 8) {
      long w = (long) LONGS.get(b, i);
      long m = ((w - 0x21 * ONES) & ~w & HIGHS) | equalBytes(w, COLONS);
      if (m != 0) return first(i, m);
    }
    for (; i < to; i++) {
      if ((b[i] & 0xff) < 0x21 || b[i] == ':') return i;
    }
    return -1;
  }

  private static final long TWOS = 0x0202020202020202L;
  private static final long GTS = 0x3E3E3E3E3E3E3E3EL;

  /**
   * Index of the first SP, HTAB, CR, LF, '<', '"' or '>' in [from, to), or to: where the URI of
   * a name-addr ends, or a byte it may not hold. Skips eight bytes at a time while none is below
   * 0x23 (which holds those white space octets and '"') or an angle bracket ('<' | 2 is '>').
   */
  public static int skipAngleUri(byte[] b, int from, int to) {
    int i = from;
    for (; i + 8 <= to; i += 8) {
      long w = (long) LONGS.get(b, i);
      if ((((w - 0x23 * ONES) & ~w & HIGHS) | equalBytes(w | TWOS, GTS)) != 0) break;
    }
    while (i < to && !ANGLE_URI_STOP[b[i] & 0xff]) i++;
    return i;
  }

  /** Index of the first b[i] == c in [from, to), or -1. Eight bytes at a time. */
  public static int indexOf(byte[] b, byte c, int from, int to) {
    long pattern = (c & 0xffL) * ONES;
    int i = from;
    for (; i + 8 <= to; i += 8) {
      long m = equalBytes((long) LONGS.get(b, i), pattern);
      if (m != 0) return first(i, m);
    }
    for (; i < to; i++) {
      if (b[i] == c) return i;
    }
    return -1;
  }

  /** Case-insensitive ASCII comparison of b[off, off+len) with an all-lower-case literal. */
  public static boolean equalsIgnoreCase(byte[] b, int off, int len, String lower) {
    if (len != lower.length()) return false;
    for (int i = 0; i < len; i++) {
      int c = b[off + i];
      if (c >= 'A' && c <= 'Z') c += 32;
      if (c != lower.charAt(i)) return false;
    }
    return true;
  }

  public static boolean equalsBytes(byte[] b, int off, int len, String literal) {
    if (len != literal.length()) return false;
    for (int i = 0; i < len; i++) {
      if (b[off + i] != literal.charAt(i)) return false;
    }
    return true;
  }

  /** Decodes UTF-8 (ASCII in practice); invalid sequences become U+FFFD rather than failing. */
  public static String string(byte[] b, int from, int to) {
    return new String(b, from, to - from, StandardCharsets.UTF_8);
  }

  /**
   * The value with folded lines (CRLF followed by white space) collapsed into one space, as RFC
   * 3261 section 7.3.1 says they are equivalent; the original bytes stay untouched in the message.
   */
  public static String unfolded(byte[] b, int from, int to) {
    if (indexOf(b, (byte) '\r', from, to) < 0) return string(b, from, to);
    StringBuilder sb = new StringBuilder(to - from);
    int i = from;
    while (i < to) {
      byte c = b[i];
      if (c == '\r' || c == '\n') {
        // drop trailing white space already written, then the fold, then leading white space
        while (sb.length() > 0 && (sb.charAt(sb.length() - 1) == ' ' || sb.charAt(sb.length() - 1) == '\t')) {
          sb.setLength(sb.length() - 1);
        }
        while (i < to && isLws(b[i])) i++;
        sb.append(' ');
      } else {
        int runEnd = i;
        while (runEnd < to && b[runEnd] != '\r' && b[runEnd] != '\n') runEnd++;
        sb.append(string(b, i, runEnd));
        i = runEnd;
      }
    }
    return sb.toString();
  }

  /**
   * Parses an unsigned decimal in b[from, to); returns -1 when empty, not all digits, or above
   * max.
   */
  public static long parseUnsigned(byte[] b, int from, int to, long max) {
    if (from >= to) return -1;
    long v = 0;
    for (int i = from; i < to; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) return -1;
      v = v * 10 + d;
      if (v > max) return -1;
    }
    return v;
  }
}
