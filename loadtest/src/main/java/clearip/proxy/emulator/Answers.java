package clearip.proxy.emulator;

import clearip.proxy.sip.header.HeaderName;
import clearip.proxy.sip.message.ByteBuilder;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponses;
import java.nio.charset.StandardCharsets;

/**
 * Assembles responses from the request's own bytes: the status line and every static header are
 * precomputed; Via, From, To, Call-ID and CSeq lines are copied verbatim from the request (RFC 3261
 * section 8.2.6.2), To gets a tag derived from the request when it has none. No per-request
 * String formatting beyond the dynamic values (Contacts, Identity, PAI).
 */
final class Answers {
  static final String ALLOW = "INVITE, ACK, CANCEL, OPTIONS";

  private static final byte[] CRLF = bytes("\r\n");
  private static final byte[] TAG = bytes(";tag=");
  private static final byte[] END = bytes("Content-Length: 0\r\n\r\n");
  private static final byte[] HEX = bytes("0123456789abcdef");
  private static final int VIA = HeaderName.VIA.id();
  private static final int FROM = HeaderName.FROM.id();
  private static final int TO = HeaderName.TO.id();
  private static final int CALL_ID = HeaderName.CALL_ID.id();
  private static final int CSEQ = HeaderName.CSEQ.id();
  private static final ThreadLocal<ByteBuilder> SCRATCH =
      ThreadLocal.withInitial(() -> new ByteBuilder(2048));

  private Answers() {}

  /** The fixed parts of one kind of answer: status line, and the headers after the dynamic ones. */
  record Fixed(int status, byte[] statusLine, byte[] tail) {

    static Fixed of(int status, String... headers) {
      return withPhrase(status, SipResponses.reasonPhrase(status), headers);
    }

    static Fixed withPhrase(int status, String reasonPhrase, String... headers) {
      StringBuilder sb = new StringBuilder();
      for (String h : headers) sb.append(h).append("\r\n");
      sb.append("Content-Length: 0\r\n\r\n");
      return new Fixed(status, bytes("SIP/2.0 " + status + " " + reasonPhrase + "\r\n"),
          bytes(sb.toString()));
    }
  }

  static final Fixed OK_OPTIONS = Fixed.of(200, "Allow: " + ALLOW, "Accept: application/sdp");
  static final Fixed OK_CANCEL = Fixed.of(200);
  static final Fixed NOT_ALLOWED = Fixed.of(405, "Allow: " + ALLOW);
  static final Fixed TERMINATED = Fixed.of(487);
  static final Fixed NO_TRANSACTION = Fixed.of(481);
  static final Fixed FORBIDDEN = Fixed.of(403);

  /** A response with no dynamic headers. */
  static byte[] write(SipRequest req, Fixed fixed) {
    return write(req, fixed, null);
  }

  /**
   * A response: status line, the request's Via/From/To/Call-ID/CSeq lines, {@code dynamic} (whole
   * header lines with their CRLFs, or null), then the fixed tail.
   */
  static byte[] write(SipRequest req, Fixed fixed, CharSequence dynamic) {
    ByteBuilder out = SCRATCH.get().reset();
    out.append(fixed.statusLine());
    byte[] b = req.buffer();
    int n = req.headerCount();
    for (int i = 0; i < n; i++) {
      int id = req.headerId(i);
      if (id == VIA || id == FROM || id == CALL_ID || id == CSEQ) {
        out.append(b, req.headerLineStart(i), req.headerLineEnd(i));
      } else if (id == TO) {
        if (req.toTag() != null) {
          out.append(b, req.headerLineStart(i), req.headerLineEnd(i));
        } else {
          out.append(b, req.headerLineStart(i), req.headerValueEnd(i)).append(TAG);
          appendToTag(out, req);
          out.append(CRLF);
        }
      }
    }
    if (dynamic != null) out.append(dynamic);
    out.append(fixed.tail());
    return out.toByteArray();
  }

  /**
   * The To tag this emulator gives a request: a hash of its Call-ID and top Via, so that
   * retransmissions and the CANCEL of an INVITE (same Call-ID, same top Via) all get the same tag.
   */
  static String toTag(SipRequest req) {
    ByteBuilder bb = new ByteBuilder(16);
    appendToTag(bb, req);
    return new String(bb.toByteArray(), StandardCharsets.US_ASCII);
  }

  private static void appendToTag(ByteBuilder out, SipRequest req) {
    long h = 0xcbf29ce484222325L; // FNV-1a 64
    h = hashValue(req, req.indexOf(HeaderName.CALL_ID), h);
    h = hashValue(req, req.indexOf(HeaderName.VIA), h);
    for (int shift = 60; shift >= 0; shift -= 4) out.append(HEX[(int) (h >>> shift) & 0xf]);
  }

  private static long hashValue(SipRequest req, int i, long h) {
    if (i < 0) return h;
    byte[] b = req.buffer();
    for (int k = req.headerValueStart(i), e = req.headerValueEnd(i); k < e; k++) {
      h ^= b[k] & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Reads the number-ish user part of a URI: {@code sip:+1401@h;x} and {@code tel:+1401;npdi}
   * both give {@code +1401}. User parameters (after ';') and a password are dropped. Empty when
   * the URI has no user part.
   */
  static String userPart(String uri) {
    if (uri == null) return "";
    int colon = uri.indexOf(':');
    if (colon < 0) return "";
    String scheme = uri.substring(0, colon);
    boolean tel = scheme.equalsIgnoreCase("tel");
    int end;
    if (tel) {
      end = uri.length();
    } else if (scheme.equalsIgnoreCase("sip") || scheme.equalsIgnoreCase("sips")) {
      end = uri.indexOf('@', colon + 1);
      if (end < 0) return "";
    } else {
      return "";
    }
    for (int k = colon + 1; k < end; k++) {
      char c = uri.charAt(k);
      if (c == ';' || (c == ':' && !tel)) {
        end = k;
        break;
      }
    }
    return uri.substring(colon + 1, end);
  }

}
