package clearip.proxy.sip.header;

import clearip.proxy.sip.syntax.Parameters;
import java.nio.charset.StandardCharsets;

/**
 * A Reason value (RFC 3326), e.g. {@code SIP;cause=302;text="no-fraud-detected"}.
 *
 * @param protocol {@code SIP}, {@code Q.850}, ...
 * @param cause the cause code, or -1 when absent
 * @param text the text without its quotes, or null
 */
public record Reason(String protocol, int cause, String text) {

  /** Parses one Reason value; null when malformed. */
  public static Reason parse(String value) {
    byte[] b = value.getBytes(StandardCharsets.UTF_8);
    int i = clearip.proxy.sip.syntax.SipChars.skipLws(b, 0, b.length);
    int s = i;
    i = clearip.proxy.sip.syntax.SipChars.skipToken(b, i, b.length);
    if (i == s) return null;
    String protocol = new String(b, s, i - s, StandardCharsets.UTF_8);
    if (clearip.proxy.sip.syntax.HeaderScanner.scanParams(b, i, b.length) < 0) return null;
    Parameters p = Parameters.parse(b, i, b.length);
    int cause = -1;
    String c = p.get("cause");
    if (c != null) {
      try {
        cause = Integer.parseInt(c);
      } catch (NumberFormatException e) {
        return null;
      }
    }
    String text = p.get("text");
    if (text != null && text.length() >= 2 && text.startsWith("\"") && text.endsWith("\"")) {
      text = text.substring(1, text.length() - 1);
    }
    return new Reason(protocol, cause, text);
  }

  @Override
  public String toString() {
    return protocol + (cause >= 0 ? ";cause=" + cause : "")
        + (text != null ? ";text=\"" + text.replace("\"", "\\\"") + "\"" : "");
  }
}
