package clearip.proxy.streams.transport;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IP address literals, parsed without ever resolving a name: {@link InetAddress#getByName} falls
 * back to a blocking DNS query for anything that is not a literal, which must never happen on a
 * stream or IO thread.
 */
final class IpLiterals {
  private IpLiterals() {}

  /**
   * The address written in {@code s} (IPv4 dotted quad, IPv6 with or without brackets), or null
   * when {@code s} is not an IP literal (e.g. a host name).
   */
  static InetAddress parse(String s) {
    if (s == null || s.isEmpty()) return null;
    if (s.charAt(0) == '[') {
      if (s.charAt(s.length() - 1) != ']') return null;
      s = s.substring(1, s.length() - 1);
    }
    if (s.indexOf(':') >= 0) {
      if (s.indexOf('%') >= 0) return null; // zone ids are meaningless in SIP and in CIDRs
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
            || c == ':' || c == '.';
        if (!ok) return null;
      }
      try {
        // a string with ':' is only ever parsed as an IPv6 literal, never looked up
        return InetAddress.getByName(s);
      } catch (UnknownHostException e) {
        return null;
      }
    }
    byte[] b = parseIpv4(s);
    if (b == null) return null;
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static byte[] parseIpv4(String s) {
    byte[] out = new byte[4];
    int part = 0;
    int value = -1;
    int digits = 0;
    for (int i = 0; i <= s.length(); i++) {
      char c = i < s.length() ? s.charAt(i) : '.';
      if (c == '.') {
        if (value < 0 || part > 3) return null;
        out[part++] = (byte) value;
        value = -1;
        digits = 0;
      } else if (c >= '0' && c <= '9') {
        if (digits > 0 && value == 0) return null; // no leading zeros (octal ambiguity)
        value = (value < 0 ? 0 : value * 10) + (c - '0');
        if (++digits > 3 || value > 255) return null;
      } else {
        return null;
      }
    }
    return part == 4 ? out : null;
  }

  /** The textual form for a Via received parameter: no brackets, no zone id (RFC 5118). */
  static String text(InetAddress a) {
    String s = a.getHostAddress();
    if (a instanceof Inet6Address) {
      int pct = s.indexOf('%');
      if (pct >= 0) s = s.substring(0, pct);
    }
    return s;
  }

  /** True when {@code literal} is an IP literal for exactly {@code a}. */
  static boolean sameAddress(String literal, InetAddress a) {
    InetAddress p = parse(literal);
    return p != null && p.equals(a);
  }
}
