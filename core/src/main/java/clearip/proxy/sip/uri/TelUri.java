package clearip.proxy.sip.uri;

import clearip.proxy.sip.syntax.Parameters;
import java.nio.charset.StandardCharsets;

/** A tel URI (RFC 3966): the number as written and its parameters. */
public record TelUri(String number, Parameters params) implements Uri {

  /** Parses {@code tel:+1-201-555-0123;phone-context=...}; null when malformed. */
  public static TelUri parse(String text) {
    if (text.length() < 5 || !text.regionMatches(true, 0, "tel:", 0, 4)) return null;
    int semi = text.indexOf(';', 4);
    String number = semi < 0 ? text.substring(4) : text.substring(4, semi);
    if (number.isEmpty()) return null;
    for (int i = 0; i < number.length(); i++) {
      char c = number.charAt(i);
      boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
          || c == '+' || c == '-' || c == '.' || c == '(' || c == ')' || c == '*' || c == '#';
      if (!ok) return null;
    }
    Parameters p = Parameters.EMPTY;
    if (semi >= 0) {
      byte[] b = text.getBytes(StandardCharsets.UTF_8);
      p = Parameters.parse(b, semi, b.length);
    }
    return new TelUri(number, p);
  }

  @Override
  public String scheme() {
    return "tel";
  }

  /** The number without visual separators ({@code -.()}), as routing compares it. */
  public String digits() {
    return SipUri.stripVisualSeparators(number);
  }

  @Override
  public String toString() {
    return "tel:" + number + params;
  }
}
