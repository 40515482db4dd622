package clearip.proxy.sip.message;

import clearip.proxy.sip.header.HeaderName;
import clearip.proxy.sip.syntax.HeaderScanner;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds a new message from a decoded one by splicing: each edit replaces or inserts a few bytes
 * and every other byte (unknown headers, Identity, the body) is copied exactly as received.
 *
 * <p>Edits must not overlap (e.g. popping a Via and removing all Via fields); insertions at the
 * same position keep the order they were made in. An editor is single-use and not thread-safe.
 */
public final class MessageEditor {
  private static final byte[][] SMALL_INTS = new byte[256][];

  static {
    for (int i = 0; i < SMALL_INTS.length; i++) {
      SMALL_INTS[i] = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
    }
  }

  private final SipMessage m;
  private int n;
  private int[] from = new int[4];
  private int[] to = new int[4];
  private byte[][] insert = new byte[4][];

  MessageEditor(SipMessage m) {
    this.m = m;
  }

  private MessageEditor splice(int f, int t, byte[] bytes) {
    if (n == from.length) {
      from = Arrays.copyOf(from, n * 2);
      to = Arrays.copyOf(to, n * 2);
      insert = Arrays.copyOf(insert, n * 2);
    }
    from[n] = f;
    to[n] = t;
    insert[n] = bytes;
    n++;
    return this;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Copies s into dst at the given index and returns true if it is all ASCII; false (dst written
   * with truncated chars) if not. No test per char inside the loop, which keeps it tight.
   */
  private static boolean copyAscii(String s, byte[] dst, int at) {
    int seen = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      seen |= c;
      dst[at + i] = (byte) c;
    }
    return seen < 0x80;
  }

  private static byte[] number(int v) {
    return v >= 0 && v < SMALL_INTS.length ? SMALL_INTS[v] : ascii(Integer.toString(v));
  }

  private static byte[] line(String name, String value) {
    int nl = name.length();
    byte[] out = new byte[nl + 2 + value.length() + 2];
    // the common case: ASCII, copied straight into the line in one pass
    if (!copyAscii(name, out, 0) || !copyAscii(value, out, nl + 2)) {
      byte[] nb = ascii(name);
      byte[] vb = ascii(value);
      out = new byte[nb.length + 2 + vb.length + 2];
      System.arraycopy(nb, 0, out, 0, nb.length);
      System.arraycopy(vb, 0, out, nb.length + 2, vb.length);
      nl = nb.length;
    }
    out[nl] = ':';
    out[nl + 1] = ' ';
    out[out.length - 2] = '\r';
    out[out.length - 1] = '\n';
    return out;
  }

  /** Where a header line added "at the end" goes: before the empty line. */
  private int endOfHeaders() {
    return m.headersEnd;
  }

  // ---- edits -------------------------------------------------------------------------------

  /** Puts a new top Via (RFC 3261 16.6 step 8), e.g. {@code SIP/2.0/TLS host:5061;branch=...}. */
  public MessageEditor pushVia(String viaValue) {
    int i = m.indexOf(HeaderName.VIA);
    int at = i < 0 ? m.startLineEnd + 2 : m.headerLineStart(i);
    return splice(at, at, line("Via", viaValue));
  }

  /** Removes the top Via value: its whole line, or only the first value of a comma list. */
  public MessageEditor popVia() {
    int i = m.indexOf(HeaderName.VIA);
    if (i < 0) throw new IllegalStateException("no Via to remove");
    int vs = m.headerValueStart(i);
    int ve = m.headerValueEnd(i);
    int[] s = new int[HeaderScanner.VIA_SPANS];
    int e = HeaderScanner.scanVia(m.buf, vs, ve, s);
    if (e < 0 || e >= ve) return splice(m.headerLineStart(i), m.headerLineEnd(i), null);
    int next = clearip.proxy.sip.syntax.SipChars.skipLws(m.buf, e + 1, ve);
    return splice(vs, next, null);
  }

  /** Replaces the Request-URI (inline mode: the Contact being tried). */
  public MessageEditor setRequestUri(String uri) {
    if (!(m instanceof SipRequest r)) throw new IllegalStateException("not a request");
    return splice(r.uriStart, r.uriEnd, ascii(uri));
  }

  /** Decrements Max-Forwards, or adds {@code Max-Forwards: 70} when absent (RFC 3261 16.6 step 3). */
  public MessageEditor decrementMaxForwards() {
    int i = m.indexOf(HeaderName.MAX_FORWARDS);
    if (i < 0) return splice(endOfHeaders(), endOfHeaders(), line("Max-Forwards", "70"));
    int v = Math.max(0, m.maxForwards - 1);
    return splice(m.headerValueStart(i), m.headerValueEnd(i), number(v));
  }

  /** Appends a header field at the end of the header section. */
  public MessageEditor addHeader(String name, String value) {
    return splice(endOfHeaders(), endOfHeaders(), line(name, value));
  }

