package clearip.proxy.ops.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class TcpSequencesTest {
  final Endpoints out = Endpoints.of(new InetSocketAddress("127.0.0.1", 40000),
      new InetSocketAddress("127.0.0.1", 5061));
  final Endpoints in = out.reversed();

  @Test
  void eachDirectionAdvancesByWhatItSent() {
    TcpSequences s = new TcpSequences(10);
    assertEquals(1, s.take(out, 100));
    assertEquals(101, s.take(out, 50));
    assertEquals(1, s.take(in, 300));
    assertEquals(151, s.take(out, 1));
  }

  @Test
  void eachSegmentAcknowledgesWhatThePeerSent() {
    TcpSequences s = new TcpSequences(10);
    assertEquals(1, s.ack(out));
    s.take(in, 300);
    assertEquals(301, s.ack(out));
    s.take(out, 20);
    assertEquals(21, s.ack(in));
  }

  @Test
  void sequenceNumbersWrapAt32Bits() {
    TcpSequences s = new TcpSequences(10);
    for (int i = 0; i < 3; i++) s.take(out, 0x7fff_ffff);
    assertEquals((1 + 3L * 0x7fff_ffff) & 0xffff_ffffL, s.take(out, 1));
  }

  @Test
  void theLeastRecentlyUsedFlowsAreForgottenPastTheBound() {
    TcpSequences s = new TcpSequences(1);
    s.take(out, 10);
    s.take(in, 10);
    assertEquals(1, s.take(out, 10)); // forgotten: starts again
  }
}
