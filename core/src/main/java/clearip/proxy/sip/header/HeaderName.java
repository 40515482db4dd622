package clearip.proxy.sip.header;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A SIP header field name: interned for the names the proxy knows (with their RFC compact forms),
 * looked up case-insensitively straight from the wire bytes without allocating.
 */
public final class HeaderName {
  // first: the constructor of every constant below uses it
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final List<HeaderName> KNOWN_LIST = new ArrayList<>();
  private static final HeaderName[] BY_COMPACT = new HeaderName[128];
  // open-addressing table of the long forms, one slot per name, probed linearly. Kept as
  // parallel arrays of primitives so that a lookup reads them all from the slot at once instead
  // of following references: the decoder looks up every header line.
  private static final int TABLE_SIZE = 256; // power of two, well above the number of known names
  private static final int[] SLOT_LENGTH = new int[TABLE_SIZE]; // 0: empty slot
  private static final int[] SLOT_ID = new int[TABLE_SIZE];
  private static final long[] SLOT_WORD = new long[TABLE_SIZE]; // see firstWord
  private static final long[] SLOT_CASE = new long[TABLE_SIZE]; // the case bits, see known
  // names over eight bytes: their words at min(8, length - 8) and at length - 8, so that a
  // name of up to MAX_LENGTH bytes compares in three steps without leaving these arrays
  private static final long[] SLOT_MID_WORD = new long[TABLE_SIZE];
  private static final long[] SLOT_MID_CASE = new long[TABLE_SIZE];
  private static final long[] SLOT_LAST_WORD = new long[TABLE_SIZE];
  private static final long[] SLOT_LAST_CASE = new long[TABLE_SIZE];
  private static final int MAX_LENGTH = 24;

  public static final HeaderName VIA = known("Via", 'v');
  public static final HeaderName FROM = known("From", 'f');
  public static final HeaderName TO = known("To", 't');
  public static final HeaderName CALL_ID = known("Call-ID", 'i');
  public static final HeaderName CSEQ = known("CSeq", (char) 0);
  public static final HeaderName MAX_FORWARDS = known("Max-Forwards", (char) 0);
  public static final HeaderName CONTENT_LENGTH = known("Content-Length", 'l');
  public static final HeaderName CONTENT_TYPE = known("Content-Type", 'c');
  public static final HeaderName CONTENT_ENCODING = known("Content-Encoding", 'e');
  public static final HeaderName CONTACT = known("Contact", 'm');
  public static final HeaderName ROUTE = known("Route", (char) 0);
  public static final HeaderName RECORD_ROUTE = known("Record-Route", (char) 0);
  public static final HeaderName REASON = known("Reason", (char) 0);
  public static final HeaderName IDENTITY = known("Identity", 'y');
  public static final HeaderName IDENTITY_INFO = known("Identity-Info", 'n');
  public static final HeaderName P_ASSERTED_IDENTITY = known("P-Asserted-Identity", (char) 0);
  public static final HeaderName PROXY_REQUIRE = known("Proxy-Require", (char) 0);
  public static final HeaderName REQUIRE = known("Require", (char) 0);
  public static final HeaderName SUPPORTED = known("Supported", 'k');
  public static final HeaderName UNSUPPORTED = known("Unsupported", (char) 0);
  public static final HeaderName ALLOW = known("Allow", (char) 0);
  public static final HeaderName ALLOW_EVENTS = known("Allow-Events", 'u');
  public static final HeaderName EVENT = known("Event", 'o');
  public static final HeaderName SUBJECT = known("Subject", 's');
  public static final HeaderName REFER_TO = known("Refer-To", 'r');
  public static final HeaderName REFERRED_BY = known("Referred-By", 'b');
  public static final HeaderName SESSION_EXPIRES = known("Session-Expires", 'x');
  public static final HeaderName ACCEPT_CONTACT = known("Accept-Contact", 'a');
  public static final HeaderName REJECT_CONTACT = known("Reject-Contact", 'j');
  public static final HeaderName REQUEST_DISPOSITION = known("Request-Disposition", 'd');
  public static final HeaderName DATE = known("Date", (char) 0);
  public static final HeaderName RETRY_AFTER = known("Retry-After", (char) 0);
  public static final HeaderName EXPIRES = known("Expires", (char) 0);
  public static final HeaderName USER_AGENT = known("User-Agent", (char) 0);
  public static final HeaderName SERVER = known("Server", (char) 0);
  public static final HeaderName WARNING = known("Warning", (char) 0);
  public static final HeaderName ACCEPT = known("Accept", (char) 0);
  public static final HeaderName DIVERSION = known("Diversion", (char) 0);
  public static final HeaderName HISTORY_INFO = known("History-Info", (char) 0);
  public static final HeaderName PATH = known("Path", (char) 0);

  /** Id of a header name the proxy does not know; such names are compared by their bytes. */
  public static final int UNKNOWN = -1;

  private final int id;
  private final String name;
  private final char compact;

  private HeaderName(int id, String name, char compact) {
    this.id = id;
    this.name = name;
    this.compact = compact;
  }

