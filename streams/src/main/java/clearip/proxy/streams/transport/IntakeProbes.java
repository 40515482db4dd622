package clearip.proxy.streams.transport;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Predicate;

/**
 * The bookkeeping of a UDP socket's intake probes: numbered datagrams sent to the socket at a
 * steady pace, which queue in the kernel behind the datagrams not yet read. The age of the oldest
 * probe not yet read is how long a datagram arriving now waits before the reader takes it.
 *
 * <p>Why probes and not "how long the reader has gone without finding the socket empty": a reader
 * that just keeps up with a flood never finds it empty, so that figure grew for seconds while
 * datagrams waited a few tens of milliseconds, and overload control refused calls it could carry.
 *
 * <p>One thread sends ({@link #send}), the socket's reader reads ({@link #received},
 * {@link #drained}); any thread may ask {@link #waitNanos}. Probes travel in order (one socket
 * to another), so one read means every earlier probe was read or dropped; a socket found empty
 * means every probe sent so far was read or dropped. At most {@link #RING} probes are
 * outstanding; no more are sent until the reader takes one (the wait then keeps growing, as it
 * does for the datagrams behind them).
 */
final class IntakeProbes {
  static final int RING = 256;
  static final int SIZE = Long.BYTES;

  private final AtomicLongArray sentAt = new AtomicLongArray(RING);
  /** Number of the last probe sent; written by the sending thread only. */
  private volatile long lastSent;
  /** Number of the last probe read or known dropped; written by the reader only. */
  private volatile long lastSeen;

  /**
   * Sends the next probe through {@code channel} (which writes the payload, true when the socket
   * took it).
   */
  void send(long now, Predicate<ByteBuffer> channel) {
    long n = lastSent + 1;
    if (n - lastSeen > RING) return; // the reader has read none for the ring's span: wait
    sentAt.set((int) (n % RING), now);
    lastSent = n; // before the write: the reader may take the probe at once
    ByteBuffer payload = ByteBuffer.allocate(SIZE).putLong(0, n);
    if (!channel.test(payload)) sentAt.set((int) (n % RING), 0); // not sent: counts as read
  }

  /** The reader took a probe (its payload from position to limit). */
  void received(ByteBuffer payload) {
    if (payload.remaining() != SIZE) return;
    long n = payload.getLong(payload.position());
    if (n > lastSeen && n <= lastSent) lastSeen = n;
  }

  /** The reader found the socket empty: no probe sent so far is still queued. */
  void drained() {
    long s = lastSent;
    if (lastSeen != s) lastSeen = s;
  }

  /** How long the oldest probe still queued has waited, 0 when none is. */
  long waitNanos(long now) {
    long seen = lastSeen;
    long sent = lastSent;
    for (long n = seen + 1; n <= sent; n++) {
      long at = sentAt.get((int) (n % RING));
      if (at != 0) return Math.max(0, now - at);
    }
    return 0;
  }
}
