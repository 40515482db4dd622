package clearip.proxy.actors.routing;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.dispatch.ExecutionContexts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which new calls are refused because the proxy is behind: every {@link #PROBE_INTERVAL}
 * a probe task is queued on the dispatcher the calls run on, and the time it waits there is the
 * time a new call would wait before its first step. Two rules shrink the share of new INVITEs
 * admitted: a probe that waited longer than the limit (a surge) cuts it by a quarter, and a
 * {@link #WINDOW} in which every probe waited longer than the target (a standing queue: more
 * work than CPU, however smooth) by a tenth. Each probe within the target gives a point back.
 * The rest of the new INVITEs get an immediate 503 and the switch route-advances; the calls
 * admitted keep their latency instead of all of them slowing down together, and the share
 * settles where the waits stay near the target.
 *
 * <p>Why the dispatcher's delay and not a count of calls: a count right for a 20 ms ClearIP is
 * wrong for a 200 ms one, and CPU starvation (more INVITEs than the cores can handle) shows as
 * queueing delay whatever the call mix. Why the smallest wait of a window for the target: a
 * burst, a collection or a descheduled thread makes single waits long without any call being
 * too many, so only a wait no probe escaped means a queue that stays (the CoDel idea). Why a
 * share and not all-or-nothing: refusing every call until the next probe swings between an idle
 * and a swamped dispatcher and refuses far more calls than the proxy could take.
 * {@link #shouldShed} is called for every new INVITE on the transport threads: a few volatile
 * reads, one clock read and one random draw.
 */
public final class LoadShedder {
  private static final Logger log = LoggerFactory.getLogger(LoadShedder.class);
  static final Duration PROBE_INTERVAL = Duration.ofMillis(10);
  /** A wait every probe of this long found is a standing queue. */
  static final Duration WINDOW = Duration.ofMillis(100);
  private static final long WINDOW_NANOS = WINDOW.toNanos();
  /** The share of new calls admitted never drops below this, so probes keep measuring calls. */
  static final double MIN_ADMITTED = 0.02;
  /** An overload episode is over after this long without a late probe. */
  private static final long CALM_NANOS = Duration.ofSeconds(1).toNanos();

  private final LongSupplier maxDelayNanos;
  private final LongSupplier targetDelayNanos;
  private final Executor dispatcher;
  private final LongSupplier clock;
  private final AtomicLong shed = new AtomicLong();
  private volatile long lastDelay;
  /** The share of new INVITEs admitted, 0..1; written by the probe task only. */
  private volatile double admitted = 1.0;
  /** When the probe now waiting on the dispatcher was queued; 0 when none waits. */
  private volatile long pendingSince;
  // episode bookkeeping, touched only by the probe task (one runs at a time)
  private long episodeStart;
  private long lastLate;
  private long shedAtEpisodeStart;
  private long worstDelay;
  private long windowStart;
  private long windowMin = Long.MAX_VALUE;
  private volatile LongSupplier intakeBacklog = () -> 0;

  /**
   * @param maxDelayNanos the limit, read at every decision so a reload applies at once; 0 or less
   *     turns shedding off
   * @param targetDelayNanos the standing wait tolerated (at most the limit); 0 or less: none
   *     but the limit's
   * @param dispatcher where the calls run
   */
  LoadShedder(LongSupplier maxDelayNanos, LongSupplier targetDelayNanos, Executor dispatcher) {
    this(maxDelayNanos, targetDelayNanos, dispatcher, System::nanoTime);
  }

  LoadShedder(LongSupplier maxDelayNanos, LongSupplier targetDelayNanos, Executor dispatcher,
      LongSupplier clock) {
    this.maxDelayNanos = maxDelayNanos;
    this.targetDelayNanos = targetDelayNanos;
    this.dispatcher = dispatcher;
    this.clock = clock;
  }

  /** Starts probing; the probes stop with the actor system's scheduler. */
  void start(Scheduler scheduler) {
    // the stamp is taken on the scheduler's thread, so only the dispatcher's queue is measured
    scheduler.scheduleAtFixedRate(PROBE_INTERVAL, PROBE_INTERVAL, this::probe,
        ExecutionContexts.fromExecutor(Runnable::run));
  }

  /**
   * Also counts the transports' own backlog as a wait (e.g. how long a UDP reader has gone
   * without catching up): when reading is the bottleneck the dispatcher may look idle.
   */
  public void watchIntake(LongSupplier backlogNanos) {
    this.intakeBacklog = backlogNanos;
  }

  /** Queues one probe unless the previous one is still waiting (its age then counts). */
  void probe() {
    if (pendingSince != 0) return;
    long queued = clock.getAsLong();
    pendingSince = queued;
    try {
      dispatcher.execute(() -> probed(queued));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      pendingSince = 0; // shutting down
    }
  }

  private void probed(long queued) {
    long now = clock.getAsLong();
    long delay = Math.max(now - queued, intakeBacklog.getAsLong());
    lastDelay = delay;
    pendingSince = 0;
    long max = maxDelayNanos.getAsLong();
    long target = Math.min(targetDelayNanos.getAsLong(), max);
    boolean standing = false;
    windowMin = Math.min(windowMin, delay);
    if (windowStart == 0) windowStart = queued;
    if (now - windowStart >= WINDOW_NANOS) {
      standing = target > 0 && windowMin > target;
      windowStart = now;
      windowMin = Long.MAX_VALUE;
    }
    if (max > 0 && (delay > max || standing)) {
      // a surge past the limit is cut hard; a standing queue gently, it is near the balance
      admitted = Math.max(MIN_ADMITTED, admitted * (delay > max ? 0.75 : 0.9));
      if (episodeStart == 0) {
        episodeStart = now;
        worstDelay = 0;
        shedAtEpisodeStart = shed.get();
        if (standing) {
          log.warn("Overloaded: for {} ms every new call waited over {} ms (target); part of "
              + "the new INVITEs are answered 503 until the proxy catches up",
              WINDOW.toMillis(), target / 1_000_000);
        } else {
          log.warn("Overloaded: new calls wait {} ms (limit {} ms); part of the new "
              + "INVITEs are answered 503 until the proxy catches up", delay / 1_000_000,
              max / 1_000_000);
        }
      }
      lastLate = now;
      worstDelay = Math.max(worstDelay, delay);
    } else if (max <= 0 || delay <= (target > 0 ? target : max / 2)) {
      // the share creeps back (a second from the floor to all), so it settles near the
      // balance instead of swinging back to everything admitted and being cut again
      admitted = Math.min(1.0, admitted + 0.01);
    }
    if (episodeStart != 0 && admitted >= 1.0 && now - lastLate > CALM_NANOS) {
      log.warn("Overload over after {} ms: {} INVITEs answered 503, worst wait {} ms",
          (lastLate - episodeStart) / 1_000_000, shed.get() - shedAtEpisodeStart,
          worstDelay / 1_000_000);
      episodeStart = 0;
    }
  }

  /** True when this new call should get an immediate 503. */
  public boolean shouldShed() {
    return shouldShed(ThreadLocalRandom.current().nextDouble());
  }

  /** As {@link #shouldShed()}, with the random draw (0 inclusive to 1 exclusive) given. */
  boolean shouldShed(double draw) {
    return draw >= admittedNow();
  }

  /** The share of new calls admitted right now. */
  public double admittedNow() {
    long max = maxDelayNanos.getAsLong();
    if (max <= 0) return 1.0;
    double a = admitted;
    long p = pendingSince;
    // a probe already waiting longer than the limit, or a reader that has not caught up for
    // that long, tells the answer before the next probe has run: a sudden surge fills the
    // socket within tens of milliseconds
    if ((p != 0 && clock.getAsLong() - p > max) || intakeBacklog.getAsLong() > max) {
      a = Math.max(MIN_ADMITTED, a * 0.5);
    }
    return a;
  }

  /** Counts one INVITE refused because of {@link #shouldShed}. */
  void shedOne() {
    shed.incrementAndGet();
  }

  /** INVITEs refused so far. */
  public long shedCount() {
    return shed.get();
  }

  /** The last measured wait of a probe, in nanoseconds. */
  public long lastDelayNanos() {
    return lastDelay;
  }
}
