package clearip.proxy.sip.testing;

import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.message.SipMessage;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import java.nio.charset.StandardCharsets;

/** Sample messages shaped like real switch and ClearIP traffic, shared by tests of all modules. */
public final class SipFixtures {
  private SipFixtures() {}

  public static final String IDENTITY = "eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0"
      + "IiwieDV1IjoiaHR0cHM6Ly9jZXJ0LmV4YW1wbGUub3JnL3NoYWtlbi5wZW0ifQ.eyJhdHRlc3QiOiJBIiwiZGVzd"
      + "CI6eyJ0biI6WyIxNDAxNjQwMTIzNCJdfSwiaWF0IjoxNzAwMDAwMDAwLCJvcmlnIjp7InRuIjoiMTQwNDUyNjYwN"
      + "jAifSwib3JpZ2lkIjoiMTIzZTQ1NjctZTg5Yi0xMmQzLWE0NTYtNDI2NjE0MTc0MDAwIn0.MEUCIQDf3u0d8r7Gx"
      + "9Zk2b4mK1q0wJt2d5yV8p3sX7kQ1aLzQIgV4nT6cP9yR2eW5uH8jK3lM0oN1qS4tU7vX0yZ2bC5dE"
      + ";info=<https://cert.example.org/shaken.pem>;alg=ES256;ppt=\"shaken\"";

  /** An INVITE from a switch over UDP, with an Identity header, two Vias and SDP. */
  public static String invite(String callId, String branch) {
    String sdp = "v=0\r\n"
        + "o=switch 2890844526 2890844526 IN IP4 192.0.2.20\r\n"
        + "s=-\r\n"
        + "c=IN IP4 192.0.2.20\r\n"
        + "t=0 0\r\n"
        + "m=audio 49170 RTP/AVP 0 8 101\r\n"
        + "a=rtpmap:101 telephone-event/8000\r\n";
    return "INVITE sip:+14016401234@outbound.sip.clearip.com SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=" + branch + ";rport\r\n"
        + "Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKorigin1;received=192.0.2.21\r\n"
        + "Max-Forwards: 69\r\n"
        + "From: \"Caller Name\" <sip:+14045266060@192.0.2.20>;tag=bjjplA8zKH1Z1ifnC74B70\r\n"
        + "To: <sip:+14016401234@outbound.sip.clearip.com>\r\n"
        + "Call-ID: " + callId + "\r\n"
        + "CSeq: 201 INVITE\r\n"
        + "Contact: <sip:+14045266060@192.0.2.20:5060>\r\n"
        + "P-Asserted-Identity: <sip:+14045266060@192.0.2.20>\r\n"
        + "Identity: " + IDENTITY + "\r\n"
        + "X-Unknown-Header: keep ;;me,,\"as is\"\r\n"
        + "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
        + "Content-Type: application/sdp\r\n"
        + "Content-Length: " + sdp.length() + "\r\n"
        + "\r\n"
        + sdp;
  }

  /** ClearIP's routing answer: a 302 with Contacts in q order and a Reason, as documented. */
  public static String redirect(String callId, String topBranch, int contacts) {
    StringBuilder c = new StringBuilder();
    for (int i = 1; i <= contacts; i++) {
      if (i > 1) c.append(", ");
      c.append("<sip:+14016401234@10.0.0.").append(i).append(";transport=udp>;q=0.")
          .append(100 - i);
    }
    return "SIP/2.0 302 Moved Temporarily\r\n"
        + "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=" + topBranch + "\r\n"
        + "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKsw1;rport=5060;received=192.0.2.20\r\n"
        + "To: <sip:+14016401234@outbound.sip.clearip.com>;tag=e78d7458-5545\r\n"
        + "From: \"Caller Name\" <sip:+14045266060@192.0.2.20>;tag=bjjplA8zKH1Z1ifnC74B70\r\n"
        + "Call-ID: " + callId + "\r\n"
        + "CSeq: 201 INVITE\r\n"
        + "Contact: " + c + "\r\n"
        + "Reason: SIP;cause=302;text=\"no-fraud-detected\"\r\n"
        + "Identity: " + IDENTITY + "\r\n"
        + "Content-Length: 0\r\n"
        + "\r\n";
  }

  public static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  public static SipMessage decode(String s) {
    Decoded d = new SipDecoder().decode(bytes(s));
    if (d instanceof Decoded.Ok ok) return ok.message();
    throw new AssertionError("fixture does not decode: " + d);
  }

  public static SipRequest request(String s) {
    return (SipRequest) decode(s);
  }

  public static SipResponse response(String s) {
    return (SipResponse) decode(s);
  }
}
