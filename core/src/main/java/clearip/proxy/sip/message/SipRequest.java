package clearip.proxy.sip.message;

import clearip.proxy.sip.syntax.SipChars;
import clearip.proxy.sip.uri.Uri;

/** A SIP request: method, Request-URI and the headers and body of {@link SipMessage}. */
public final class SipRequest extends SipMessage {
  final int methodEnd;
  final int uriStart;
  final int uriEnd;

  public SipRequest(Layout l) {
    super(l);
    this.methodEnd = l.methodEnd;
    this.uriStart = l.uriStart;
    this.uriEnd = l.uriEnd;
  }

  public String method() {
    return methodName(buf, start, methodEnd);
  }

  /** True when the method is exactly {@code m} (methods are case-sensitive). */
  public boolean methodIs(String m) {
    return SipChars.equalsBytes(buf, start, methodEnd - start, m);
  }

  public boolean isInvite() {
    return methodIs("INVITE");
  }

  public boolean isAck() {
    return methodIs("ACK");
  }

  public boolean isCancel() {
    return methodIs("CANCEL");
  }

  /** The Request-URI as written. */
  public String requestUri() {
    return SipChars.string(buf, uriStart, uriEnd);
  }

  public Uri parsedRequestUri() {
    return Uri.parse(requestUri());
  }

  /** Offset of the Request-URI in {@link #buffer()}. */
  public int requestUriStart() {
    return uriStart;
  }

  public int requestUriEnd() {
    return uriEnd;
  }
}