  private static HeaderName known(String name, char compact) {
    HeaderName h = new HeaderName(KNOWN_LIST.size(), name, compact);
    KNOWN_LIST.add(h);
    if (compact != 0) {
      BY_COMPACT[compact] = h;
      BY_COMPACT[Character.toUpperCase(compact)] = h;
    }
    byte[] lower = name.toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
    int len = lower.length;
    if (len > MAX_LENGTH) throw new IllegalArgumentException("name longer than " + MAX_LENGTH);
    // 0x20 where lower[i] is a letter, else 0: (c | caseBit) == lower[i] is then exactly
    // "c equals lower[i] ignoring ASCII case", with no branch per byte
    byte[] caseBits = new byte[len];
    for (int i = 0; i < len; i++) {
      caseBits[i] = (byte) (lower[i] >= 'a' && lower[i] <= 'z' ? 0x20 : 0);
    }
    long word = firstWord(lower, 0, len);
    int slot = slot(word, len);
    while (SLOT_LENGTH[slot] != 0) slot = (slot + 1) & (TABLE_SIZE - 1);
    SLOT_LENGTH[slot] = len;
    SLOT_ID[slot] = h.id;
    SLOT_WORD[slot] = word;
    SLOT_CASE[slot] = firstWord(caseBits, 0, len);
    if (len > 8) {
      int mid = Math.min(8, len - 8);
      SLOT_MID_WORD[slot] = (long) LONGS.get(lower, mid);
      SLOT_MID_CASE[slot] = (long) LONGS.get(caseBits, mid);
      SLOT_LAST_WORD[slot] = (long) LONGS.get(lower, len - 8);
      SLOT_LAST_CASE[slot] = (long) LONGS.get(caseBits, len - 8);
    }
    return h;
  }

  /** Every known name, in id order. */
  public static List<HeaderName> known() {
    return Collections.unmodifiableList(KNOWN_LIST);
  }

  /** The known name with this id. */
  public static HeaderName byId(int id) {
    return KNOWN_LIST.get(id);
  }

  /** Looks a name up by its long or compact form, case-insensitively; null if not a known name. */
  public static HeaderName lookup(String name) {
    byte[] b = name.getBytes(StandardCharsets.ISO_8859_1);
    int id = lookupId(b, 0, b.length);
    return id == UNKNOWN ? null : KNOWN_LIST.get(id);
  }

  /** The id of the known name spelled by {@code b[off, off+len)} (either form, any case), or UNKNOWN. */
  public static int lookupId(byte[] b, int off, int len) {
    if (len == 1) {
      int c = b[off] & 0xff;
      HeaderName h = c < 128 ? BY_COMPACT[c] : null;
      return h == null ? UNKNOWN : h.id;
    }
    if (len < 2) return UNKNOWN;
    long w = firstWord(b, off, len);
    int slot = slot(w, len);
    for (int k = 0; k < TABLE_SIZE && SLOT_LENGTH[slot] != 0; k++) {
      // the first eight bytes decide; a longer name then compares the rest
      if (SLOT_LENGTH[slot] == len && (w | SLOT_CASE[slot]) == SLOT_WORD[slot]
          && (len <= 8 || restMatches(slot, b, off, len))) {
        return SLOT_ID[slot];
      }
      slot = (slot + 1) & (TABLE_SIZE - 1);
    }
    return UNKNOWN;
  }

  /** Whether bytes 8 and on of b[off, off+len) match the name in slot; 8 < len <= MAX_LENGTH. */
  private static boolean restMatches(int slot, byte[] b, int off, int len) {
    int mid = Math.min(8, len - 8);
    return ((long) LONGS.get(b, off + mid) | SLOT_MID_CASE[slot]) == SLOT_MID_WORD[slot]
        && ((long) LONGS.get(b, off + len - 8) | SLOT_LAST_CASE[slot]) == SLOT_LAST_WORD[slot];
  }

  /** The first min(len, 8) bytes of b[off, off+len) as a little-endian word, zero-padded. */
  private static long firstWord(byte[] b, int off, int len) {
    if (off + 8 <= b.length) {
      long w = (long) LONGS.get(b, off);
      return len >= 8 ? w : w & ((1L << (8 * len)) - 1);
    }
    long w = 0;
    for (int i = Math.min(len, 8) - 1; i >= 0; i--) w = (w << 8) | (b[off + i] & 0xff);
    return w;
  }

  /**
   * The home slot of a long name from its length and first word, case-folded (| 0x20 maps both
   * cases of a letter to one value; other bytes that it merges only cost a probe).
   */
  private static int slot(long firstWord, int len) {
    long mask = len >= 8 ? -1L : (1L << (8 * len)) - 1;
    long folded = (firstWord | 0x2020202020202020L) & mask;
    return (int) (((folded ^ len) * 0x9E3779B97F4A7C15L) >>> 56);
  }

  public int id() {
    return id;
  }

  /** The canonical long form, e.g. {@code Call-ID}. */
  public String name() {
    return name;
  }

  /** The compact form, or 0 when the name has none. */
  public char compact() {
    return compact;
  }

  @Override
  public String toString() {
    return name;
  }
}
