package clearip.proxy.ops.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.actors.call.txn.Destination;
import clearip.proxy.streams.transport.Transport;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SharedDestinationHealthTest {
  final Destination d = new Destination(Transport.UDP, "192.0.2.7", 5060, null);
  final SharedDestinationHealth here = new SharedDestinationHealth(Duration.ofSeconds(30),
      "10.0.0.11:25520");

  @Test
  void aLocalFailureIsSharedOnceNotPenalizedHere() {
    here.failed(d);
    assertFalse(here.penalized(d));
    Map<String, Long> out = here.drain();
    assertTrue(out.get("192.0.2.7:5060") > System.currentTimeMillis() + 25_000);
    assertTrue(here.drain().isEmpty());
  }

  @Test
  void aFailureOnAnotherNodePenalizesUntilItEnds() {
    long later = System.currentTimeMillis() + 30_000;
    here.fleet(Map.of("192.0.2.7:5060", later + "|10.0.0.12:25520"));
    assertTrue(here.penalized(d));
    here.fleet(Map.of("192.0.2.7:5060", (System.currentTimeMillis() - 1) + "|10.0.0.12:25520"));
    assertFalse(here.penalized(d));
  }

  @Test
  void thisNodesOwnEntriesAreNotAPenaltyHere() {
    here.fleet(Map.of("192.0.2.7:5060",
        (System.currentTimeMillis() + 30_000) + "|10.0.0.11:25520"));
    assertFalse(here.penalized(d));
  }

  @Test
  void untilReadsTheEntry() {
    assertEquals(42, SharedDestinationHealth.until("42|10.0.0.1:1"));
    assertEquals(0, SharedDestinationHealth.until("x|y"));
  }
}