  /**
   * Appends a header field line copied verbatim, e.g. an Identity line taken from a 302 with
   * {@link SipMessage#headerLineBytes(int)}; the CRLF is added.
   */
  public MessageEditor addHeaderLine(byte[] lineWithoutCrlf) {
    byte[] out = Arrays.copyOf(lineWithoutCrlf, lineWithoutCrlf.length + 2);
    out[out.length - 2] = '\r';
    out[out.length - 1] = '\n';
    return splice(endOfHeaders(), endOfHeaders(), out);
  }

  /** Removes every header field with that name (long or compact form). */
  public MessageEditor removeHeaders(HeaderName name) {
    for (int i = m.indexOf(name); i >= 0; i = m.indexOf(name, i + 1)) {
      splice(m.headerLineStart(i), m.headerLineEnd(i), null);
    }
    return this;
  }

  /** Replaces every field of that name by one with the given value, at the end of the header. */
  public MessageEditor replaceHeader(HeaderName name, String value) {
    removeHeaders(name);
    return addHeader(name.name(), value);
  }

  /**
   * Records where the request really came from on its top Via (RFC 3261 18.2.1, RFC 3581):
   * sets {@code received}, and fills {@code rport} when the Via asked for it.
   *
   * @param received source address (IPv6 without brackets is fine per RFC 5118), null to leave
   * @param rport source port, written only when the Via carries an rport parameter
   */
  public MessageEditor setTopViaReceived(String received, int rport) {
    int i = m.indexOf(HeaderName.VIA);
    if (i < 0) throw new IllegalStateException("no Via");
    byte[] b = m.buf;
    int[] s = new int[HeaderScanner.VIA_SPANS];
    if (HeaderScanner.scanVia(b, m.headerValueStart(i), m.headerValueEnd(i), s) < 0) {
      throw new IllegalStateException("malformed Via");
    }
    int ps = s[HeaderScanner.VIA_PARAMS];
    int pe = s[HeaderScanner.VIA_PARAMS + 1];
    long rp = HeaderScanner.findParam(b, ps, pe, "rport");
    if (rp >= 0 && rport >= 0) {
      int vs = (int) (rp >>> 32);
      int ve = (int) rp;
      if (vs == ve) {
        splice(ve, ve, ascii("=" + rport));
      } else {
        splice(vs, ve, number(rport));
      }
    }
    if (received != null) {
      long rc = HeaderScanner.findParam(b, ps, pe, "received");
      if (rc >= 0 && (int) (rc >>> 32) != (int) rc) {
        splice((int) (rc >>> 32), (int) rc, ascii(received));
      } else if (rc < 0) {
        splice(pe, pe, ascii(";received=" + received));
      }
    }
    return this;
  }

  /** Adds Content-Length when absent, as a stream transport requires (RFC 3261 18.3). */
  public MessageEditor ensureContentLength() {
    if (m.contentLength >= 0) return this;
    return addHeader("Content-Length", Integer.toString(m.end - m.bodyStart));
  }

  // ---- output ------------------------------------------------------------------------------

  private void sort() {
    // few edits: insertion sort by position, stable for equal positions
    for (int i = 1; i < n; i++) {
      int f = from[i];
      int t = to[i];
      byte[] ins = insert[i];
      int j = i - 1;
      while (j >= 0 && from[j] > f) {
        from[j + 1] = from[j];
        to[j + 1] = to[j];
        insert[j + 1] = insert[j];
        j--;
      }
      from[j + 1] = f;
      to[j + 1] = t;
      insert[j + 1] = ins;
    }
    for (int i = 1; i < n; i++) {
      if (from[i] < to[i - 1]) throw new IllegalStateException("overlapping edits");
    }
  }

  /** Size of the edited message in bytes. */
  public int length() {
    int len = m.end - m.start;
    for (int i = 0; i < n; i++) {
      len += (insert[i] == null ? 0 : insert[i].length) - (to[i] - from[i]);
    }
    return len;
  }

  /** Writes the edited message into dst at off; returns the number of bytes written. */
  public int writeTo(byte[] dst, int off) {
    sort();
    byte[] src = m.buf;
    int pos = m.start;
    int o = off;
    for (int i = 0; i < n; i++) {
      int len = from[i] - pos;
      System.arraycopy(src, pos, dst, o, len);
      o += len;
      byte[] ins = insert[i];
      if (ins != null) {
        System.arraycopy(ins, 0, dst, o, ins.length);
        o += ins.length;
      }
      pos = to[i];
    }
    int len = m.end - pos;
    System.arraycopy(src, pos, dst, o, len);
    return o + len - off;
  }

  /** The edited message as a new array. */
  public byte[] toBytes() {
    byte[] out = new byte[length()];
    writeTo(out, 0);
    return out;
  }
}
