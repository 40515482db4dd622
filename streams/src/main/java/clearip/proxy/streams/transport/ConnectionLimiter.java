package clearip.proxy.streams.transport;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts inbound connections, in total and per source address, against their limits. */
final class ConnectionLimiter {
  private final int maxTotal;
  private final int maxPerSource;
  private final AtomicInteger total = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, Integer> perSource = new ConcurrentHashMap<>();

  ConnectionLimiter(int maxTotal, int maxPerSource) {
    this.maxTotal = maxTotal;
    this.maxPerSource = maxPerSource;
  }

  /** Takes a slot for a new connection from {@code source}; null when granted, else why not. */
  TransportMetrics.Refusal tryAcquire(InetAddress source) {
    if (total.incrementAndGet() > maxTotal) {
      total.decrementAndGet();
      return TransportMetrics.Refusal.TOTAL_LIMIT;
    }
    if (!takePerSource(source)) {
      total.decrementAndGet();
      return TransportMetrics.Refusal.PER_SOURCE_LIMIT;
    }
    return null;
  }

  /** Takes one of {@code source}'s slots unless it holds all of them already. */
  private boolean takePerSource(InetAddress source) {
    boolean[] granted = {false};
    perSource.compute(source, (k, n) -> {
      int held = n == null ? 0 : n;
      if (held >= maxPerSource) return n;
      granted[0] = true;
      return held + 1;
    });
    return granted[0];
  }

  /**
   * Takes a slot past the per-source limit, for a connection that replaces one being closed to
   * make room (that one gives its slot back when it has ended).
   */
  void acquireInPlaceOf(InetAddress source) {
    total.incrementAndGet();
    perSource.merge(source, 1, Integer::sum);
  }

  /**
   * Takes a slot past the total limit (the per-source one still holds), for a connection that
   * replaces one being closed to make room; null when granted.
   */
  TransportMetrics.Refusal tryAcquireInPlaceOfAny(InetAddress source) {
    if (!takePerSource(source)) return TransportMetrics.Refusal.PER_SOURCE_LIMIT;
    total.incrementAndGet();
    return null;
  }

  /** Gives back the slot taken by a connection that has ended. */
  void release(InetAddress source) {
    perSource.computeIfPresent(source, (k, n) -> n <= 1 ? null : n - 1);
    total.decrementAndGet();
  }

  int total() {
    return total.get();
  }
}
