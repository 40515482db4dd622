package clearip.proxy.sip.message;

import clearip.proxy.sip.header.HeaderName;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds the requests a proxy originates for a transaction it forwarded: the hop-by-hop ACK for
 * a non-2xx final (RFC 3261 section 17.1.1.3), CANCEL (section 9.1), and OPTIONS health pings.
 */
public final class SipRequests {
  // the fixed text of ACK and CANCEL
  private static final byte[] ACK = ascii("ACK");
  private static final byte[] CANCEL = ascii("CANCEL");
  private static final byte[] VERSION_VIA = ascii(" SIP/2.0\r\nVia: ");
  private static final byte[] MAX_FORWARDS = ascii("\r\nMax-Forwards: 70\r\n");
  private static final byte[] ROUTE = ascii("Route: ");
  private static final byte[] FROM = ascii("From: ");
  private static final byte[] TO = ascii("\r\nTo: ");
  private static final byte[] REASON = ascii("Reason: ");
  private static final byte[] CALL_ID = ascii("Call-ID: ");
  private static final byte[] CSEQ = ascii("\r\nCSeq: ");
  private static final byte[] END = ascii("\r\nContent-Length: 0\r\n\r\n");
  private static final byte[] CRLF = ascii("\r\n");

  private SipRequests() {}

  /**
   * The ACK for a non-2xx final response to an INVITE we forwarded: same Request-URI, our Via
   * (same branch), Route, From, Call-ID and CSeq number as the INVITE; To from the response.
   */
  public static byte[] ackFor(SipRequest invite, String requestUri, String ourVia,
      SipResponse response) {
    return hopByHop(ACK, requestUri, ourVia, invite, response, null);
  }

  /** The CANCEL of an INVITE we forwarded on the branch in {@code ourVia}. */
  public static byte[] cancelFor(SipRequest invite, String requestUri, String ourVia,
      String reason) {
    return hopByHop(CANCEL, requestUri, ourVia, invite, invite, reason);
  }

