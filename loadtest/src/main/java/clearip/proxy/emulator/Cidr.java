package clearip.proxy.emulator;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 network in CIDR notation ({@code 10.0.0.0/8}, {@code 2001:db8::/32}); a bare
 * address means that one host. IPv4-mapped IPv6 sources match IPv4 networks.
 */
public record Cidr(byte[] network, int prefixLength, String text) {

  /**
   * Parses CIDR text. Only literal addresses are accepted (no name look-ups).
   *
   * @throws IllegalArgumentException with the reason when malformed
   */
  public static Cidr parse(String text) {
    String t = text.trim();
    int slash = t.indexOf('/');
    String addr = slash < 0 ? t : t.substring(0, slash);
    if (addr.startsWith("[") && addr.endsWith("]")) addr = addr.substring(1, addr.length() - 1);
    if (addr.isEmpty() || !isLiteral(addr)) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address or CIDR network");
    }
    byte[] bytes;
    try {
      bytes = InetAddress.getByName(addr).getAddress(); // a literal: no DNS query is made
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address or CIDR network");
    }
    int max = bytes.length * 8;
    int prefix = max;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(t.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (prefix < 0 || prefix > max) {
        throw new IllegalArgumentException("'" + text + "': prefix length must be 0.." + max);
      }
    }
    byte[] net = bytes.clone();
    for (int bit = prefix; bit < max; bit++) net[bit >> 3] &= (byte) ~(0x80 >>> (bit & 7));
    return new Cidr(net, prefix, t);
  }

  private static boolean isLiteral(String a) {
    if (a.indexOf(':') >= 0) {
      for (int i = 0; i < a.length(); i++) {
        char c = a.charAt(i);
        if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) return false;
      }
      return true;
    }
    int dots = 0;
    for (int i = 0; i < a.length(); i++) {
      char c = a.charAt(i);
      if (c == '.') {
        dots++;
      } else if (c < '0' || c > '9') {
        return false;
      }
    }
    return dots == 3;
  }

  /** True when the address lies in this network. */
  public boolean contains(InetAddress address) {
    byte[] a = address.getAddress();
    if (a.length == 16 && network.length == 4 && isV4Mapped(a)) {
      byte[] v4 = new byte[4];
      System.arraycopy(a, 12, v4, 0, 4);
      a = v4;
    }
    if (a.length != network.length) return false;
    int full = prefixLength >> 3;
    for (int i = 0; i < full; i++) {
      if (a[i] != network[i]) return false;
    }
    int rest = prefixLength & 7;
    if (rest == 0) return true;
    int mask = (0xff << (8 - rest)) & 0xff;
    return (a[full] & mask) == (network[full] & 0xff);
  }

  private static boolean isV4Mapped(byte[] a) {
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) return false;
    }
    return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefixLength == prefixLength
        && java.util.Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return 31 * java.util.Arrays.hashCode(network) + prefixLength;
  }

  @Override
  public String toString() {
    return text;
  }
}
