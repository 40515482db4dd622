package clearip.proxy.ops.trace;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sequence numbers of the synthesised TCP segments, per direction of each connection: every
 * message advances its direction by its length, and each segment acknowledges what the other
 * direction sent, so Wireshark follows the connection without gaps. Not thread-safe (the
 * writer thread owns it); the least recently used flows are forgotten past a bound.
 */
final class TcpSequences {
  /** Wireshark shows relative numbers; 1 is what it would show after a SYN. */
  static final long INITIAL = 1;

  private final Map<Endpoints, long[]> next;

  TcpSequences(int maxFlows) {
    this.next = new LinkedHashMap<>(256, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Endpoints, long[]> eldest) {
        return size() > maxFlows;
      }
    };
  }

  /** The sequence number of a segment of {@code length} bytes from {@code e.src}; advances. */
  long take(Endpoints e, int length) {
    long[] n = next.computeIfAbsent(e, k -> new long[] {INITIAL});
    long seq = n[0];
    n[0] = (seq + length) & 0xffff_ffffL;
    return seq;
  }

  /** What a segment from {@code e.src} acknowledges: the next byte expected from the peer. */
  long ack(Endpoints e) {
    long[] n = next.get(e.reversed());
    return n == null ? INITIAL : n[0];
  }
}
