package clearip.proxy.actors.call.txn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.actors.call.CallOutcome;
import clearip.proxy.actors.call.CallSettings;
import clearip.proxy.actors.call.InlineSettings;
import clearip.proxy.actors.call.txn.ProxyTransaction.Action;
import clearip.proxy.actors.call.txn.ProxyTransaction.TimerKind;
import clearip.proxy.sip.message.SipMessage;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.testing.SipFixtures;
import clearip.proxy.streams.transport.SendResult;
import clearip.proxy.streams.transport.Transport;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Inline mode's sequential reroute over the Contacts of ClearIP's 302, without actors. */
class InlineSearchTest {
  static final String BRANCH = "z9hG4bKcip.9";
  static final String VIA = "SIP/2.0/TLS 192.0.2.10:40000;branch=" + BRANCH;
  final String inviteText = SipFixtures.invite("call-9@192.0.2.20", "z9hG4bKsw9");

  ProxyTransaction txn(InlineSettings inline, boolean reliable) {
    CallSettings s = CallSettings.defaults().withInline(inline);
    return new ProxyTransaction(SipFixtures.request(inviteText), s, reliable, BRANCH, "tag9", 0,
        t -> "192.0.2.10:5060");
  }

  static <T extends Action> List<T> of(List<Action> a, Class<T> type) {
    return a.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
  }

  static SipMessage sip(byte[] b) {
    return SipFixtures.decode(new String(b, StandardCharsets.UTF_8));
  }

  /** The attempt sent in these actions (an INVITE to a destination). */
  static Action.ToDestination attempt(List<Action> a) {
    return of(a, Action.ToDestination.class).stream()
        .filter(d -> ((SipRequest) sip(d.bytes())).isInvite()).findFirst().orElseThrow();
  }

  SipResponse destinationResponse(Action.ToDestination sent, int status) {
    SipRequest fwd = (SipRequest) sip(sent.bytes());
    String r = new String(clearip.proxy.sip.message.SipResponses.create(fwd, status, "X", "d1",
        List.of()), StandardCharsets.UTF_8);
    return SipFixtures.response(r);
  }

  /** Starts the call and answers it with ClearIP's 302 carrying n Contacts. */
  List<Action> redirected(ProxyTransaction t, int contacts) {
    t.start(VIA, 0);
    return t.onUpstreamResponse(SipFixtures.response(SipFixtures.redirect("call-9@192.0.2.20",
        BRANCH, contacts)), 1);
  }

  @Test
  void firstAttemptCarriesClearIpsIdentityAndTheContactAsRequestUri() {
    ProxyTransaction t = txn(InlineSettings.defaults(), true);
    List<Action> a = redirected(t, 3);
    assertTrue(((SipRequest) sip(of(a, Action.ToUpstream.class).get(0).bytes())).isAck(),
        "the 302 is ACKed hop by hop");
    assertTrue(of(a, Action.ToSwitch.class).isEmpty(), "the 302 is not relayed");
    Action.ToDestination d = attempt(a);
    SipRequest fwd = (SipRequest) sip(d.bytes());
    assertEquals("sip:+14016401234@10.0.0.1;transport=udp", fwd.requestUri());
    assertEquals(List.of(SipFixtures.IDENTITY), fwd.identities());
    assertEquals(BRANCH + ".0", fwd.topViaBranch());
    assertEquals("192.0.2.10", fwd.topVia().host());
    assertEquals(201, fwd.cseqNumber());
    assertEquals(68, fwd.maxForwards());
    // the INVITE with its Identity is over 1300 bytes: TCP, not UDP (RFC 3261 18.1.1)
    assertTrue(d.bytes().length > 1300);
    assertEquals(Transport.TCP, d.destination().transport());
    assertEquals("SIP/2.0/TCP 192.0.2.10:5060;branch=" + BRANCH + ".0;rport",
        fwd.headers(clearip.proxy.sip.header.HeaderName.VIA).get(0));
    assertEquals("10.0.0.1", d.destination().host());
    assertEquals(5060, d.destination().port());
    assertEquals(ProxyTransaction.State.SEARCHING, t.state());
  }

