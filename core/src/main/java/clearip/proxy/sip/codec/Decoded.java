package clearip.proxy.sip.codec;

import clearip.proxy.sip.message.ResponseContext;
import clearip.proxy.sip.message.SipMessage;

/** What the decoder made of one framed message: a message, or why it is not one. */
public sealed interface Decoded {

  /** A well-formed message. */
  record Ok(SipMessage message) implements Decoded {}

  /**
   * A message that cannot be processed.
   *
   * @param status the response the RFC names for a malformed request (400, 414, 505, 513), or 0
   *     when nothing may be answered (a malformed response, or bytes that are not SIP at all)
   * @param reason why, for logs and a Warning header; never contains the raw input
   * @param request true when the start line (or its absence of a status code) marks a request
   * @param method the request method when readable, else null
   * @param context the header fields a stateless error response copies, where readable
   */
  record Malformed(int status, String reason, boolean request, String method,
      ResponseContext context) implements Decoded {

    /**
     * True when a stateless error response can and should be sent: a request (never an ACK) whose
     * Via is readable, so the response can be matched and routed.
     */
    public boolean canRespond() {
      return request && status > 0 && !"ACK".equals(method) && context.hasVia();
    }
  }
}
