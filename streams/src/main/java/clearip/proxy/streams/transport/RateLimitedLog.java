package clearip.proxy.streams.transport;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * A WARN line at most once per period, so that a flood of bad network input cannot flood the
 * log, and a summary of what it held back: how many similar events, the last of them, and the
 * sources they came from (the most frequent few). The summary is written when the period is
 * over even if nothing else comes, so the end of a burst is never lost. Thread-safe; the events
 * themselves are lock-free (a counter, and a map of at most {@link #MAX_SOURCES} sources).
 */
public final class RateLimitedLog {
  /** Sources counted apart in a summary; the rest are "others". */
  static final int MAX_SOURCES = 8;
  private static final Set<RateLimitedLog> LIVE =
      Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
  private static volatile Thread ticker;

  private final Logger log;
  private final long periodNanos;
  private final LongSupplier clock;
  private final AtomicLong next = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong suppressed = new AtomicLong();
  private final ConcurrentHashMap<String, AtomicLong> bySource = new ConcurrentHashMap<>();
  private final AtomicLong otherSources = new AtomicLong();
  private volatile String lastHeldBack;

  public RateLimitedLog(Logger log, long period, TimeUnit unit) {
    this(log, unit.toNanos(period), System::nanoTime);
    LIVE.add(this);
    startTicker();
  }

  /** For tests: no background summaries, {@link #flushIfDue} by hand. */
  RateLimitedLog(Logger log, long periodNanos, LongSupplier clock) {
    this.log = log;
    this.periodNanos = periodNanos;
    this.clock = clock;
  }

  /** Logs {@code message} (no stack trace) at WARN, or counts it when a line was written lately. */
  public void warn(String message) {
    warn(message, null);
  }

  /** As {@link #warn(String)}, counting the event against {@code source} in the summary. */
  public void warn(String message, InetAddress source) {
    if (!log.isWarnEnabled()) return;
    long now = clock.getAsLong();
    long n = next.get();
    if ((n != Long.MIN_VALUE && now - n < 0) || !next.compareAndSet(n, now + periodNanos)) {
      suppressed.incrementAndGet();
      lastHeldBack = message;
      if (source != null) count(source.getHostAddress());
      return;
    }
    String held = summary();
    if (held == null) {
      log.warn(message);
    } else {
      log.warn("{} ({})", message, held);
    }
  }

  /** Writes the summary of what was held back once the period is over; for the ticker. */
  void flushIfDue() {
    if (suppressed.get() == 0 || !log.isWarnEnabled()) return;
    long now = clock.getAsLong();
    long n = next.get();
    if (n != Long.MIN_VALUE && now - n < 0) return;
    if (!next.compareAndSet(n, now + periodNanos)) return;
    String held = summary();
    if (held != null) log.warn("{}: {}", lastHeldBack, held);
  }

  private void count(String source) {
    AtomicLong c = bySource.get(source);
    if (c == null) {
      if (bySource.size() >= MAX_SOURCES) {
        otherSources.incrementAndGet();
        return;
      }
      c = bySource.computeIfAbsent(source, s -> new AtomicLong());
    }
    c.incrementAndGet();
  }

  /** What was held back since the previous line, and resets it; null when nothing was. */
  private String summary() {
    long folded = suppressed.getAndSet(0);
    if (folded == 0) return null;
    List<Map.Entry<String, AtomicLong>> sources = new ArrayList<>(bySource.entrySet());
    bySource.clear();
    long others = otherSources.getAndSet(0);
    StringBuilder sb = new StringBuilder().append(folded)
        .append(folded == 1 ? " similar event" : " similar events")
        .append(" since the previous warning");
    if (!sources.isEmpty()) {
      sources.sort((a, b) -> Long.compare(b.getValue().get(), a.getValue().get()));
      sb.append(", from ");
      for (int i = 0; i < sources.size(); i++) {
        if (i > 0) sb.append(", ");
        sb.append(sources.get(i).getKey()).append(" (").append(sources.get(i).getValue().get()).append(")");
      }
      if (others > 0) sb.append(", others (").append(others).append(")");
    }
    return sb.toString();
  }

  /** One daemon thread for every log's summaries, started with the first log. */
  private static void startTicker() {
    if (ticker != null) return;
    synchronized (RateLimitedLog.class) {
      if (ticker != null) return;
      Thread t = new Thread(() -> {
        while (true) {
          try {
            TimeUnit.SECONDS.sleep(1);
          } catch (InterruptedException e) {
            return;
          }
          RateLimitedLog[] logs;
          synchronized (LIVE) {
            logs = LIVE.toArray(new RateLimitedLog[0]);
          }
          for (RateLimitedLog l : logs) l.flushIfDue();
        }
      }, "clearip-log-summaries");
      t.setDaemon(true);
      t.start();
      ticker = t;
    }
  }
}
