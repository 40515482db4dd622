package clearip.proxy.sip.message;

import clearip.proxy.sip.syntax.SipChars;

/** A SIP response: status code, reason phrase and the headers and body of {@link SipMessage}. */
public final class SipResponse extends SipMessage {
  final int statusCode;
  final int reasonStart;

  public SipResponse(Layout l) {
    super(l);
    this.statusCode = l.statusCode;
    this.reasonStart = l.reasonStart;
  }

  public int statusCode() {
    return statusCode;
  }

  /** The reason phrase as written (may be empty). */
  public String reasonPhrase() {
    return SipChars.string(buf, reasonStart, startLineEnd);
  }

  public boolean isProvisional() {
    return statusCode < 200;
  }

  public boolean isFinal() {
    return statusCode >= 200;
  }

  public boolean isSuccess() {
    return statusCode >= 200 && statusCode < 300;
  }
}
