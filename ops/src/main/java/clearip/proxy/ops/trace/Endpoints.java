package clearip.proxy.ops.trace;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * Source and destination of a synthesised packet as raw addresses of one family (4 or 16
 * bytes) and ports. Mixed families (an IPv4 peer on a dual-stack IPv6 socket) are written as
 * IPv6 with the IPv4-mapped address; an unknown end is the unspecified address, port 0.
 */
final class Endpoints {
  final byte[] src;
  final int srcPort;
  final byte[] dst;
  final int dstPort;

  Endpoints(byte[] src, int srcPort, byte[] dst, int dstPort) {
    if (src.length != dst.length || (src.length != 4 && src.length != 16)) {
      throw new IllegalArgumentException("addresses of one family expected");
    }
    this.src = src;
    this.srcPort = srcPort;
    this.dst = dst;
    this.dstPort = dstPort;
  }

  static Endpoints of(InetSocketAddress from, InetSocketAddress to) {
    byte[] s = raw(from);
    byte[] d = raw(to);
    if (s == null) s = new byte[d == null ? 4 : d.length];
    if (d == null) d = new byte[s.length];
    if (s.length != d.length) {
      // the wildcard of a dual-stack socket says nothing: write it as the other's family
      if (isZero(s)) {
        s = new byte[d.length];
      } else if (isZero(d)) {
        d = new byte[s.length];
      } else {
        s = mapped(s);
        d = mapped(d);
      }
    }
    return new Endpoints(s, port(from), d, port(to));
  }

  boolean ipv4() {
    return src.length == 4;
  }

  Endpoints reversed() {
    return new Endpoints(dst, dstPort, src, srcPort);
  }

  private static byte[] raw(InetSocketAddress a) {
    if (a == null) return null;
    InetAddress ia = a.getAddress();
    return ia == null ? null : ia.getAddress();
  }

  private static int port(InetSocketAddress a) {
    return a == null ? 0 : a.getPort();
  }

  private static boolean isZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) return false;
    }
    return true;
  }

  private static byte[] mapped(byte[] a) {
    if (a.length == 16) return a;
    byte[] m = new byte[16];
    m[10] = (byte) 0xff;
    m[11] = (byte) 0xff;
    System.arraycopy(a, 0, m, 12, 4);
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Endpoints e && srcPort == e.srcPort && dstPort == e.dstPort
        && Arrays.equals(src, e.src) && Arrays.equals(dst, e.dst);
  }

  @Override
  public int hashCode() {
    return ((Arrays.hashCode(src) * 31 + srcPort) * 31 + Arrays.hashCode(dst)) * 31 + dstPort;
  }

  @Override
  public String toString() {
    try {
      return InetAddress.getByAddress(src).getHostAddress() + ":" + srcPort + " > "
          + InetAddress.getByAddress(dst).getHostAddress() + ":" + dstPort;
    } catch (java.net.UnknownHostException e) {
      return "?";
    }
  }
}
