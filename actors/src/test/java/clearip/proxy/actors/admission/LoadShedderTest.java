package clearip.proxy.actors.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LoadShedderTest {
  private static final long LIMIT = TimeUnit.MILLISECONDS.toNanos(50);

  /** A dispatcher that runs its queue only when told: its delay is the test's to choose. */
  private static final class ManualDispatcher implements Executor {
    final ArrayDeque<Runnable> queue = new ArrayDeque<>();

    @Override
    public void execute(Runnable r) {
      queue.add(r);
    }

    void runAll() {
      while (!queue.isEmpty()) queue.poll().run();
    }
  }

  private long now = 1_000_000_000L;
  private final ManualDispatcher dispatcher = new ManualDispatcher();

  /** The JIT's total compilation time, in ms: the test's to advance. */
  private long jitMillis;

  private LoadShedder shedder(long limit) {
    return new LoadShedder(() -> limit, dispatcher, () -> now, () -> jitMillis);
  }

  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

  /** One probe that waits {@code delay} on the dispatcher, then the rest of its 10 ms period. */
  private void probeWaiting(LoadShedder s, long delay) {
    s.probe();
    now += delay;
    dispatcher.runAll();
    now += 10 * MS;
  }

  @Test
  void theIntakeIsProbedAtEveryIntervalEvenWhileTheDispatcherProbeWaits() {
    LoadShedder s = shedder(LIMIT);
    int[] intakeProbes = {0};
    s.watchIntake(() -> 0, () -> {
      intakeProbes[0]++;
      if (intakeProbes[0] == 2) throw new IllegalStateException("socket gone");
    });
    s.probe();
    s.probe(); // the dispatcher probe still waits; the intake's throw ends nothing
    s.probe();
    assertEquals(3, intakeProbes[0]);
    assertEquals(1, dispatcher.queue.size(), "one dispatcher probe at a time");
  }

  @Test
  void aDispatcherThatKeepsUpAdmitsEveryCall() {
    LoadShedder s = shedder(LIMIT);
    for (int i = 0; i < 100; i++) {
      probeWaiting(s, MS);
      assertFalse(s.shouldShed(0.999_999));
    }
    assertEquals(MS, s.lastDelayNanos());
    assertEquals(1.0, s.admittedNow());
  }

  @Test
  void lateProbesShrinkTheAdmittedShareAndPromptOnesGiveItBack() {
    LoadShedder s = shedder(LIMIT);
    probeWaiting(s, LIMIT); // exactly the limit: not late
    assertEquals(1.0, s.admittedNow());
    probeWaiting(s, 80 * MS);
    probeWaiting(s, 80 * MS);
    probeWaiting(s, 80 * MS);
    assertEquals(1.0, s.admittedNow(), "over the limit for 210 ms: may still be a pause");
    probeWaiting(s, 80 * MS);
    assertEquals(0.75, s.admittedNow(), 1e-9, "300 ms: an overload");
    assertTrue(s.shouldShed(0.8), "a draw above the admitted share is refused");
    assertFalse(s.shouldShed(0.7));
    probeWaiting(s, 80 * MS);
    assertEquals(0.5625, s.admittedNow(), 1e-9);
    probeWaiting(s, 2 * MS);
    probeWaiting(s, 60 * MS);
    assertEquals(0.75 * 0.6125, s.admittedNow(), 1e-9,
        "within an overload every late probe cuts at once");
    for (int i = 0; i < 40; i++) probeWaiting(s, 500 * MS);
    assertEquals(LoadShedder.MIN_ADMITTED, s.admittedNow(), 1e-9,
        "some calls always get through, so the probes keep measuring calls");

    probeWaiting(s, 40 * MS); // between half the limit and the limit: hold
    assertEquals(LoadShedder.MIN_ADMITTED, s.admittedNow(), 1e-9);
    probeWaiting(s, 2 * MS);
    assertEquals(LoadShedder.MIN_ADMITTED + 0.05, s.admittedNow(), 1e-9);
    for (int i = 0; i < 30; i++) probeWaiting(s, 2 * MS);
    assertEquals(1.0, s.admittedNow(), "caught up: every call is admitted again");
  }

  @Test
  void pausesOfAnyKindShorterThanTheSustainedWaitRefuseNothing() {
    LoadShedder s = shedder(LIMIT);
    long[] backlog = {0};
    s.watchIntake(() -> backlog[0], () -> {});
    // a shared VM's day: collections, descheduled threads, a switch's bursts, between calm
    // probes; the longest wait over the limit 240 ms, the reader 290 ms behind its socket once
    long[] pauses = {60, 99, 35, 150, 240, 120, 80, 200, 290};
    for (long pause : pauses) {
      for (int i = 0; i < 5; i++) probeWaiting(s, 2 * MS);
      probeWaiting(s, pause * MS);
      s.probe(); // the next probe waits a little too, still under the sustained wait
      now += 2 * MS;
      assertEquals(1.0, s.admittedNow(), "a probe waiting after a " + pause + " ms pause");
      dispatcher.runAll();
      now += 10 * MS;
      backlog[0] = pause * MS;
      assertFalse(s.shouldShed(0.999_999), "a reader " + pause + " ms behind");
      backlog[0] = 0;
    }
    assertEquals(1.0, s.probedShare());
    assertEquals(0, s.shedCount());
  }

  @Test
  void aProbeStillWaitingPastTheSustainedWaitCutsTheShareBeforeItHasRun() {
    LoadShedder s = shedder(LIMIT);
    s.probe();
    now += LIMIT + LoadShedder.SUSTAIN_NANOS;
    assertEquals(1.0, s.admittedNow(), "not yet past the sustained wait: may be a pause");
    now += 1;
    assertEquals((double) LIMIT / (now - 1_000_000_000L), s.admittedNow(), 1e-6,
        "past it: cut by the limit's share of the wait");
    assertEquals(1.0, s.probedShare(), "no probe has run late yet");
    now = 1_000_000_000L + 100 * LIMIT;
    assertEquals(LoadShedder.MIN_ADMITTED, s.admittedNow(), 1e-9);
    s.probe(); // one probe at a time: the late one keeps counting
    assertEquals(1, dispatcher.queue.size());
    dispatcher.runAll();
    assertEquals(0.75, s.admittedNow(), 1e-9, "once it ran, its delay counts as an overload");
    now += 10 * MS;
    s.probe();
    now += 2 * LIMIT + 1;
    assertEquals(0.375, s.admittedNow(), 1e-6,
        "within an overload, a probe waiting twice the limit halves it at once");
  }

  @Test
  void anIntakeThatCannotCatchUpCountsLikeALateProbe() {
    LoadShedder s = shedder(LIMIT);
    long[] backlog = {0};
    s.watchIntake(() -> backlog[0], () -> {});
    probeWaiting(s, MS);
    assertEquals(1.0, s.admittedNow());
    backlog[0] = 200 * MS; // a datagram has waited 200 ms for its reader
    assertEquals(1.0, s.admittedNow(), "within the sustained wait: may be a pause");
    backlog[0] = 400 * MS;
    assertEquals(50.0 / 400, s.admittedNow(), 1e-9, "cut at once, before the next probe");
    probeWaiting(s, MS);
    assertEquals(0.75 * 50 / 400, s.admittedNow(), 1e-9,
        "the probe cut it by a quarter, still behind");
    backlog[0] = 0;
    assertEquals(0.75, s.admittedNow(), 1e-9);
    assertEquals(400 * MS, s.lastDelayNanos());
  }

  /** Late probes (80 ms, the limit being 50) for {@code nanos}, then calls admitted again. */
  private void overloadFor(LoadShedder s, long nanos, long jitMillisPerProbe) {
    long start = now;
    while (now - start < nanos) {
      probeWaiting(s, 80 * MS);
      jitMillis += jitMillisPerProbe;
    }
    for (int i = 0; i < 20; i++) probeWaiting(s, 2 * MS);
    assertEquals(1.0, s.admittedNow());
  }

  @Test
  void aLimitOfOneNanosecondHalvedStaysOnNotOff() {
    LoadShedder s = shedder(1);
    long start = now;
    while (now - start < LoadShedder.LASTING_NANOS + 100 * MS) probeWaiting(s, MS);
    assertEquals(1, s.limitNanos(), "a lasting overload: halved, but never to 0 (= off)");
    assertEquals(LoadShedder.MIN_ADMITTED, s.admittedNow(), 1e-9);
    assertTrue(s.shouldShed(0.5));
  }

  @Test
  void aLastingOverloadHalvesTheLimitUntilItIsOver() {
    LoadShedder s = shedder(LIMIT);
    overloadFor(s, LoadShedder.LASTING_NANOS / 2, 0);
    probeWaiting(s, 40 * MS);
    assertEquals(1.0, s.admittedNow(), "a short overload: the whole limit holds");

    overloadFor(s, LoadShedder.LASTING_NANOS / 2 + 100 * MS, 0); // the same episode goes on
    probeWaiting(s, 60 * MS);
    assertEquals(0.75, s.admittedNow(), 1e-9, "a lasting one: over twice half the limit");
    s.probe();
    now += LIMIT + 1;
    assertEquals(0.375, s.admittedNow(), 1e-6, "a probe still waiting that long counts too");
    dispatcher.runAll();
    now += 10 * MS;

    long calm = now;
    while (now - calm <= TimeUnit.SECONDS.toNanos(1) + 20 * MS) probeWaiting(s, 2 * MS);
    probeWaiting(s, 40 * MS);
    assertEquals(1.0, s.admittedNow(), "a second without a late probe: the whole limit back");
  }

  @Test
  void aJvmStillCompilingKeepsTheWholeLimit() {
    LoadShedder s = shedder(LIMIT);
    // 9 ms of compiling per 90 ms probe: 100 ms a second, a fresh JVM warming up
    overloadFor(s, 2 * LoadShedder.LASTING_NANOS, 9);
    probeWaiting(s, 40 * MS);
    assertEquals(1.0, s.admittedNow(), "slow because it compiles: that passes by itself");

    overloadFor(s, 2 * TimeUnit.SECONDS.toNanos(1), 0); // compiled; the overload goes on
    probeWaiting(s, 60 * MS);
    assertEquals(0.75, s.admittedNow(), 1e-9);
  }

  @Test
  void aJvmStillCompilingGetsASecondOfLatenessBeforeAnyCallIsRefused() {
    LoadShedder s = shedder(LIMIT);
    long start = now;
    while (now - start < TimeUnit.MILLISECONDS.toNanos(1100)) { // 100 ms of compiling a second
      probeWaiting(s, 2 * MS);
      jitMillis += 1;
    }
    long late = now;
    while (now - late < 700 * MS) {
      probeWaiting(s, 80 * MS);
      jitMillis += 9;
    }
    assertEquals(1.0, s.admittedNow(), "700 ms behind while compiling: it catches up by itself");
    s.probe();
    now += 600 * MS;
    assertEquals(1.0, s.admittedNow(), "a probe waiting 600 ms: not past the second yet");
    dispatcher.runAll();
    now += 10 * MS;
    assertTrue(s.admittedNow() < 1.0, "over a second behind: an overload, compiling or not");
  }

  /** Runs {@code body} and returns what the shedder logged meanwhile, "LEVEL message" each. */
  private static List<String> logsOf(Runnable body) {
    ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger)
        org.slf4j.LoggerFactory.getLogger(LoadShedder.class);
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    logger.addAppender(events);
    try {
      body.run();
    } finally {
      logger.detachAppender(events);
    }
    return events.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
  }

  @Test
  void callsRefusedBetweenTwoProbesAreLoggedThoughNoProbeWasLate() {
    LoadShedder s = shedder(LIMIT);
    long[] backlog = {0};
    s.watchIntake(() -> backlog[0], () -> {});
    List<String> logs = logsOf(() -> {
      probeWaiting(s, MS);
      backlog[0] = 400 * MS; // a reader behind its socket between two probes
      for (int i = 0; i < 3; i++) {
        if (s.shouldShed(0.9)) s.shedOne();
      }
      backlog[0] = 0;
      probeWaiting(s, MS);
      probeWaiting(s, MS);
    });
    assertEquals(3, s.shedCount());
    assertEquals(List.of("WARN Overloaded briefly: 3 INVITEs answered 503 while new calls "
        + "waited over 50ms between two probes"), logs, "each refusal reported once");
  }

  @Test
  void anOverloadIsLoggedOnceItRefusesCalls() {
    LoadShedder s = shedder(LIMIT);
    List<String> idle = logsOf(() -> {
      probeWaiting(s, 310 * MS); // late, but no call came (a proxy starting up)
      for (int i = 0; i < 150; i++) probeWaiting(s, MS);
    });
    assertEquals(List.of(), idle, "a late probe alone is no news");

    List<String> busy = logsOf(() -> {
      probeWaiting(s, 310 * MS);
      if (s.shouldShed(0.9)) s.shedOne();
      if (s.shouldShed(0.9)) s.shedOne();
      probeWaiting(s, MS);
      for (int i = 0; i < 150; i++) probeWaiting(s, MS);
    });
    assertEquals(List.of(
        "WARN Overloaded: new calls wait 310ms (limit 50ms); part of the new INVITEs are "
            + "answered 503 until the proxy catches up",
        "WARN Overload over: it lasted 10ms, 2 INVITEs answered 503, worst wait 310ms"), busy);
  }

  @Test
  void aZeroLimitNeverSheds() {
    LoadShedder s = shedder(0);
    s.probe();
    now += TimeUnit.SECONDS.toNanos(10);
    assertFalse(s.shouldShed(0.999_999));
    dispatcher.runAll();
    assertFalse(s.shouldShed(0.999_999));
  }

  @Test
  void theLimitIsReadAtEveryDecisionSoAReloadAppliesAtOnce() {
    long[] limit = {LIMIT};
    LoadShedder s = new LoadShedder(() -> limit[0], dispatcher, () -> now, () -> 0);
    for (int i = 0; i < 5; i++) probeWaiting(s, 200 * MS);
    assertTrue(s.admittedNow() < 0.5);
    limit[0] = 0; // shedding turned off by a reload
    assertEquals(1.0, s.admittedNow());
  }

  @Test
  void shedCallsAreCounted() {
    LoadShedder s = shedder(LIMIT);
    s.shedOne();
    s.shedOne();
    assertEquals(2, s.shedCount());
  }

  @Test
  void whilePausedForTheWarmUpLateProbesCutNothingAndResumingStartsAfresh() {
    LoadShedder s = shedder(LIMIT);
    probeWaiting(s, 310 * MS);
    assertEquals(0.75, s.admittedNow(), 1e-9, "an overload before the pause");
    s.pause();
    for (int i = 0; i < 400; i++) probeWaiting(s, 500 * MS); // 4 s: the warm-up's own load
    s.resume();
    assertEquals(1.0, s.admittedNow(), "every call admitted once the warm-up is over");
    assertEquals(LIMIT, s.limitNanos(), "the warm-up never tightens the limit");
    probeWaiting(s, 80 * MS);
    assertEquals(1.0, s.admittedNow(), "the first late probe after the pause is a pause");
    probeWaiting(s, 310 * MS);
    assertEquals(0.75, s.admittedNow(), 1e-9, "then it measures calls as before");
  }
}
