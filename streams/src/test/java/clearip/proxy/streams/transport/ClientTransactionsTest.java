package clearip.proxy.streams.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.testing.SipFixtures;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The table alone, without sockets: routing by branch and path, the ends of entries, loss. */
class ClientTransactionsTest {
  final ClientTransactions table = new ClientTransactions();
  final ClientTransactions.ReturnPath clearIp = ClientTransactions.ReturnPath.connection("a");
  final ClientTransactions.ReturnPath otherClearIp = ClientTransactions.ReturnPath.connection("b");

  /** What a call would be told, in order. */
  static final class Recorder implements ClientTransactions.Callback {
    final List<String> events = new ArrayList<>();

    @Override
    public void onResponse(SipResponse response) {
      events.add(response.statusCode() + " " + response.cseqMethod());
    }

    @Override
    public void onUnavailable(String reason) {
      events.add("unavailable: " + reason);
    }
  }

  static SipResponse response(String branch, int status, String method) {
    return SipFixtures.response("SIP/2.0 " + status + " X\r\n"
        + "Via: SIP/2.0/TCP 192.0.2.1:5060;branch=" + branch + "\r\n"
        + "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKsw\r\n"
        + "From: <sip:a@192.0.2.20>;tag=1\r\n"
        + "To: <sip:b@192.0.2.30>;tag=2\r\n"
        + "Call-ID: c1\r\n"
        + "CSeq: 1 " + method + "\r\n"
        + "Content-Length: 0\r\n\r\n");
  }

  private boolean route(SipResponse r, ClientTransactions.ReturnPath arrivedOn) {
    return table.route(r.topViaBranch(), r, arrivedOn);
  }

  @Test
  void routesEachResponseToTheCallbackOfItsBranchAndAFinalEndsAConnectionsEntry() {
    Recorder a = new Recorder();
    Recorder b = new Recorder();
    table.register("z9hG4bKa", clearIp, a);
    table.register("z9hG4bKb", clearIp, b);
    assertEquals(2, clearIp.waiting());
    assertTrue(route(response("z9hG4bKa", 100, "INVITE"), clearIp));
    assertTrue(route(response("z9hG4bKb", 302, "INVITE"), clearIp));
    assertEquals(List.of("100 INVITE"), a.events);
    assertEquals(List.of("302 INVITE"), b.events);
    assertEquals(1, clearIp.waiting(), "the final ended b's entry; a's provisional did not");
    assertTrue(table.isWaiting("z9hG4bKa", clearIp));
    assertFalse(table.isWaiting("z9hG4bKb", clearIp));
  }

  @Test
  void aSecondFinalOnAConnectionIsADuplicateAndMatchesNothing() {
    Recorder a = new Recorder();
    table.register("z9hG4bKa", clearIp, a);
    assertTrue(route(response("z9hG4bKa", 302, "INVITE"), clearIp));
    assertFalse(route(response("z9hG4bKa", 302, "INVITE"), clearIp));
    assertEquals(List.of("302 INVITE"), a.events);
    assertEquals(0, table.size());
  }

  @Test
  void theFinalToACancelLeavesItsInviteWaiting() {
    Recorder a = new Recorder();
    table.register("z9hG4bKa", clearIp, a);
    assertTrue(route(response("z9hG4bKa", 200, "CANCEL"), clearIp));
    assertTrue(table.isWaiting("z9hG4bKa", clearIp), "the INVITE's own final is still to come");
    assertTrue(route(response("z9hG4bKa", 487, "INVITE"), clearIp));
    assertEquals(List.of("200 CANCEL", "487 INVITE"), a.events);
    assertEquals(0, clearIp.waiting());
  }

  @Test
  void anUnknownOrMissingBranchMatchesNothing() {
    Recorder a = new Recorder();
    table.register("z9hG4bKa", clearIp, a);
    assertFalse(route(response("z9hG4bKnobody", 200, "INVITE"), clearIp));
    assertFalse(table.route(null, response("z9hG4bKa", 200, "INVITE"), clearIp));
    assertEquals(List.of(), a.events);
    assertEquals(1, clearIp.waiting());
  }

