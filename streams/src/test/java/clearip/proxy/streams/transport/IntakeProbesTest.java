package clearip.proxy.streams.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.junit.jupiter.api.Test;

class IntakeProbesTest {
  /** Stands in for the socket: what was sent, in order. */
  private final ArrayDeque<ByteBuffer> queued = new ArrayDeque<>();
  private final IntakeProbes probes = new IntakeProbes();

  private void send(long now) {
    probes.send(now, b -> queued.add(b));
  }

  private void readOne() {
    probes.received(queued.poll());
  }

  @Test
  void theWaitIsTheAgeOfTheOldestProbeNotYetRead() {
    assertEquals(0, probes.waitNanos(100));
    send(100);
    send(110);
    send(120);
    assertEquals(30, probes.waitNanos(130));
    readOne();
    assertEquals(20, probes.waitNanos(130), "the next one is now the oldest");
    readOne();
    readOne();
    assertEquals(0, probes.waitNanos(130));
  }

  @Test
  void aProbeReadMeansTheEarlierOnesWereReadOrDropped() {
    send(100);
    send(110);
    send(120);
    queued.poll(); // the kernel dropped the first two: the buffer was full
    queued.poll();
    readOne();
    assertEquals(0, probes.waitNanos(500));
  }

  @Test
  void aSocketFoundEmptyHasNoProbeLeftQueued() {
    send(100);
    queued.clear(); // dropped
    assertEquals(400, probes.waitNanos(500), "unknown until the reader finds the socket empty");
    probes.drained();
    assertEquals(0, probes.waitNanos(500));
    send(600);
    assertEquals(10, probes.waitNanos(610), "probing goes on");
  }

  @Test
  void aProbeReadAfterTheSocketWasFoundEmptyOrAStrangerIsIgnored() {
    send(100);
    probes.drained(); // e.g. the probe reached the queue just after the reader looked
    send(200);
    readOne(); // the late first probe
    assertEquals(100, probes.waitNanos(300), "the second is still queued");
    probes.received(ByteBuffer.allocate(3)); // not a probe's size
    probes.received(ByteBuffer.allocate(IntakeProbes.SIZE).putLong(0, 99)); // never sent
    assertEquals(100, probes.waitNanos(300));
    readOne();
    assertEquals(0, probes.waitNanos(300));
  }

  @Test
  void aProbeTheSocketRefusedCountsAsRead() {
    probes.send(100, b -> false);
    assertEquals(0, probes.waitNanos(500));
    send(600);
    assertEquals(100, probes.waitNanos(700));
  }

  @Test
  void noMoreThanTheRingAreOutstandingAndTheWaitKeepsGrowing() {
    for (int i = 0; i < IntakeProbes.RING + 10; i++) send(100 + i);
    assertEquals(IntakeProbes.RING, queued.size(), "no more sent until one is read");
    assertEquals(1_000 - 100, probes.waitNanos(1_000));
    readOne();
    send(2_000);
    assertEquals(IntakeProbes.RING, queued.size());
    assertEquals(1_000 - 101, probes.waitNanos(1_000));
  }
}
