package clearip.proxy.streams.transport;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * A WARN line at most once per period, saying how many similar events were folded into it, so
 * that a flood of bad network input cannot flood the log. Thread-safe and lock-free.
 */
public final class RateLimitedLog {
  private final Logger log;
  private final long periodNanos;
  private final AtomicLong next = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong suppressed = new AtomicLong();

  public RateLimitedLog(Logger log, long period, TimeUnit unit) {
    this.log = log;
    this.periodNanos = unit.toNanos(period);
  }

  /** Logs {@code message} (no stack trace) at WARN, or counts it when a line was written lately. */
  public void warn(String message) {
    if (!log.isWarnEnabled()) return;
    long now = System.nanoTime();
    long n = next.get();
    if ((n != Long.MIN_VALUE && now - n < 0) || !next.compareAndSet(n, now + periodNanos)) {
      suppressed.incrementAndGet();
      return;
    }
    long folded = suppressed.getAndSet(0);
    if (folded > 0) {
      log.warn("{} (and {} similar events since the previous warning)", message, folded);
    } else {
      log.warn(message);
    }
  }
}
