package clearip.proxy.sip.message;

import clearip.proxy.sip.header.HeaderName;
import java.nio.charset.StandardCharsets;

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
    int size = 2 * method.length + 1 + length(requestUri) + VERSION_VIA.length
        + length(ourVia) + MAX_FORWARDS.length
        + FROM.length + length(invite, from) + TO.length + length(toSource, to)
        + CRLF.length + CALL_ID.length + length(invite, callId)
        + CSEQ.length + digits(cseq) + 1 + END.length;
    for (int i = invite.indexOf(HeaderName.ROUTE); i >= 0;
        i = invite.indexOf(HeaderName.ROUTE, i + 1)) {
      size += ROUTE.length + length(invite, i) + CRLF.length;
    }
    if (reason != null) size += REASON.length + length(reason) + CRLF.length;
    ByteBuilder w = new ByteBuilder(size);
    w.append(method).append((byte) ' ').append(text(requestUri)).append(VERSION_VIA)
        .append(text(ourVia)).append(MAX_FORWARDS);
    for (int i = invite.indexOf(HeaderName.ROUTE); i >= 0;
        i = invite.indexOf(HeaderName.ROUTE, i + 1)) {
      value(w.append(ROUTE), invite, i).append(CRLF);
    }
    value(w.append(FROM), invite, from);
    value(w.append(TO), toSource, to).append(CRLF);
    if (reason != null) w.append(REASON).append(reason).append(CRLF);
    value(w.append(CALL_ID), invite, callId).append(CSEQ).appendDecimal(cseq)
        .append((byte) ' ').append(method).append(END);
    return w.take();
  }

  /** As {@code StringBuilder.append(String)}: null is "null". */
  private static String text(String s) {
    return s == null ? "null" : s;
  }

  /**
   * Header field i's value as {@link SipMessage#headerValue} gives it: the bytes themselves
   * unless decoding could change them (a fold, or bytes beyond ASCII).
   */
  private static ByteBuilder value(ByteBuilder w, SipMessage m, int i) {
    if (i < 0) return w.append("null");
    byte[] src = m.buffer();
    int from = m.headerValueStart(i);
    int to = m.headerValueEnd(i);
    for (int k = from; k < to; k++) {
      byte c = src[k];
      if (c < 0 || c == '\r') return w.append(m.headerValue(i));
    }
    return w.append(src, from, to);
  }

  // sizes assume ASCII, as SIP nearly always is; other text is UTF-8 and grows the array

  private static int length(String s) {
    return s == null ? 4 : s.length();
  }

  private static int length(SipMessage m, int i) {
    return i < 0 ? 4 : m.headerValueEnd(i) - m.headerValueStart(i);
  }

  private static int digits(long v) {
    if (v < 0) return Long.toString(v).length();
    int d = 1;
    for (; v >= 10; v /= 10) d++;
    return d;
  }
}