  @Test
  void failureMovesToTheNextContactAndSuccessIsRelayed() {
    ProxyTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination first = attempt(redirected(t, 3));
    List<Action> a = t.onDestinationResponse(destinationResponse(first, 503));
    assertTrue(of(a, Action.ToDestination.class).stream()
        .anyMatch(d -> ((SipRequest) sip(d.bytes())).isAck()), "503 ACKed");
    Action.ToDestination second = attempt(a);
    assertEquals("10.0.0.2", second.destination().host());
    List<Action> b = t.onDestinationResponse(destinationResponse(second, 180));
    assertEquals(180, ((SipResponse) sip(of(b, Action.ToSwitch.class).get(0).bytes()))
        .statusCode());
    List<Action> c = t.onDestinationResponse(destinationResponse(second, 200));
    SipResponse ok = (SipResponse) sip(of(c, Action.ToSwitch.class).get(0).bytes());
    assertEquals(200, ok.statusCode());
    assertEquals("z9hG4bKsw9", ok.topViaBranch(), "our Via removed");
    assertEquals(CallOutcome.ANSWERED, t.outcome());
    assertEquals(2, t.attemptsMade());
    assertEquals(1, of(c, Action.Terminate.class).size(),
        "answered: nothing keeps the call (2xx retransmissions are relayed statelessly)");
  }

  @Test
  void transportErrorAndSilenceMoveOn() {
    ProxyTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination first = attempt(redirected(t, 3));
    Action.ToDestination second = attempt(t.onSendResult(first.attempt(),
        new SendResult.Failed("refused")));
    assertEquals("10.0.0.2", second.destination().host());
    Action.ToDestination third = attempt(t.onAttemptTimer(TimerKind.NO_ANSWER, 1));
    assertEquals("10.0.0.3", third.destination().host());
  }

  static InlineSettings noSizeSwitch() {
    InlineSettings d = InlineSettings.defaults();
    return new InlineSettings(d.maxAttempts(), d.noAnswerTimeout(), d.ringTimeout(),
        d.stopCodes(), d.stopAfterRinging(), d.allFailed503(), d.copyPai(), 0, d.recordRoute());
  }

  @Test
  void udpAttemptIsRetransmittedWithTimerA() {
    ProxyTransaction t = txn(noSizeSwitch(), false);
    List<Action> a = redirected(t, 2);
    Action.StartTimer ta = of(a, Action.StartTimer.class).stream()
        .filter(s -> s.kind() == TimerKind.TIMER_A).findFirst().orElseThrow();
    assertEquals(500, ta.after().toMillis());
    List<Action> r = t.onAttemptTimer(TimerKind.TIMER_A, 0);
    assertEquals(1, of(r, Action.ToDestination.class).size());
    assertEquals(1000, of(r, Action.StartTimer.class).get(0).after().toMillis());
  }

  @Test
  void busyEndsTheSearchAndSixHundredsToo() {
    ProxyTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination first = attempt(redirected(t, 3));
    List<Action> a = t.onDestinationResponse(destinationResponse(first, 486));
    assertEquals(486, ((SipResponse) sip(of(a, Action.ToSwitch.class).get(0).bytes()))
        .statusCode());
    assertEquals(1, t.attemptsMade());

    ProxyTransaction t2 = txn(InlineSettings.defaults(), true);
    Action.ToDestination f2 = attempt(redirected(t2, 3));
    List<Action> b = t2.onDestinationResponse(destinationResponse(f2, 603));
    assertEquals(603, ((SipResponse) sip(of(b, Action.ToSwitch.class).get(0).bytes()))
        .statusCode());
    assertEquals(CallOutcome.DESTINATIONS_FAILED, t2.outcome());
  }

  @Test
  void ringingThenTimeoutCancelsAndStopsOrMovesOn() {
    ProxyTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination first = attempt(redirected(t, 3));
    t.onDestinationResponse(destinationResponse(first, 180));
    List<Action> a = t.onAttemptTimer(TimerKind.RING, 0);
    assertTrue(((SipRequest) sip(of(a, Action.ToDestination.class).get(0).bytes())).isCancel());
    assertEquals(408, ((SipResponse) sip(of(a, Action.ToSwitch.class).get(0).bytes()))
        .statusCode(), "rang already: stop, per default");

    ProxyTransaction t2 = txn(InlineSettings.defaults().withStopAfterRinging(false), true);
    Action.ToDestination f2 = attempt(redirected(t2, 3));
    t2.onDestinationResponse(destinationResponse(f2, 180));
    List<Action> b = t2.onAttemptTimer(TimerKind.RING, 0);
    assertEquals("10.0.0.2", attempt(b).destination().host());
  }

