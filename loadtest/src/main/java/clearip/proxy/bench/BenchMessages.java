package clearip.proxy.bench;

import java.nio.charset.StandardCharsets;

/**
 * Owns the SIP messages the benchmarks feed to the codecs: an INVITE and a 302 shaped like the
 * traffic a carrier switch and ClearIP exchange, so every benchmark measures the same bytes.
 */
public final class BenchMessages {
  private BenchMessages() {}

  /**
   * A SHAKEN PASSporT (RFC 8225/8588) with its Identity parameters (RFC 8224). The token decodes
   * to header {@code {"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"<info URL>"}} and
   * payload {@code {"attest":"A","dest":{"tn":["14016401234"]},"iat":1700000000,
   * "orig":{"tn":"14045266060"},"origid":"8e1b5a4c-..."}}; the signature is 64 opaque bytes, as
   * ES256 produces. Its size (about 560 bytes) is what real carrier traffic carries.
   */
  public static final String IDENTITY =
      "eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6"
          + "Ly9jZXJ0LmV4YW1wbGUub3JnL3N0aS9zaGFrZW4vdjEvN2QyZjNjOWU0YTFiNGU2ZjhjNWQwYjlhMWUy"
          + "ZjNjNGQvY2VydC5wZW0ifQ"
          + ".eyJhdHRlc3QiOiJBIiwiZGVzdCI6eyJ0biI6WyIxNDAxNjQwMTIzNCJdfSwiaWF0IjoxNzAwMDAwMDAw"
          + "LCJvcmlnIjp7InRuIjoiMTQwNDUyNjYwNjAifSwib3JpZ2lkIjoiOGUxYjVhNGMtMmYwZC00YjdhLTlj"
          + "M2UtNmQyYTFmMGI3ZTU1In0"
          + ".xm6RlPDY1di2sVpU0R4ZSZNtgt1545ivR6TLO8xTpNjjFTsUlD2jH_VEnmgPFc3Y3IW_fdcL6rqJ6e-vuF"
          + "Recw"
          + ";info=<https://cert.example.org/sti/shaken/v1/7d2f3c9e4a1b4e6f8c5d0b9a1e2f3c4d/cert.pem>"
          + ";alg=ES256;ppt=shaken";

  private static final String SDP =
      "v=0\r\n"
          + "o=switch 2890844526 2890844527 IN IP4 192.0.2.20\r\n"
          + "s=-\r\n"
          + "c=IN IP4 192.0.2.30\r\n"
          + "t=0 0\r\n"
          + "m=audio 49170 RTP/AVP 0 8 101\r\n"
          + "a=rtpmap:101 telephone-event/8000\r\n"
          + "a=ptime:20\r\n";

  /** The INVITE a switch sends over UDP: two Vias, PAI, a SHAKEN Identity and an SDP offer. */
  public static final String INVITE =
      "INVITE sip:+14016401234@outbound.sip.clearip.com;user=phone SIP/2.0\r\n"
          + "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-524287-1-5f2c1e9a7d3b;rport\r\n"
          + "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK3f1c2a8e;received=198.51.100.7\r\n"
          + "Max-Forwards: 69\r\n"
          + "From: <sip:+14045266060@192.0.2.20>;tag=bjjplA8zKH1Z1ifnC74B70\r\n"
          + "To: <sip:+14016401234@outbound.sip.clearip.com>\r\n"
          + "Call-ID: 5f2c1e9a-7d3b-4c8e-9f1a-2b6d8e0c4a71@192.0.2.20\r\n"
          + "CSeq: 201 INVITE\r\n"
          + "Contact: <sip:+14045266060@192.0.2.20:5060;transport=udp>\r\n"
          + "P-Asserted-Identity: <sip:+14045266060@192.0.2.20>\r\n"
          + "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE\r\n"
          + "Supported: 100rel, timer\r\n"
          + "Identity: " + IDENTITY + "\r\n"
          + "Content-Type: application/sdp\r\n"
          + "Content-Length: " + SDP.length() + "\r\n"
          + "\r\n"
          + SDP;

  /** Number of Contacts in {@link #REDIRECT}. */
  public static final int REDIRECT_CONTACTS = 12;

  /**
   * ClearIP's routing answer: a 302 with 12 Contacts in one comma-separated header, q from 0.99
   * down to 0.88, a Reason and the Identity to put on the rerouted INVITE.
   */
  public static final String REDIRECT =
      "SIP/2.0 302 Moved Temporarily\r\n"
          + "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK-clearip-7f3a9c01\r\n"
          + "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-524287-1-5f2c1e9a7d3b"
          + ";rport=5060;received=192.0.2.20\r\n"
          + "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK3f1c2a8e;received=198.51.100.7\r\n"
          + "From: <sip:+14045266060@192.0.2.20>;tag=bjjplA8zKH1Z1ifnC74B70\r\n"
          + "To: <sip:+14016401234@outbound.sip.clearip.com>;tag=e78d7458-5545\r\n"
          + "Call-ID: 5f2c1e9a-7d3b-4c8e-9f1a-2b6d8e0c4a71@192.0.2.20\r\n"
          + "CSeq: 201 INVITE\r\n"
          + "Contact: " + contacts(REDIRECT_CONTACTS) + "\r\n"
          + "Reason: SIP;cause=302;text=\"no-fraud-detected\"\r\n"
          + "Identity: " + IDENTITY + "\r\n"
          + "Content-Length: 0\r\n"
          + "\r\n";

  /** The Via a proxy puts on top of the INVITE it forwards to ClearIP over TLS. */
  public static final String PROXY_VIA_HOST = "192.0.2.10";

  public static final int PROXY_VIA_PORT = 5061;
  public static final String PROXY_VIA_BRANCH = "z9hG4bK-clearip-7f3a9c01";
  public static final String PROXY_VIA =
      "SIP/2.0/TLS " + PROXY_VIA_HOST + ":" + PROXY_VIA_PORT + ";branch=" + PROXY_VIA_BRANCH;

  /** {@code <sip:+14016401234@10.0.0.N;transport=udp>;q=0.99}, then 0.98, ... comma-separated. */
  private static String contacts(int n) {
    StringBuilder c = new StringBuilder();
    for (int i = 1; i <= n; i++) {
      if (i > 1) c.append(", ");
      c.append("<sip:+14016401234@10.0.0.").append(i).append(";transport=udp>;q=0.")
          .append(100 - i);
    }
    return c.toString();
  }

  public static byte[] bytes(String message) {
    return message.getBytes(StandardCharsets.US_ASCII);
  }
}
