package clearip.proxy.streams.transport;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PortUnreachableWatchTest {
  @Test
  void aBurstOfWatchedSendsWakesTheWatchOncePerBatchNotOncePerSend() throws Exception {
    try (DatagramChannel listening = DatagramChannel.open();
        PortUnreachableWatch watch = new PortUnreachableWatch(16, TransportMetrics.NONE)) {
      listening.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      InetSocketAddress destination = (InetSocketAddress) listening.getLocalAddress();
      int sends = 2_000;
      long start = System.nanoTime();
      for (int i = 0; i < sends; i++) watch.watch(destination, r -> {});
      long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      // a request wakes a thread asleep for long; one that has just taken requests takes the
      // next ones after BATCH_MILLIS, unwoken: at most one wake-up per batch window
      long bound = 1 + elapsedMillis / PortUnreachableWatch.BATCH_MILLIS + 1;
      assertTrue(watch.wakeups() <= bound,
          watch.wakeups() + " wake-ups for " + sends + " sends in " + elapsedMillis + " ms");
      assertTrue(watch.wakeups() >= 1, "the first request wakes it");
    }
  }
}
