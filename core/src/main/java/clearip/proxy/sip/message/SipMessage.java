package clearip.proxy.sip.message;

import clearip.proxy.sip.header.CSeq;
import clearip.proxy.sip.header.HeaderName;
import clearip.proxy.sip.header.NameAddr;
import clearip.proxy.sip.header.Reason;
import clearip.proxy.sip.header.Via;
import clearip.proxy.sip.syntax.HeaderScanner;
import clearip.proxy.sip.syntax.SipChars;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A decoded SIP message: the original bytes plus an index of where each header field lies in
 * them. Nothing is copied or re-serialised at decode time; typed views are built on demand, and
 * edits ({@link #edit()}) splice new bytes around the untouched originals.
 *
 * <p>Instances are immutable. The byte array is shared, not copied: whoever hands it to the
 * decoder must not change it afterwards.
 */
public abstract sealed class SipMessage permits SipRequest, SipResponse {
  static final int ID = Layout.ID;
  static final int LINE = Layout.LINE;
  static final int VALUE = Layout.VALUE;
  static final int VALUE_END = Layout.VALUE_END;
  static final int STRIDE = Layout.STRIDE;

  final byte[] buf;
  final int start;
  final int end;
  final int startLineEnd; // the CR ending the start line
  final int headersEnd; // the CR of the empty line ending the header section
  final int bodyStart;
  final int[] index;
  final int headerCount;
  final long cseqNumber;
  final int cseqMethodStart;
  final int cseqMethodEnd;
  final int maxForwards;
  final int contentLength;
  final int branchStart;
  final int branchEnd;
  final int fromTagStart;
  final int fromTagEnd;
  final int toTagStart;
  final int toTagEnd;

  private String callId;

  SipMessage(Layout l) {
    this.buf = l.buf;
    this.start = l.start;
    this.end = l.end;
    this.startLineEnd = l.startLineEnd;
    this.headersEnd = l.headersEnd;
    this.bodyStart = l.bodyStart;
    this.index = l.index;
    this.headerCount = l.headerCount;
    this.cseqNumber = l.cseqNumber;
    this.cseqMethodStart = l.cseqMethodStart;
    this.cseqMethodEnd = l.cseqMethodEnd;
    this.maxForwards = l.maxForwards;
    this.contentLength = l.contentLength;
    this.branchStart = l.branchStart;
    this.branchEnd = l.branchEnd;
    this.fromTagStart = l.fromTagStart;
    this.fromTagEnd = l.fromTagEnd;
    this.toTagStart = l.toTagStart;
    this.toTagEnd = l.toTagEnd;
  }

  /**
   * Where the parts of a message lie in its buffer; filled by the decoder, which is the only
   * producer of messages. Not final: the decoder's working state extends it, so a decode
   * allocates one object for both.
   */
  public static class Layout {
    // index layout, one entry per header field line (continuation lines belong to their field);
    // the name ends where its token ends, so its end is found again when needed, not stored
    public static final int ID = 0;
    public static final int LINE = 1; // first byte of the name
    public static final int VALUE = 2; // first byte of the value (LWS skipped)
    public static final int VALUE_END = 3; // after the last non-LWS byte of the value
    public static final int STRIDE = 4;

    public byte[] buf;
    public int start;
    public int end;
    public int startLineEnd;
    public int headersEnd;
    public int bodyStart;
    public int[] index;
    public int headerCount;
    public long cseqNumber = -1;
    public int cseqMethodStart;
    public int cseqMethodEnd;
    public int maxForwards = -1;
    public int contentLength = -1;
    // request line
    public int methodEnd;
    public int uriStart;
    public int uriEnd;
    // status line
    public int statusCode;
    public int reasonStart;
    // spans found while validating, so the hot accessors need no second scan (-1: none)
    public int branchStart = -1;
    public int branchEnd;
    public int fromTagStart = -1;
    public int fromTagEnd;
    public int toTagStart = -1;
    public int toTagEnd;
  }

  public final boolean isRequest() {
    return this instanceof SipRequest;
  }

  // ---- raw bytes -------------------------------------------------------------------------

  /** The buffer holding the message; the message is {@code [offset(), offset()+length())}. */
  public final byte[] buffer() {
    return buf;
  }

  public final int offset() {
    return start;
  }

  public final int length() {
    return end - start;
  }

  /** A copy of the message bytes exactly as received (trailing datagram octets excluded). */
  public final byte[] toBytes() {
    byte[] out = new byte[end - start];
    System.arraycopy(buf, start, out, 0, out.length);
    return out;
  }

  public final int bodyOffset() {
    return bodyStart;
  }

  public final int bodyLength() {
    return end - bodyStart;
  }

  /** The start line without its CRLF. */
  public final String startLine() {
    return SipChars.string(buf, start, startLineEnd);
  }

  // ---- header index ----------------------------------------------------------------------

  public final int headerCount() {
    return headerCount;
  }

  /** The known-name id of header field i, or {@link HeaderName#UNKNOWN}. */
  public final int headerId(int i) {
    return index[i * STRIDE + ID];
  }

  /** The name of header field i as written (compact or long, any case). */
  public final String headerName(int i) {
    int o = i * STRIDE;
    return SipChars.string(buf, index[o + LINE], nameEnd(o));
  }

  /** End of the name of the header field at index offset o: where its token ends. */
  private int nameEnd(int o) {
    return SipChars.skipToken(buf, index[o + LINE], index[o + VALUE]);
  }

  /** The value of header field i with folded lines joined, as one string. */
  public final String headerValue(int i) {
    int o = i * STRIDE;
    return SipChars.unfolded(buf, index[o + VALUE], index[o + VALUE_END]);
  }

  public final int headerLineStart(int i) {
    return index[i * STRIDE + LINE];
  }

  /** Index just after the CRLF that ends header field i (folded lines included). */
  public final int headerLineEnd(int i) {
    return i + 1 < headerCount ? index[(i + 1) * STRIDE + LINE] : headersEnd;
  }

  public final int headerValueStart(int i) {
    return index[i * STRIDE + VALUE];
  }

  public final int headerValueEnd(int i) {
    return index[i * STRIDE + VALUE_END];
  }

  /** The whole header field line i, name to value, without its CRLF, byte-for-byte. */
  public final byte[] headerLineBytes(int i) {
    int o = i * STRIDE;
    int from = index[o + LINE];
    int to = index[o + VALUE_END];
    byte[] out = new byte[to - from];
    System.arraycopy(buf, from, out, 0, out.length);
    return out;
  }

  /** Index of the first header field with that name (either form), or -1. */
  public final int indexOf(HeaderName name) {
    return indexOf(name, 0);
  }

  /** Index of the first header field with that name at or after i, or -1. */
  public final int indexOf(HeaderName name, int from) {
    int id = name.id();
    for (int i = from; i < headerCount; i++) {
      if (index[i * STRIDE + ID] == id) return i;
    }
    return -1;
  }

  /** Index of the first header field with that name (case-insensitive, known or not), or -1. */
  public final int indexOf(String name, int from) {
    HeaderName known = HeaderName.lookup(name);
    if (known != null) return indexOf(known, from);
    byte[] n = name.getBytes(StandardCharsets.US_ASCII);
    for (int i = from; i < headerCount; i++) {
      int o = i * STRIDE;
      if (index[o + ID] != HeaderName.UNKNOWN) continue;
      int ns = index[o + LINE];
      if (nameEnd(o) - ns != n.length) continue;
      boolean eq = true;
      for (int k = 0; k < n.length && eq; k++) {
        eq = lower(buf[ns + k]) == lower(n[k]);
      }
      if (eq) return i;
    }
    return -1;
  }

  private static byte lower(byte c) {
    return (c >= 'A' && c <= 'Z') ? (byte) (c + 32) : c;
  }

  /** The first value of that header field, unfolded, or null. */
  public final String header(HeaderName name) {
    int i = indexOf(name);
    return i < 0 ? null : headerValue(i);
  }

  /** The first value of that header field (any name), unfolded, or null. */
  public final String header(String name) {
    int i = indexOf(name, 0);
    return i < 0 ? null : headerValue(i);
  }

  /** Every field value of that header, one per header field line, unfolded. */
  public final List<String> headers(HeaderName name) {
    List<String> out = new ArrayList<>(2);
    for (int i = indexOf(name); i >= 0; i = indexOf(name, i + 1)) out.add(headerValue(i));
    return out;
  }

  /** Number of header field lines with that name. */
  public final int count(HeaderName name) {
    int n = 0;
    for (int i = indexOf(name); i >= 0; i = indexOf(name, i + 1)) n++;
    return n;
  }

  // ---- typed views -----------------------------------------------------------------------

  public final String callId() {
    String c = callId;
    if (c == null) {
      int i = indexOf(HeaderName.CALL_ID);
      if (i < 0) return null;
      c = callId = headerValue(i);
    }
    return c;
  }

  public final CSeq cseq() {
    return new CSeq(cseqNumber, cseqMethod());
  }

  public final long cseqNumber() {
    return cseqNumber;
  }

  public final String cseqMethod() {
    return methodName(buf, cseqMethodStart, cseqMethodEnd);
  }

  private static final String[] COMMON_METHODS = {"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS",
      "PRACK", "UPDATE", "INFO", "REGISTER", "NOTIFY", "SUBSCRIBE", "REFER", "MESSAGE"};

  /** A method name as a string: a shared constant for the common ones, read on every message. */
  static String methodName(byte[] b, int from, int to) {
    for (String m : COMMON_METHODS) {
      if (SipChars.equalsBytes(b, from, to - from, m)) return m;
    }
    return SipChars.string(b, from, to);
  }

  /** True when the CSeq method is exactly {@code method} (methods are case-sensitive). */
  public final boolean cseqMethodIs(String method) {
    return SipChars.equalsBytes(buf, cseqMethodStart, cseqMethodEnd - cseqMethodStart, method);
  }

  /** The Max-Forwards value, or -1 when absent. */
  public final int maxForwards() {
    return maxForwards;
  }

  /** The Content-Length value, or -1 when absent. */
  public final int contentLength() {
    return contentLength;
  }

  /** The top Via value. */
  public final Via topVia() {
    int i = indexOf(HeaderName.VIA);
    return i < 0 ? null : Via.parse(buf, index[i * STRIDE + VALUE], index[i * STRIDE + VALUE_END]);
  }

  /** The branch parameter of the top Via, read without building the whole Via; null if none. */
  public final String topViaBranch() {
    if (branchStart >= 0) return SipChars.string(buf, branchStart, branchEnd);
    int i = indexOf(HeaderName.VIA);
    if (i < 0) return null;
    int vs = index[i * STRIDE + VALUE];
    int ve = index[i * STRIDE + VALUE_END];
    int[] s = new int[HeaderScanner.VIA_SPANS];
    if (HeaderScanner.scanVia(buf, vs, ve, s) < 0) return null;
    long span = HeaderScanner.findParam(buf, s[HeaderScanner.VIA_PARAMS],
        s[HeaderScanner.VIA_PARAMS + 1], "branch");
    if (span < 0) return null;
    return SipChars.string(buf, (int) (span >>> 32), (int) span);
  }

  /** Every Via value, top first, across all Via header fields. */
  public final List<Via> vias() {
    List<Via> out = new ArrayList<>(3);
    int[] s = new int[HeaderScanner.VIA_SPANS];
    for (int i = indexOf(HeaderName.VIA); i >= 0; i = indexOf(HeaderName.VIA, i + 1)) {
      int p = index[i * STRIDE + VALUE];
      int ve = index[i * STRIDE + VALUE_END];
      while (p < ve) {
        int e = HeaderScanner.scanVia(buf, p, ve, s);
        if (e < 0) break;
        out.add(Via.parse(buf, p, e));
        p = e + 1;
      }
    }
    return out;
  }

  /** Number of Via values across all Via header fields. */
  public final int viaCount() {
    int n = 0;
    int[] s = new int[HeaderScanner.VIA_SPANS];
    for (int i = indexOf(HeaderName.VIA); i >= 0; i = indexOf(HeaderName.VIA, i + 1)) {
      int p = index[i * STRIDE + VALUE];
      int ve = index[i * STRIDE + VALUE_END];
      while (p < ve) {
        int e = HeaderScanner.scanVia(buf, p, ve, s);
        if (e < 0) break;
        n++;
        p = e + 1;
      }
    }
    return n;
  }

  public final NameAddr from() {
    return nameAddr(HeaderName.FROM);
  }

  public final NameAddr to() {
    return nameAddr(HeaderName.TO);
  }

  /** The tag parameter of From, read without building the name-addr; null when absent. */
  public final String fromTag() {
    if (fromTagStart >= 0) {
      return fromTagStart == fromTagEnd ? null : SipChars.string(buf, fromTagStart, fromTagEnd);
    }
    return tagOf(HeaderName.FROM);
  }

  /** The tag parameter of To, read without building the name-addr; null when absent. */
  public final String toTag() {
    if (toTagStart >= 0) {
      return toTagStart == toTagEnd ? null : SipChars.string(buf, toTagStart, toTagEnd);
    }
    return tagOf(HeaderName.TO);
  }

  private String tagOf(HeaderName h) {
    int i = indexOf(h);
    if (i < 0) return null;
    int[] s = new int[HeaderScanner.NA_SPANS];
    if (HeaderScanner.scanNameAddr(buf, index[i * STRIDE + VALUE], index[i * STRIDE + VALUE_END],
        s) < 0) {
      return null;
    }
    long span = HeaderScanner.findParam(buf, s[HeaderScanner.NA_PARAMS],
        s[HeaderScanner.NA_PARAMS + 1], "tag");
    if (span < 0 || (int) (span >>> 32) == (int) span) return null;
    return SipChars.string(buf, (int) (span >>> 32), (int) span);
  }

  private NameAddr nameAddr(HeaderName h) {
    int i = indexOf(h);
    return i < 0 ? null
        : NameAddr.parse(buf, index[i * STRIDE + VALUE], index[i * STRIDE + VALUE_END]);
  }

  /** Every Contact value in order, across header fields and comma lists. */
  public final List<NameAddr> contacts() {
    return nameAddrs(HeaderName.CONTACT);
  }

  public final List<NameAddr> routes() {
    return nameAddrs(HeaderName.ROUTE);
  }

  /**
   * Where the URI of the first Route value lies in {@link #buffer()}, as {@code start << 32 |
   * end}: {@code routes().get(0).uri()} without building the list; -1 when there is none.
   */
  public final long topRouteUriSpan() {
    int[] s = new int[HeaderScanner.NA_SPANS];
    for (int i = indexOf(HeaderName.ROUTE); i >= 0; i = indexOf(HeaderName.ROUTE, i + 1)) {
      int p = index[i * STRIDE + VALUE];
      int ve = index[i * STRIDE + VALUE_END];
      while (p < ve) {
        // as nameAddrs(): a malformed value is skipped
        if (HeaderScanner.scanNameAddr(buf, p, ve, s) >= 0) {
          return ((long) s[HeaderScanner.NA_URI] << 32) | s[HeaderScanner.NA_URI + 1];
        }
        int c = HeaderScanner.nextComma(buf, p, ve);
        if (c < 0) break;
        p = c + 1;
      }
    }
    return -1;
  }

  public final List<NameAddr> recordRoutes() {
    return nameAddrs(HeaderName.RECORD_ROUTE);
  }

  /** Every value of a name-addr list header (Contact, Route, ...); malformed values skipped. */
  public final List<NameAddr> nameAddrs(HeaderName h) {
    List<NameAddr> out = new ArrayList<>(4);
    int[] s = new int[HeaderScanner.NA_SPANS];
    for (int i = indexOf(h); i >= 0; i = indexOf(h, i + 1)) {
      int p = index[i * STRIDE + VALUE];
      int ve = index[i * STRIDE + VALUE_END];
      while (p < ve) {
        int e = HeaderScanner.scanNameAddr(buf, p, ve, s);
        if (e < 0) {
          int c = HeaderScanner.nextComma(buf, p, ve);
          if (c < 0) break;
          p = c + 1;
          continue;
        }
        out.add(NameAddr.of(buf, s));
        p = e + 1;
      }
    }
    return out;
  }

  /** Every Reason value (RFC 3326), malformed ones skipped. */
  public final List<Reason> reasons() {
    List<Reason> out = new ArrayList<>(1);
    for (int i = indexOf(HeaderName.REASON); i >= 0; i = indexOf(HeaderName.REASON, i + 1)) {
      int p = index[i * STRIDE + VALUE];
      int ve = index[i * STRIDE + VALUE_END];
      while (p < ve) {
        int c = HeaderScanner.nextComma(buf, p, ve);
        if (c < 0) break;
        Reason r = Reason.parse(SipChars.unfolded(buf, p, c));
        if (r != null) out.add(r);
        p = c + 1;
      }
    }
    return out;
  }

  /** Every Identity header field value, byte-exact as text (never re-folded or re-quoted). */
  public final List<String> identities() {
    return headers(HeaderName.IDENTITY);
  }

  /** Starts an edit producing a new message; this one is left as it is. */
  public final MessageEditor edit() {
    return new MessageEditor(this);
  }

  @Override
  public String toString() {
    return new String(buf, start, end - start, StandardCharsets.UTF_8);
  }
}
