package clearip.proxy.ops.metrics;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Events per second, exponentially weighted over about one minute (the load-average style rate
 * operators know from Unix and Dropwizard meters): ticks every 5 s, lazily, on mark or read.
 */
public final class OneMinuteRate {
  private static final long TICK_NANOS = 5_000_000_000L;
  private static final double ALPHA = 1 - Math.exp(-5.0 / 60.0);

  private final LongSupplier clock;
  private final LongAdder uncounted = new LongAdder();
  private final AtomicLong lastTick;
  private volatile double rate; // events per nanosecond
  private volatile boolean initialised;

  public OneMinuteRate() {
    this(System::nanoTime);
  }

  OneMinuteRate(LongSupplier nanoClock) {
    this.clock = nanoClock;
    this.lastTick = new AtomicLong(nanoClock.getAsLong());
  }

  /** Counts one event; cheap enough for call handling threads. */
  public void mark() {
    tickIfNecessary();
    uncounted.increment();
  }

  /** Events per second over about the last minute. */
  public double perSecond() {
    tickIfNecessary();
    return rate * 1e9;
  }

  private void tickIfNecessary() {
    long old = lastTick.get();
    long now = clock.getAsLong();
    long age = now - old;
    if (age < TICK_NANOS) return;
    long newTick = now - age % TICK_NANOS;
    if (!lastTick.compareAndSet(old, newTick)) return; // another thread ticks
    long ticks = age / TICK_NANOS;
    for (long i = 0; i < ticks; i++) tick();
  }

  private synchronized void tick() {
    long count = uncounted.sumThenReset();
    double instant = (double) count / TICK_NANOS;
    if (initialised) {
      rate += ALPHA * (instant - rate);
    } else {
      rate = instant;
      initialised = true;
    }
  }
}