  /** An OPTIONS request, e.g. a health ping to ClearIP. */
  public static byte[] options(String requestUri, String ourVia, String fromUri, String fromTag,
      String callId, long cseq) {
    StringBuilder sb = start("OPTIONS", requestUri, ourVia);
    sb.append("From: <").append(fromUri).append(">;tag=").append(fromTag).append("\r\n");
    sb.append("To: <").append(requestUri).append(">\r\n");
    sb.append("Call-ID: ").append(callId).append("\r\n");
    sb.append("CSeq: ").append(cseq).append(" OPTIONS\r\n");
    sb.append("Content-Length: 0\r\n\r\n");
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static StringBuilder start(String method, String requestUri, String ourVia) {
    StringBuilder sb = new StringBuilder(512);
    sb.append(method).append(' ').append(requestUri).append(" SIP/2.0\r\n");
    sb.append("Via: ").append(ourVia).append("\r\n");
    sb.append("Max-Forwards: 70\r\n");
    return sb;
  }

  // ---- ACK and CANCEL: written straight into one array -------------------------------------

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * The header values are copied from the messages' bytes. The result is the text a
   * StringBuilder would give: folded values unfolded, absent ones "null", all in UTF-8.
   */
  private static byte[] hopByHop(byte[] method, String requestUri, String ourVia,
      SipRequest invite, SipMessage toSource, String reason) {
    int from = invite.indexOf(HeaderName.FROM);
    int to = toSource.indexOf(HeaderName.TO);
    int callId = invite.indexOf(HeaderName.CALL_ID);
    long cseq = invite.cseqNumber();
    int size = 2 * method.length + 1 + Writer.length(requestUri) + VERSION_VIA.length
        + Writer.length(ourVia) + MAX_FORWARDS.length
        + FROM.length + Writer.length(invite, from) + TO.length + Writer.length(toSource, to)
        + CRLF.length + CALL_ID.length + Writer.length(invite, callId)
        + CSEQ.length + Writer.digits(cseq) + 1 + END.length;
    for (int i = invite.indexOf(HeaderName.ROUTE); i >= 0;
        i = invite.indexOf(HeaderName.ROUTE, i + 1)) {
      size += ROUTE.length + Writer.length(invite, i) + CRLF.length;
    }
    if (reason != null) size += REASON.length + Writer.length(reason) + CRLF.length;
    Writer w = new Writer(size);
    w.bytes(method).ascii(' ').text(requestUri).bytes(VERSION_VIA).text(ourVia)
        .bytes(MAX_FORWARDS);
    for (int i = invite.indexOf(HeaderName.ROUTE); i >= 0;
        i = invite.indexOf(HeaderName.ROUTE, i + 1)) {
      w.bytes(ROUTE).value(invite, i).bytes(CRLF);
    }
    w.bytes(FROM).value(invite, from).bytes(TO).value(toSource, to).bytes(CRLF);
    if (reason != null) w.bytes(REASON).text(reason).bytes(CRLF);
    w.bytes(CALL_ID).value(invite, callId).bytes(CSEQ).number(cseq).ascii(' ').bytes(method)
        .bytes(END);
    return w.toBytes();
  }

  /**
   * Appends to an array sized up front. The sizes assume ASCII, as SIP nearly always is; other
   * text is encoded as UTF-8 and grows the array.
   */
  private static final class Writer {
    private byte[] buf;
    private int n;

    Writer(int size) {
      buf = new byte[size];
    }

    static int length(String s) {
      return s == null ? 4 : s.length();
    }

    static int length(SipMessage m, int i) {
      return i < 0 ? 4 : m.headerValueEnd(i) - m.headerValueStart(i);
    }

    static int digits(long v) {
      if (v < 0) return Long.toString(v).length();
      int d = 1;
      while (v >= 10) {
        v /= 10;
        d++;
      }
      return d;
    }

    private void ensure(int more) {
      if (n + more > buf.length) buf = Arrays.copyOf(buf, Math.max(2 * buf.length, n + more));
    }

    Writer ascii(char c) {
      ensure(1);
      buf[n++] = (byte) c;
      return this;
    }

    Writer bytes(byte[] b) {
      return bytes(b, 0, b.length);
    }

    Writer bytes(byte[] b, int from, int to) {
      int len = to - from;
      ensure(len);
      System.arraycopy(b, from, buf, n, len);
      n += len;
      return this;
    }

    /** As {@code StringBuilder.append(String)} then UTF-8: null is "null". */
    Writer text(String s) {
      if (s == null) s = "null";
      int len = s.length();
      ensure(len);
      for (int i = 0; i < len; i++) {
        char c = s.charAt(i);
        // n is not advanced yet: the encoded string overwrites what was copied
        if (c >= 0x80) return bytes(s.getBytes(StandardCharsets.UTF_8));
        buf[n + i] = (byte) c;
      }
      n += len;
      return this;
    }

    /**
     * Header field i's value as {@link SipMessage#headerValue} gives it: the bytes themselves
     * unless decoding could change them (a fold, or bytes beyond ASCII).
     */
    Writer value(SipMessage m, int i) {
      if (i < 0) return text(null);
      byte[] src = m.buffer();
      int from = m.headerValueStart(i);
      int to = m.headerValueEnd(i);
      for (int k = from; k < to; k++) {
        byte c = src[k];
        if (c < 0 || c == '\r') return text(m.headerValue(i));
      }
      return bytes(src, from, to);
    }

    Writer number(long v) {
      if (v < 0) return text(Long.toString(v));
      int d = digits(v);
      ensure(d);
      for (int i = n + d - 1; i >= n; i--) {
        buf[i] = (byte) ('0' + v % 10);
        v /= 10;
      }
      n += d;
      return this;
    }

    byte[] toBytes() {
      return n == buf.length ? buf : Arrays.copyOf(buf, n);
    }
  }
}
