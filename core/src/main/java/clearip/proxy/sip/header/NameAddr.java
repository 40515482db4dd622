package clearip.proxy.sip.header;

import clearip.proxy.sip.syntax.HeaderScanner;
import clearip.proxy.sip.syntax.Parameters;
import clearip.proxy.sip.syntax.SipChars;
import clearip.proxy.sip.uri.Uri;

/**
 * A name-addr or addr-spec with header parameters, as in From, To, Contact, Route and
 * Record-Route. The URI text is kept verbatim (all URI parameters preserved).
 *
 * @param displayName display name as written (quotes kept), empty when absent
 * @param uri the URI text between the angle brackets (or the bare addr-spec)
 * @param params header parameters after the URI (tag, q, expires, ...)
 */
public record NameAddr(String displayName, String uri, Parameters params) {

  /** Parses one value; null when it does not follow the grammar. */
  public static NameAddr parse(byte[] b, int from, int to) {
    int[] s = new int[HeaderScanner.NA_SPANS];
    if (HeaderScanner.scanNameAddr(b, from, to, s) < 0) return null;
    return of(b, s);
  }

  /** Builds the value from spans already found by {@link HeaderScanner#scanNameAddr}. */
  public static NameAddr of(byte[] b, int[] s) {
    return new NameAddr(
        s[0] == s[1] ? "" : SipChars.string(b, s[0], s[1]),
        SipChars.string(b, s[2], s[3]),
        s[4] == s[5] ? Parameters.EMPTY : Parameters.parse(b, s[4], s[5]));
  }

  /** Parses one value from text; throws IllegalArgumentException when malformed. */
  public static NameAddr parse(String value) {
    byte[] b = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    NameAddr n = parse(b, 0, b.length);
    if (n == null) throw new IllegalArgumentException("not a name-addr: " + value);
    return n;
  }

  public String tag() {
    return params.get("tag");
  }

  /** The q parameter (RFC 3261 section 20.10), 1.0 when absent or unreadable. */
  public double q() {
    String q = params.get("q");
    if (q == null) return 1.0;
    double fast = qvalue(q);
    if (fast >= 0) return fast;
    try {
      double v = Double.parseDouble(q);
      return v >= 0 && v <= 1 ? v : 1.0;
    } catch (NumberFormatException e) {
      return 1.0;
    }
  }

  /**
   * A qvalue written as RFC 3261 25.1 has it, {@code 0[.ddd]} or {@code 1[.000]}, read without
   * {@link Double#parseDouble}; -1 for any other spelling. digits / 10^n is exactly what
   * parseDouble gives: both operands are exact doubles and IEEE division rounds correctly.
   */
  static double qvalue(String q) {
    int n = q.length();
    if (n == 0 || n == 2 || n > 5 || (q.charAt(0) != '0' && q.charAt(0) != '1')) return -1;
    if (n > 1 && q.charAt(1) != '.') return -1;
    int digits = 0;
    int scale = 1;
    for (int i = 2; i < n; i++) {
      int d = q.charAt(i) - '0';
      if (d < 0 || d > 9) return -1;
      digits = digits * 10 + d;
      scale *= 10;
    }
    double v = (q.charAt(0) - '0') + digits / (double) scale;
    return v <= 1 ? v : -1;
  }

  /** The URI parsed into its parts. */
  public Uri parsedUri() {
    return Uri.parse(uri);
  }

  /** The value in name-addr form, e.g. {@code "Bob" <sip:bob@host>;tag=1}. */
  @Override
  public String toString() {
    return (displayName.isEmpty() ? "" : displayName + " ") + "<" + uri + ">" + params;
  }
}
