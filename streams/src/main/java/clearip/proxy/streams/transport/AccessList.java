package clearip.proxy.streams.transport;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The sources allowed to reach the listeners: a list of CIDR blocks, IPv4 and IPv6 (e.g.
 * {@code 10.0.0.0/8}, {@code 2001:db8::/32}, or a single address {@code 192.0.2.7}). An empty
 * list allows loopback only; {@code 0.0.0.0/0} and {@code ::/0} allow every source of their
 * family. Immutable and thread-safe; checked before anything is parsed.
 */
public final class AccessList {

  /** One CIDR block, normalised (host bits cleared). */
  public record Block(InetAddress network, int prefixLength) {
    @Override
    public String toString() {
      return IpLiterals.text(network) + "/" + prefixLength;
    }
  }

  /** Loopback only (127.0.0.0/8 and ::1), the default when nothing is configured. */
  public static final AccessList LOOPBACK_ONLY = new AccessList(List.of());

  private final List<Block> blocks;
  private final byte[][] networks;
  private final int[] prefixes;

  private AccessList(List<Block> blocks) {
    this.blocks = List.copyOf(blocks);
    this.networks = new byte[blocks.size()][];
    this.prefixes = new int[blocks.size()];
    for (int i = 0; i < blocks.size(); i++) {
      networks[i] = blocks.get(i).network().getAddress();
      prefixes[i] = blocks.get(i).prefixLength();
    }
  }

  /**
   * Parses CIDR strings.
   *
   * @throws IllegalArgumentException naming the offending entry, its position and what is wrong
   *     with it, fit to be shown by a configuration check
   */
  public static AccessList parse(List<String> cidrs) {
    Objects.requireNonNull(cidrs, "cidrs");
    List<Block> out = new ArrayList<>(cidrs.size());
    for (int i = 0; i < cidrs.size(); i++) {
      String entry = cidrs.get(i);
      try {
        out.add(parseBlock(entry));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("allow-list entry " + (i + 1) + " \"" + entry + "\": "
            + e.getMessage(), e);
      }
    }
    return new AccessList(out);
  }

  /** Parses one CIDR block or single address. */
  public static Block parseBlock(String cidr) {
    if (cidr == null) throw new IllegalArgumentException("is null");
    String s = cidr.strip();
    if (s.isEmpty()) throw new IllegalArgumentException("is empty");
    int slash = s.indexOf('/');
    String addr = slash < 0 ? s : s.substring(0, slash);
    InetAddress a = IpLiterals.parse(addr);
    if (a == null) {
      throw new IllegalArgumentException("\"" + addr
          + "\" is not an IPv4 or IPv6 address (host names are not allowed)");
    }
    int max = a instanceof Inet4Address ? 32 : 128;
    int prefix = max;
    if (slash >= 0) {
      String p = s.substring(slash + 1);
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new IllegalArgumentException("prefix length \"" + p + "\" is not a number");
      }
      prefix = Integer.parseInt(p);
      if (prefix > max) {
        throw new IllegalArgumentException("prefix length " + prefix + " is out of range 0.."
            + max + " for " + (max == 32 ? "IPv4" : "IPv6"));
      }
    }
    byte[] b = a.getAddress();
    for (int bit = prefix; bit < b.length * 8; bit++) {
      b[bit >> 3] &= (byte) ~(0x80 >>> (bit & 7));
    }
    try {
      return new Block(InetAddress.getByAddress(b), prefix);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("bad address length", e);
    }
  }

  public List<Block> blocks() {
    return blocks;
  }

  /** True when a datagram or connection from {@code source} may be processed. */
  public boolean allows(InetAddress source) {
    if (networks.length == 0) return source.isLoopbackAddress();
    byte[] a = source.getAddress();
    for (int i = 0; i < networks.length; i++) {
      if (networks[i].length == a.length && matches(networks[i], prefixes[i], a)) return true;
    }
    return false;
  }

  private static boolean matches(byte[] net, int prefix, byte[] a) {
    int full = prefix >> 3;
    for (int k = 0; k < full; k++) {
      if (net[k] != a[k]) return false;
    }
    int rest = prefix & 7;
    if (rest == 0) return true;
    int mask = (0xff << (8 - rest)) & 0xff;
    return (net[full] & mask) == (a[full] & mask);
  }

  @Override
  public String toString() {
    return blocks.isEmpty() ? "[loopback only]" : blocks.toString();
  }
}
