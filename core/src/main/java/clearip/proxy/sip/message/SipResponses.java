package clearip.proxy.sip.message;

import clearip.proxy.sip.header.HeaderName;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Builds responses the proxy itself originates (100 Trying, 503 fail-open, 4xx for bad requests)
 * following RFC 3261 section 8.2.6.2: Via, From, Call-ID and CSeq copied from the request; To
 * copied and given a tag when it has none (except for 100).
 */
public final class SipResponses {
  private SipResponses() {}

  /** One extra header field of a generated response. */
  public record Header(String name, String value) {}

  /** The standard reason phrase of a status code the proxy generates. */
  public static String reasonPhrase(int status) {
    return switch (status) {
      case 100 -> "Trying";
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 408 -> "Request Timeout";
      case 413 -> "Request Entity Too Large";
      case 414 -> "Request-URI Too Long";
      case 416 -> "Unsupported URI Scheme";
      case 420 -> "Bad Extension";
      case 481 -> "Call/Transaction Does Not Exist";
      case 482 -> "Loop Detected";
      case 483 -> "Too Many Hops";
      case 487 -> "Request Terminated";
      case 500 -> "Server Internal Error";
      case 501 -> "Not Implemented";
      case 503 -> "Service Unavailable";
      case 504 -> "Server Time-out";
      case 505 -> "Version Not Supported";
      case 513 -> "Message Too Large";
      case 603 -> "Decline";
      default -> status < 200 ? "Session Progress" : "Error";
    };
  }

  /**
   * A response to a decoded request.
   *
   * @param toTag the tag to add to To when the request's To has none; ignored for 100
   */
  public static byte[] create(SipRequest request, int status, String reasonPhrase, String toTag,
      List<Header> extra) {
    StringBuilder sb = new StringBuilder(256 + request.length() / 4);
    statusLine(sb, status, reasonPhrase);
    for (int i = request.indexOf(HeaderName.VIA); i >= 0;
        i = request.indexOf(HeaderName.VIA, i + 1)) {
      sb.append("Via: ").append(request.headerValue(i)).append("\r\n");
    }
    sb.append("From: ").append(request.header(HeaderName.FROM)).append("\r\n");
    appendTo(sb, request.header(HeaderName.TO), request.toTag() == null, status, toTag);
    sb.append("Call-ID: ").append(request.callId()).append("\r\n");
    sb.append("CSeq: ").append(request.cseqNumber()).append(' ').append(request.cseqMethod())
        .append("\r\n");
    return finish(sb, extra);
  }

  /**
   * A stateless error response to a malformed request, from what the decoder could read of it.
   *
   * @param why the fault, for the Warning header
   */
  public static byte[] create(ResponseContext c, int status, String why, String toTag,
      String serverName) {
    StringBuilder sb = new StringBuilder(512);
    statusLine(sb, status, reasonPhrase(status));
    for (String v : c.vias()) sb.append("Via: ").append(v).append("\r\n");
    if (c.from() != null) sb.append("From: ").append(c.from()).append("\r\n");
    if (c.to() != null) {
      appendTo(sb, c.to(), !c.to().toLowerCase(java.util.Locale.ROOT).contains("tag="), status,
          toTag);
    }
    if (c.callId() != null) sb.append("Call-ID: ").append(c.callId()).append("\r\n");
    if (c.cseq() != null) sb.append("CSeq: ").append(c.cseq()).append("\r\n");
    // RFC 3261 20.43: warn-code 399 carries the reason for humans reading a trace
    String text = why.replace('"', '\'');
    return finish(sb, List.of(new Header("Warning", "399 " + serverName + " \"" + text + "\"")));
  }

  private static void statusLine(StringBuilder sb, int status, String reasonPhrase) {
    sb.append("SIP/2.0 ").append(status).append(' ').append(reasonPhrase).append("\r\n");
  }

  private static void appendTo(StringBuilder sb, String to, boolean needsTag, int status,
      String toTag) {
    sb.append("To: ").append(to);
    if (needsTag && status > 100 && toTag != null) sb.append(";tag=").append(toTag);
    sb.append("\r\n");
  }

  private static byte[] finish(StringBuilder sb, List<Header> extra) {
    for (Header h : extra) sb.append(h.name()).append(": ").append(h.value()).append("\r\n");
    sb.append("Content-Length: 0\r\n\r\n");
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }
}
