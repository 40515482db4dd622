package clearip.proxy.emulator;

import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.testing.SipFixtures;

/** Requests shaped like a switch's, with the parts the rules look at made variable. */
final class Requests {
  private Requests() {}

  static SipRequest invite(String ruri, String fromUser, String callId, String branch) {
    return SipFixtures.request(inviteText(ruri, fromUser, callId, branch));
  }

  static SipRequest invite(String calledUser, String fromUser) {
    return invite("sip:" + calledUser + "@outbound.sip.clearip.com", fromUser, "call-1@192.0.2.20",
        "z9hG4bK-1");
  }

  static String inviteText(String ruri, String fromUser, String callId, String branch) {
    return "INVITE " + ruri + " SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=" + branch + ";rport\r\n"
        + "Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKorigin1;received=192.0.2.21\r\n"
        + "Max-Forwards: 69\r\n"
        + "From: \"Caller\" <sip:" + fromUser + "@192.0.2.20>;tag=from-tag-1\r\n"
        + "To: <sip:+14016401234@outbound.sip.clearip.com>\r\n"
        + "Call-ID: " + callId + "\r\n"
        + "CSeq: 201 INVITE\r\n"
        + "Contact: <sip:" + fromUser + "@192.0.2.20:5060>\r\n"
        + "Content-Length: 0\r\n"
        + "\r\n";
  }

  /** A request of another method on the same transaction as {@link #inviteText}. */
  static SipRequest other(String method, String callId, String branch) {
    return SipFixtures.request(method + " sip:+14016401234@outbound.sip.clearip.com SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=" + branch + ";rport\r\n"
        + "Max-Forwards: 70\r\n"
        + "From: \"Caller\" <sip:+14045266060@192.0.2.20>;tag=from-tag-1\r\n"
        + "To: <sip:+14016401234@outbound.sip.clearip.com>\r\n"
        + "Call-ID: " + callId + "\r\n"
        + "CSeq: 201 " + method + "\r\n"
        + "Content-Length: 0\r\n"
        + "\r\n");
  }
}
