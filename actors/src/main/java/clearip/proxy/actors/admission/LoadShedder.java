package clearip.proxy.actors.admission;

import clearip.proxy.streams.transport.Durations;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
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
 * time a new call would wait before its first step. While probes wait longer than the configured
 * limit, a shrinking share of new INVITEs is admitted (each probe over the limit cuts it by a
 * quarter, each probe under half the limit gives back 5 points); the rest get an immediate 503
 * and the switch route-advances. Waits over the limit are an overload only once they have lasted
 * {@link #SUSTAIN_NANOS} without a probe on time in between: a thread descheduled on a shared VM,
 * a collection, a burst from a switch that paused are over sooner and refuse nothing (the calls
 * queued meanwhile are a little late, none is lost). Within an overload every late probe cuts
 * the share at once. While the JIT still compiles much (a fresh JVM), lateness must last
 * {@link #SUSTAIN_WHILE_COMPILING_NANOS}. The calls that are admitted keep their latency instead
 * of all of them slowing down together, and the admitted share settles where the proxy keeps up.
 *
 * <p>A UDP reader can be the bottleneck while the dispatcher looks idle, so the intake's own wait
 * counts too ({@link #watchIntake}: how long a datagram waits in the kernel before its reader
 * takes it, measured with probe datagrams at the same pace).
 *
 * <p>An overload that lasts ({@link #LASTING_NANOS} of late probes, none more than a second
 * apart) halves the limit until it is over. An admitted call passes the dispatcher's queue
 * several times and each pass waits about what the controller holds the queue at, so under a
 * lasting overload the whole limit would add a few limits to every admitted call; pauses
 * (a collection, a CPU quota's throttled slice, a burst) are over well within three seconds and
 * keep the whole limit, so they refuse no more than before. The price is a few more refusals
 * while the overload lasts (figures in docs/PERFORMANCE.md, Overload). Not while the JIT still
 * compiles much: a fresh JVM is slow for its first seconds and would then refuse half as many
 * calls again.
 *
 * <p>Why the dispatcher's delay and not a count of calls: a count right for a 20 ms ClearIP is
 * wrong for a 200 ms one, and CPU starvation (more INVITEs than the cores can handle) shows as
 * queueing delay whatever the call mix. Why a share and not all-or-nothing: refusing every call
 * until the next probe swings between an idle and a swamped dispatcher and refuses far more calls
 * than the proxy could take. Why five points back: one point (and smaller cuts, or a second rule
 * for a standing queue) was measured too; it cut the admitted calls' p99 under overload by a
 * third but refused up to twice as many calls there and four times as many while a fresh JVM
 * compiles (docs/perf/log.md, Overload), and a refused call goes unscreened.
 * {@link #shouldShed} is called for every new INVITE on the transport threads: a few volatile
 * reads, one clock read and one random draw.
 */
public final class LoadShedder {
  private static final Logger log = LoggerFactory.getLogger(LoadShedder.class);
  static final Duration PROBE_INTERVAL = Duration.ofMillis(10);
  /** The share of new calls admitted never drops below this, so probes keep measuring calls. */
  static final double MIN_ADMITTED = 0.02;
  /** An overload episode is over after this long without a late probe. */
  private static final long CALM_NANOS = Duration.ofSeconds(1).toNanos();
  /**
   * Waits over the limit are an overload once they have lasted this long. Pauses measured on
   * shared 2-core VMs (a collection, a descheduled thread, a switch's burst after its own pause)
   * were 20-150 ms; at twice the capacity this much backlog builds up once, at the start.
   */
  static final long SUSTAIN_NANOS = Duration.ofMillis(250).toNanos();
  /**
   * The same while the JIT still compiles much: a fresh JVM falls behind for a few hundred
   * milliseconds now and then in its first minute (waits of ~100 ms for 0.6 s were measured just
   * after the warm-up), and catches up by itself.
   */
  static final long SUSTAIN_WHILE_COMPILING_NANOS = Duration.ofSeconds(1).toNanos();
  /** An overload episode this long is a lasting one: the limit is halved until it is over. */
  static final long LASTING_NANOS = Duration.ofSeconds(3).toNanos();
  /**
   * The JIT counts as still warming up while it compiled this long in the last second (the
   * start-up warm-up ends by the same measure).
   */
  public static final long JIT_BUSY_MILLIS = 50;

  private final LongSupplier maxDelayNanos;
  private final Executor dispatcher;
  private final LongSupplier clock;
  private final AtomicLong shed = new AtomicLong();
  private volatile long lastDelay;
  /** The share of new INVITEs admitted, 0..1; written by the probe task only. */
  private volatile double admitted = 1.0;
  /** When the probe now waiting on the dispatcher was queued; 0 when none waits. */
  private volatile long pendingSince;
  /**
   * When the overload now going on began, 0 when none is: written by the probe task only, read
   * by the intake too (within an overload a shorter wait cuts the share).
   */
  private volatile long episodeStart;
  // episode bookkeeping, touched only by the probe task (one runs at a time)
  private long lastLate;
  private long shedAtEpisodeStart;
  private long worstDelay;
  /** Refusals the probe task has accounted for (logged in an episode or on their own). */
  private long shedSeen;
  /**
   * Since when the waits have been over the limit (when the first late probe's wait passed it),
   * 0 while probes are on time: lateness shorter than {@link #SUSTAIN_NANOS} is a pause.
   */
  private long lateSince;
  /** Whether this episode has been logged: only once it has refused a call. */
  private boolean episodeLogged;
  private volatile LongSupplier intakeBacklog = () -> 0;
  private volatile Runnable intakeProbe = () -> {};
  /** True while a lasting overload has halved the limit. */
  private volatile boolean tightened;
  private final LongSupplier compileMillis;
  private long jitSampledAt;
  private long jitMillisThen;
  private boolean jitBusy;
  /** How long lateness must last to be an overload now (longer while the JIT is busy). */
  private volatile long sustainNanos = SUSTAIN_NANOS;
  /** While set, probes measure nothing and the state stays as at start (proxy warming up). */
  private volatile boolean paused;

  /**
   * @param maxDelayNanos the limit, read at every decision so a reload applies at once; 0 or less
   *     turns shedding off
   * @param dispatcher where the calls run
   */
  public LoadShedder(LongSupplier maxDelayNanos, Executor dispatcher) {
    this(maxDelayNanos, dispatcher, System::nanoTime, jitCompileMillis());
  }

  /**
   * @param compileMillis the JIT's total compilation time so far, in milliseconds
   */
  LoadShedder(LongSupplier maxDelayNanos, Executor dispatcher, LongSupplier clock,
      LongSupplier compileMillis) {
    this.maxDelayNanos = maxDelayNanos;
    this.dispatcher = dispatcher;
    this.clock = clock;
    this.compileMillis = compileMillis;
  }

  private static LongSupplier jitCompileMillis() {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    if (jit == null || !jit.isCompilationTimeMonitoringSupported()) return () -> 0;
    return jit::getTotalCompilationTime;
  }

  /** Starts probing; the probes stop with the actor system's scheduler. */
  public void start(Scheduler scheduler) {
    // the stamp is taken on the scheduler's thread, so only the dispatcher's queue is measured
    scheduler.scheduleAtFixedRate(PROBE_INTERVAL, PROBE_INTERVAL, this::probe,
        ExecutionContexts.fromExecutor(Runnable::run));
  }

  /**
   * Also counts the transports' own queue as a wait (how long a datagram waits before a UDP
   * reader takes it): when reading is the bottleneck the dispatcher may look idle.
   *
   * @param waitNanos the intake's wait now
   * @param probe called at every probe interval (on the scheduler's thread, must not block), so
   *     the intake can measure its wait the same way
   */
  public void watchIntake(LongSupplier waitNanos, Runnable probe) {
    this.intakeProbe = probe;
    this.intakeBacklog = waitNanos;
  }

  /**
   * Measures nothing until {@link #resume}: while the proxy warms up it takes no calls, and the
   * probes would only see the warm-up's own load (an "overload" that refuses nothing).
   */
  public void pause() {
    paused = true;
  }

  /** Measures again, from a clean state (all new calls admitted, the whole limit). */
  public void resume() {
    paused = false;
  }

  /** Queues one probe unless the previous one is still waiting (its age then counts). */
  void probe() {
    try {
      intakeProbe.run();
    } catch (RuntimeException e) {
      log.debug("intake probe failed", e); // a throw would end the schedule, and all probing
    }
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
    sampleJit(now);
    if (paused) {
      // back to the state of a fresh start, so that resuming starts from it
      admitted = 1.0;
      lateSince = 0;
      episodeStart = 0;
      tightened = false;
      shedSeen = shed.get();
      pendingSince = 0;
      return;
    }
    long max = limitNanos();
    long shedNow = shed.get();
    boolean late = max > 0 && delay > max;
    if (!late) {
      lateSince = 0;
    } else if (lateSince == 0) {
      lateSince = now - delay + max; // when this wait passed the limit (the intake's may be older)
    }
    // a thread descheduled for a slice of a shared VM, a collection, a burst: waits over the
    // limit for a moment, then probes on time. Refusing calls for it would send them unscreened
    // for nothing. Once the waits last, every late probe counts until the episode is over.
    boolean overloaded = late && (episodeStart != 0 || now - lateSince >= sustainNanos);
    admitted = nextShare(admitted, max, delay, overloaded);
    if (overloaded) {
      if (episodeStart == 0) {
        episodeStart = now;
        worstDelay = 0;
        shedAtEpisodeStart = shedSeen; // with any refused since the last probe
        episodeLogged = false;
      }
      lastLate = now;
      worstDelay = Math.max(worstDelay, delay);
    } else {
      if (episodeStart == 0 && shedNow > shedSeen) {
        // refused while a UDP reader or the waiting probe was behind, caught up by now: no
        // late probe will report these, and refused calls go unscreened
        log.warn("Overloaded briefly: {} INVITEs answered 503 while new calls waited over {} "
            + "between two probes", shedNow - shedSeen, millis(max));
      }
    }
    if (episodeStart != 0 && !episodeLogged && shedNow > shedAtEpisodeStart) {
      // logged once it refuses calls: a late probe alone (e.g. while the proxy starts) is no news
      episodeLogged = true;
      log.warn("Overloaded: new calls wait {} (limit {}); part of the new "
          + "INVITEs are answered 503 until the proxy catches up", millis(worstDelay),
          millis(max));
    }
    shedSeen = shedNow;
    if (!tightened && episodeStart != 0 && now - episodeStart >= LASTING_NANOS && !jitBusy) {
      tightened = true;
      log.warn("Overloaded for {}: new calls are now refused from a wait of {}, half "
          + "the limit, until the overload is over", millis(now - episodeStart),
          millis(max / 2));
    }
    if (episodeStart != 0 && admitted >= 1.0 && now - lastLate > CALM_NANOS) {
      // from the first late probe to one interval past the last: a single late probe is 10 ms
      if (episodeLogged) {
        log.warn("Overload over: it lasted {}, {} INVITEs answered 503, worst wait {}",
            millis(lastLate - episodeStart + PROBE_INTERVAL.toNanos()),
            shed.get() - shedAtEpisodeStart, millis(worstDelay));
      }
      episodeStart = 0;
      tightened = false;
    }
    pendingSince = 0; // last: the next probe is queued only once this one is done
  }

  /**
   * The share after one probe that waited {@code delay}: a quarter less when overloaded, 5
   * points more when well on time.
   */
  private static double nextShare(double share, long max, long delay, boolean overloaded) {
    if (overloaded) return Math.max(MIN_ADMITTED, share * 0.75);
    if (max <= 0 || delay <= max / 2) return Math.min(1.0, share + 0.05);
    return share;
  }

  /** Once a second: is the JIT still compiling much (a fresh JVM warming up)? */
  private void sampleJit(long now) {
    long elapsed = now - jitSampledAt;
    if (jitSampledAt != 0 && elapsed < 1_000_000_000L) return;
    long compiled = compileMillis.getAsLong();
    jitBusy = jitSampledAt != 0
        && (compiled - jitMillisThen) * 1_000_000_000L > JIT_BUSY_MILLIS * elapsed;
    jitSampledAt = now;
    jitMillisThen = compiled;
    sustainNanos = jitBusy ? SUSTAIN_WHILE_COMPILING_NANOS : SUSTAIN_NANOS;
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
    long max = limitNanos();
    if (max <= 0) return 1.0;
    return cutByWait(admitted, Math.max(probeWaiting(), intakeBacklog.getAsLong()), max,
        episodeStart != 0, sustainNanos);
  }

  /**
   * The share the probes have settled on, before a probe still waiting or the intake's wait cuts
   * it further ({@link #admittedNow()}).
   */
  public double probedShare() {
    return limitNanos() <= 0 ? 1.0 : admitted;
  }

  /** How long the probe now waiting on the dispatcher has waited, 0 when none waits. */
  private long probeWaiting() {
    long p = pendingSince;
    return p != 0 ? clock.getAsLong() - p : 0;
  }

  /**
   * A probe already waiting too long, or a datagram waiting that long for its reader, tells the
   * answer before the next probe has run: a sudden surge fills the socket within tens of
   * milliseconds. Too long: past the limit plus {@code sustain} (that much lateness is an
   * overload, not a pause), or past twice the limit within an overload. The longer the wait,
   * the fewer are let in (half at twice the limit, a tenth at ten times): the next probe runs
   * only once the queue ahead of it is done, and a flood admitted at a fixed share meanwhile
   * made that queue seconds long.
   */
  private static double cutByWait(double share, long waited, long max, boolean overloaded,
      long sustain) {
    if (waited <= 2 * max || (!overloaded && waited <= max + sustain)) return share;
    return Math.max(MIN_ADMITTED, share * Math.min(0.5, (double) max / waited));
  }

  /** The limit in force, in nanoseconds: the configured one, halved while an overload lasts. */
  public long limitNanos() {
    long max = maxDelayNanos.getAsLong();
    // at least 1 ns: a limit halved to 0 would read as "shedding off"
    return tightened && max > 0 ? Math.max(1, max / 2) : max;
  }

  /** Counts one INVITE refused because of {@link #shouldShed}. */
  public void shedOne() {
    shed.incrementAndGet();
  }

  /** INVITEs refused so far. */
  public long shedCount() {
    return shed.get();
  }

  /**
   * The last measured wait of a probe, in nanoseconds: the larger of the dispatcher's and the
   * intake's.
   */
  public long lastDelayNanos() {
    return lastDelay;
  }

  /** The intake's wait now (how long a datagram waits for its UDP reader), in nanoseconds. */
  public long intakeWaitNanos() {
    return intakeBacklog.getAsLong();
  }

  /** A wait in the log: to the millisecond, as the configuration writes it ({@code 110ms}). */
  private static String millis(long nanos) {
    return Durations.nanos(nanos / 1_000_000 * 1_000_000);
  }
}