  @Test
  void aResponseOnAnotherReturnPathMatchesNothing() {
    Recorder toClearIp = new Recorder();
    Recorder toDestination = new Recorder();
    table.register("z9hG4bKup", clearIp, toClearIp);
    table.register("z9hG4bKdest", table.listeners(), toDestination);
    // a destination cannot answer for ClearIP, nor ClearIP for a destination, nor one
    // connection for another
    assertFalse(route(response("z9hG4bKup", 200, "INVITE"), table.listeners()));
    assertFalse(route(response("z9hG4bKup", 200, "INVITE"), otherClearIp));
    assertFalse(route(response("z9hG4bKdest", 200, "INVITE"), clearIp));
    assertEquals(List.of(), toClearIp.events);
    assertEquals(List.of(), toDestination.events);
    assertEquals(2, table.size(), "nothing ended");
  }

  @Test
  void aDestinationsEntryOutlivesItsFinalUntilTheCallForgetsIt() {
    Recorder call = new Recorder();
    ClientTransactions.ReturnPath listeners = table.listeners();
    table.register("z9hG4bKd1", listeners, call);
    // over UDP the destination repeats its final until our ACK reaches it
    assertTrue(route(response("z9hG4bKd1", 486, "INVITE"), listeners));
    assertTrue(route(response("z9hG4bKd1", 486, "INVITE"), listeners));
    assertEquals(List.of("486 INVITE", "486 INVITE"), call.events);
    assertTrue(table.forget("z9hG4bKd1", listeners));
    assertFalse(route(response("z9hG4bKd1", 486, "INVITE"), listeners));
    assertEquals(0, listeners.waiting());
  }

  @Test
  void losingAConnectionTellsEveryCallWaitingOnItOnceAndNoOther() {
    List<Recorder> onLost = List.of(new Recorder(), new Recorder(), new Recorder());
    for (int i = 0; i < onLost.size(); i++) {
      table.register("z9hG4bKl" + i, clearIp, onLost.get(i));
    }
    Recorder onOther = new Recorder();
    Recorder toDestination = new Recorder();
    table.register("z9hG4bKo", otherClearIp, onOther);
    table.register("z9hG4bKd", table.listeners(), toDestination);
    assertEquals(3, table.lose(clearIp, "connection lost"));
    for (Recorder r : onLost) assertEquals(List.of("unavailable: connection lost"), r.events);
    assertEquals(List.of(), onOther.events);
    assertEquals(List.of(), toDestination.events);
    assertEquals(0, clearIp.waiting());
    assertEquals(1, otherClearIp.waiting());
    assertEquals(2, table.size());
    assertEquals(0, table.lose(clearIp, "again"), "each call is told once");
    assertFalse(route(response("z9hG4bKl0", 302, "INVITE"), clearIp), "a late answer: unknown");
  }

  @Test
  void forgetEndsAnEntryOnlyOnItsOwnPath() {
    table.register("z9hG4bKa", clearIp, new Recorder());
    assertFalse(table.forget("z9hG4bKa", otherClearIp));
    assertFalse(table.forget("z9hG4bKnobody", clearIp));
    assertEquals(1, clearIp.waiting());
    assertTrue(table.forget("z9hG4bKa", clearIp));
    assertFalse(table.forget("z9hG4bKa", clearIp), "once");
    assertEquals(0, clearIp.waiting());
  }

  @Test
  void takeEndsTheEntryOfAnAnswerThatCouldNotBeUsed() {
    Recorder a = new Recorder();
    table.register("z9hG4bKa", clearIp, a);
    assertNull(table.take("z9hG4bKa", otherClearIp));
    assertNull(table.take(null, clearIp));
    assertSame(a, table.take("z9hG4bKa", clearIp));
    assertNull(table.take("z9hG4bKa", clearIp), "its call is told once");
    assertEquals(0, clearIp.waiting());
  }

  @Test
  void aBranchRegisteredAgainGoesToTheNewerCallbackAndIsCountedOnce() {
    Recorder first = new Recorder();
    Recorder second = new Recorder();
    table.register("z9hG4bKa", clearIp, first);
    table.register("z9hG4bKa", otherClearIp, second);
    assertEquals(0, clearIp.waiting());
    assertEquals(1, otherClearIp.waiting());
    assertTrue(route(response("z9hG4bKa", 302, "INVITE"), otherClearIp));
    assertEquals(List.of(), first.events);
    assertEquals(List.of("302 INVITE"), second.events);
    assertEquals(0, otherClearIp.waiting());
  }
}
