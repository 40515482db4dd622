package clearip.proxy.actors.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
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

  private LoadShedder shedder(long limit) {
    return new LoadShedder(() -> limit, dispatcher, () -> now);
  }

  @Test
  void aDispatcherThatKeepsUpAdmitsEveryCall() {
    LoadShedder s = shedder(LIMIT);
    for (int i = 0; i < 100; i++) {
      s.probe();
      now += TimeUnit.MILLISECONDS.toNanos(1);
      dispatcher.runAll();
      assertFalse(s.shouldShed());
      now += TimeUnit.MILLISECONDS.toNanos(9);
    }
    assertEquals(TimeUnit.MILLISECONDS.toNanos(1), s.lastDelayNanos());
  }

  @Test
  void aProbeWaitingPastTheLimitShedsBeforeItRunsAndUntilAProbeRunsInTime() {
    LoadShedder s = shedder(LIMIT);
    s.probe();
    now += LIMIT; // exactly the limit: still admitted
    assertFalse(s.shouldShed());
    now += 1;
    assertTrue(s.shouldShed(), "the waiting probe is already older than the limit");
    s.probe(); // one probe at a time: the late one keeps counting
    assertEquals(1, dispatcher.queue.size());

    now += TimeUnit.MILLISECONDS.toNanos(30);
    dispatcher.runAll(); // it ran 80 ms after it was queued
    assertTrue(s.shouldShed(), "shedding until a probe shows the dispatcher caught up");
    assertEquals(TimeUnit.MILLISECONDS.toNanos(80) + 1, s.lastDelayNanos());

    s.probe();
    now += TimeUnit.MILLISECONDS.toNanos(2);
    dispatcher.runAll();
    assertFalse(s.shouldShed(), "caught up: calls are admitted again");
  }

  @Test
  void aZeroLimitNeverSheds() {
    LoadShedder s = shedder(0);
    s.probe();
    now += TimeUnit.SECONDS.toNanos(10);
    assertFalse(s.shouldShed());
    dispatcher.runAll();
    assertFalse(s.shouldShed());
  }

  @Test
  void theLimitIsReadAtEveryDecisionSoAReloadAppliesAtOnce() {
    long[] limit = {LIMIT};
    LoadShedder s = new LoadShedder(() -> limit[0], dispatcher, () -> now);
    s.probe();
    now += TimeUnit.MILLISECONDS.toNanos(20);
    dispatcher.runAll();
    assertFalse(s.shouldShed());
    limit[0] = TimeUnit.MILLISECONDS.toNanos(10);
    assertTrue(s.shouldShed());
  }

  @Test
  void shedCallsAreCounted() {
    LoadShedder s = shedder(LIMIT);
    s.shedOne();
    s.shedOne();
    assertEquals(2, s.shedCount());
  }
}
