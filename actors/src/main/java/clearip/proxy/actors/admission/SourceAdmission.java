package clearip.proxy.actors.admission;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * Fairness between switches in front of the {@link LoadShedder}: while the proxy refuses a share
 * of new calls, a source that has sent no more than its fair share of new INVITEs in the current
 * window is always admitted, so the refusals fall on the sources that send more. One switch's
 * flood then costs that switch, not the others.
 *
 * <p>Windows of {@link #WINDOW_NANOS}; the fair share of a window is what the shedder would
 * admit of the previous window's INVITEs (its admitted share times their number) divided by the sources that sent them. Past its fair share a source's INVITEs
 * meet the shedder's random draw as before. The fair share follows the shedder's share, not the
 * calls admitted, so the exemption cannot feed on itself: when it lets too much in, the shedder
 * sees the delay and lowers its share, and with it the fair share. A source is an address for UDP and a connection
 * for TCP/TLS. At most {@link #MAX_SOURCES} sources are told apart per window; the rest count as
 * heavy. Thread-safe; called for every new INVITE on the transport threads: one map look-up,
 * one increment, one clock read.
 */
public final class SourceAdmission {
  static final long WINDOW_NANOS = 100_000_000L;
  static final int MAX_SOURCES = 4096;

  private final LongSupplier clock;
  private final DoubleSupplier admittedShare;
  private final AtomicLong windowStart;
  private volatile ConcurrentHashMap<Object, AtomicInteger> arrivals = new ConcurrentHashMap<>();
  /** This window's fair share; 0 before the first window ended (nobody is exempt). */
  private volatile int fairShare;

  /**
   * @param admittedShare the shedder's share of new calls admitted now (1 = all)
   */
  public SourceAdmission(LongSupplier clock, DoubleSupplier admittedShare) {
    this.clock = clock;
    this.admittedShare = admittedShare;
    this.windowStart = new AtomicLong(clock.getAsLong());
  }

  /**
   * Counts a new INVITE from {@code source}; true when it is within the source's fair share of
   * this window, i.e. it must not be refused for load.
   */
  public boolean withinFairShare(Object source) {
    roll();
    ConcurrentHashMap<Object, AtomicInteger> m = arrivals;
    AtomicInteger n = m.get(source);
    if (n == null) {
      if (m.size() >= MAX_SOURCES) return false;
      n = m.computeIfAbsent(source, s -> new AtomicInteger());
    }
    return n.incrementAndGet() <= fairShare;
  }

  /** The fair share of new INVITEs per source and window now in force. */
  int fairShare() {
    return fairShare;
  }

  private void roll() {
    long start = windowStart.get();
    long now = clock.getAsLong();
    if (now - start < WINDOW_NANOS || !windowStart.compareAndSet(start, now)) return;
    ConcurrentHashMap<Object, AtomicInteger> ended = arrivals;
    arrivals = new ConcurrentHashMap<>();
    long total = 0;
    for (AtomicInteger n : ended.values()) total += n.get();
    // a window that lasted longer (no INVITE read for a while: a quiet spell, or a reader held up
    // by a collection) counts at its rate per window: after a quiet spell that is about nothing,
    // while a stalled reader's flood still sizes the share (a share of 0 refused everybody)
    double perWindow = (double) WINDOW_NANOS / Math.max(WINDOW_NANOS, now - start);
    fairShare = ended.isEmpty() ? 0
        : (int) (admittedShare.getAsDouble() * total * perWindow / ended.size());
  }
}
