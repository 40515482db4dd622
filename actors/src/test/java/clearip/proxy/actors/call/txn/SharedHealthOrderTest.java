package clearip.proxy.actors.call.txn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import clearip.proxy.streams.transport.Transport;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A destination that failed elsewhere in the fleet goes last; the 302's order stands otherwise. */
class SharedHealthOrderTest {
  static ContactPlan.Target target(String host) {
    return new ContactPlan.Target("sip:+1@" + host,
        new Destination(Transport.UDP, host, 5060, null));
  }

  static DestinationHealth failedElsewhere(Set<String> hosts) {
    return new DestinationHealth() {
      @Override
      public boolean penalized(Destination d) {
        return hosts.contains(d.host());
      }

      @Override
      public void failed(Destination d) {}
    };
  }

  @Test
  void penalizedDestinationsGoLastInTheirOwnOrder() {
    List<ContactPlan.Target> plan = List.of(target("10.0.0.1"), target("10.0.0.2"),
        target("10.0.0.3"), target("10.0.0.4"));
    List<ContactPlan.Target> out = ContactPlan.penalizedLast(plan,
        failedElsewhere(Set.of("10.0.0.1", "10.0.0.3")));
    assertEquals(List.of("10.0.0.2", "10.0.0.4", "10.0.0.1", "10.0.0.3"),
        out.stream().map(t -> t.destination().host()).toList());
  }

  @Test
  void aloneOrWithNothingPenalizedThePlanIsUntouched() {
    List<ContactPlan.Target> plan = List.of(target("10.0.0.1"), target("10.0.0.2"));
    assertSame(plan, ContactPlan.penalizedLast(plan, DestinationHealth.LOCAL));
    assertSame(plan, ContactPlan.penalizedLast(plan, failedElsewhere(Set.of())));
  }

  @Test
  void theTransportMemoryCarriesTheSharedHealth() {
    TransportMemory m = new TransportMemory(System::nanoTime);
    assertSame(DestinationHealth.LOCAL, m.health());
    DestinationHealth h = failedElsewhere(Set.of());
    m.shareHealth(h);
    assertSame(h, m.health());
  }
}
