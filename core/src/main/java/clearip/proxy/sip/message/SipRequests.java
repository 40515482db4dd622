package clearip.proxy.sip.message;

import clearip.proxy.sip.header.HeaderName;
import java.nio.charset.StandardCharsets;

/**
 * Builds the requests a proxy originates for a transaction it forwarded: the hop-by-hop ACK for
 * a non-2xx final (RFC 3261 section 17.1.1.3), CANCEL (section 9.1), and OPTIONS health pings.
 */
public final class SipRequests {
  private SipRequests() {}

  /**
   * The ACK for a non-2xx final response to an INVITE we forwarded: same Request-URI, our Via
   * (same branch), Route, From, Call-ID and CSeq number as the INVITE; To from the response.
   */
  public static byte[] ackFor(SipRequest invite, String requestUri, String ourVia,
      SipResponse response) {
    StringBuilder sb = start("ACK", requestUri, ourVia);
    routes(sb, invite);
    sb.append("From: ").append(invite.header(HeaderName.FROM)).append("\r\n");
    sb.append("To: ").append(response.header(HeaderName.TO)).append("\r\n");
    return finish(sb, invite, "ACK");
  }

  /** The CANCEL of an INVITE we forwarded on the branch in {@code ourVia}. */
  public static byte[] cancelFor(SipRequest invite, String requestUri, String ourVia,
      String reason) {
    StringBuilder sb = start("CANCEL", requestUri, ourVia);
    routes(sb, invite);
    sb.append("From: ").append(invite.header(HeaderName.FROM)).append("\r\n");
    sb.append("To: ").append(invite.header(HeaderName.TO)).append("\r\n");
    if (reason != null) sb.append("Reason: ").append(reason).append("\r\n");
    return finish(sb, invite, "CANCEL");
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

  private static void routes(StringBuilder sb, SipRequest invite) {
    for (int i = invite.indexOf(HeaderName.ROUTE); i >= 0;
        i = invite.indexOf(HeaderName.ROUTE, i + 1)) {
      sb.append("Route: ").append(invite.headerValue(i)).append("\r\n");
    }
  }

  private static byte[] finish(StringBuilder sb, SipRequest invite, String method) {
    sb.append("Call-ID: ").append(invite.callId()).append("\r\n");
    sb.append("CSeq: ").append(invite.cseqNumber()).append(' ').append(method).append("\r\n");
    sb.append("Content-Length: 0\r\n\r\n");
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }
}