  @Test
  void allFailedGivesTheBestFinalOr503() {
    ProxyTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination d = attempt(redirected(t, 2));
    d = attempt(t.onDestinationResponse(destinationResponse(d, 503)));
    List<Action> a = t.onDestinationResponse(destinationResponse(d, 404));
    assertEquals(404, ((SipResponse) sip(of(a, Action.ToSwitch.class).get(0).bytes()))
        .statusCode(), "4xx is better than 5xx (RFC 3261 16.7)");

    ProxyTransaction t2 = txn(InlineSettings.defaults().withAllFailed503(true), true);
    Action.ToDestination e = attempt(redirected(t2, 1));
    List<Action> b = t2.onDestinationResponse(destinationResponse(e, 404));
    assertEquals(503, ((SipResponse) sip(of(b, Action.ToSwitch.class).get(0).bytes()))
        .statusCode());
  }

  @Test
  void lateSuccessFromAnAbandonedAttemptStillReachesTheSwitch() {
    ProxyTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination first = attempt(redirected(t, 2));
    Action.ToDestination second = attempt(t.onAttemptTimer(TimerKind.NO_ANSWER, 0));
    List<Action> late = t.onDestinationResponse(destinationResponse(first, 200));
    assertEquals(200, ((SipResponse) sip(of(late, Action.ToSwitch.class).get(0).bytes()))
        .statusCode());
    assertEquals(CallOutcome.ANSWERED, t.outcome());
    assertEquals(BRANCH + ".1", ((SipRequest) sip(second.bytes())).topViaBranch());
    // the second attempt is cancelled (CANCEL pending until it has a provisional): the call
    // waits for its final, bounded by the ACCEPTED timer
    assertTrue(of(late, Action.Terminate.class).isEmpty());
    assertTrue(of(late, Action.StartTimer.class).stream()
        .anyMatch(st -> st.kind() == TimerKind.ACCEPTED));
    List<Action> cancelledFinal = t.onDestinationResponse(destinationResponse(second, 487));
    assertEquals(1, of(cancelledFinal, Action.Terminate.class).size());
  }

  @Test
  void cancelFromTheSwitchCancelsTheActiveAttempt() {
    ProxyTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination first = attempt(redirected(t, 2));
    t.onDestinationResponse(destinationResponse(first, 100));
    SipRequest cancel = SipFixtures.request(inviteText.replaceFirst("INVITE sip", "CANCEL sip")
        .replace("CSeq: 201 INVITE", "CSeq: 201 CANCEL"));
    List<Action> a = t.onCancel(cancel);
    assertTrue(((SipRequest) sip(of(a, Action.ToDestination.class).get(0).bytes())).isCancel());
    assertEquals(487, ((SipResponse) sip(of(a, Action.ToSwitch.class).get(1).bytes()))
        .statusCode());
    assertEquals(CallOutcome.CANCELLED, t.outcome());
  }

  @Test
  void redirectWithoutUsableContactsIsRelayed() {
    ProxyTransaction t = txn(InlineSettings.defaults(), true);
    t.start(VIA, 0);
    String r = SipFixtures.redirect("call-9@192.0.2.20", BRANCH, 1)
        .replace("<sip:+14016401234@10.0.0.1;transport=udp>", "<tel:+14016401234>");
    List<Action> a = t.onUpstreamResponse(SipFixtures.response(r), 1);
    assertEquals(302, ((SipResponse) sip(of(a, Action.ToSwitch.class).get(0).bytes()))
        .statusCode());
  }

  @Test
  void contactPlanOrdersByQAndDropsDuplicates() {
    var contacts = SipFixtures.response(SipFixtures.redirect("c", BRANCH, 1)
        .replace("Contact: <sip:+14016401234@10.0.0.1;transport=udp>;q=0.99",
            "Contact: <sip:a@10.0.0.5>;q=0.5, <sip:b@10.0.0.6>;q=0.9, <sip:a@10.0.0.5>;q=0.4,"
                + " <tel:+1>, <sip:c@10.0.0.7;transport=tcp?Route=x>;q=0.9")).contacts();
    List<ContactPlan.Target> plan = ContactPlan.of(contacts, 12);
    assertEquals(List.of("sip:b@10.0.0.6", "sip:c@10.0.0.7;transport=tcp", "sip:a@10.0.0.5"),
        plan.stream().map(ContactPlan.Target::requestUri).toList());
    assertEquals(Transport.TCP, plan.get(1).destination().transport());
    assertEquals(2, ContactPlan.of(contacts, 2).size());
  }
}
