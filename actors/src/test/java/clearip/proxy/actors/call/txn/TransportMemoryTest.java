package clearip.proxy.actors.call.txn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.streams.transport.Transport;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TransportMemoryTest {
  final AtomicLong clock = new AtomicLong(-5_000);

  static Destination udp(String host, int port) {
    return new Destination(Transport.UDP, host, port, host, false);
  }

  @Test
  void aDestinationIsUdpOnlyForAsLongAsConfiguredThenTcpIsTriedAgain() {
    TransportMemory m = new TransportMemory(clock::get);
    m.fellBack(udp("10.0.0.1", 5060), "refused", Duration.ofSeconds(10));
    assertTrue(m.udpOnly(udp("10.0.0.1", 5060)));
    assertFalse(m.udpOnly(udp("10.0.0.1", 5070)), "per host and port");
    clock.addAndGet(Duration.ofSeconds(10).toNanos() - 1);
    assertTrue(m.udpOnly(udp("10.0.0.1", 5060)));
    clock.incrementAndGet();
    assertFalse(m.udpOnly(udp("10.0.0.1", 5060)));
    assertEquals(0, m.size(), "an expired entry is dropped when looked at");
    assertEquals(1, m.fallbacks());
  }

  @Test
  void tcpThatWorksAndAZeroMemoryLeaveNothingRemembered() {
    TransportMemory m = new TransportMemory(clock::get);
    m.fellBack(udp("::1", 5060), "refused", Duration.ofMinutes(1));
    m.tcpWorks(udp("::1", 5060));
    assertFalse(m.udpOnly(udp("::1", 5060)));
    m.fellBack(udp("10.0.0.2", 5060), "refused", Duration.ZERO);
    assertFalse(m.udpOnly(udp("10.0.0.2", 5060)));
    assertEquals(2, m.fallbacks(), "counted all the same");
  }

  @Test
  void boundedInEntriesExpiredOnesMakeRoom() {
    TransportMemory m = new TransportMemory(clock::get, 2);
    m.fellBack(udp("10.0.0.1", 5060), "refused", Duration.ofSeconds(1));
    m.fellBack(udp("10.0.0.2", 5060), "refused", Duration.ofSeconds(5));
    m.fellBack(udp("10.0.0.3", 5060), "refused", Duration.ofSeconds(5));
    assertFalse(m.udpOnly(udp("10.0.0.3", 5060)), "full of live entries: not remembered");
    clock.addAndGet(Duration.ofSeconds(2).toNanos());
    m.fellBack(udp("10.0.0.3", 5060), "refused", Duration.ofSeconds(5));
    assertTrue(m.udpOnly(udp("10.0.0.3", 5060)));
    assertTrue(m.udpOnly(udp("10.0.0.2", 5060)));
    assertEquals(2, m.size());
  }
}
