package clearip.proxy.actors.call.txn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.actors.call.txn.TxnTimer.AttemptTimer;
import clearip.proxy.actors.call.txn.TxnTimer.AttemptTimer.Kind;
import clearip.proxy.actors.call.txn.TxnTimer.CallTimer;
import clearip.proxy.sip.message.SipMessage;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.testing.SipFixtures;
import clearip.proxy.streams.transport.SendResult;
import clearip.proxy.streams.transport.Transport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Inline mode's sequential reroute over the Contacts of ClearIP's 302, without actors. */
class InlineSearchTest {
  static final String BRANCH = "z9hG4bKcip.9";
  static final String VIA = "SIP/2.0/TLS 192.0.2.10:40000;branch=" + BRANCH;
  final String inviteText = SipFixtures.invite("call-9@192.0.2.20", "z9hG4bKsw9");

  RelayTransaction txn(InlineSettings inline, boolean reliable) {
    return txn(inline, reliable, new TransportMemory(System::nanoTime));
  }

  RelayTransaction txn(InlineSettings inline, boolean reliable, TransportMemory memory) {
    CallSettings s = CallSettings.defaults().withInline(inline);
    return new RelayTransaction(SipFixtures.request(inviteText), s, reliable, BRANCH, "tag9", 0,
        t -> "192.0.2.10:5060", memory, DialogTokens.of("a key of sixteen bytes or more"));
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

  /** Starts the call and answers it with ClearIP's 302 carrying n Contacts (transport=udp). */
  List<Action> redirected(RelayTransaction t, int contacts) {
    t.start(VIA, 0);
    return t.onUpstreamResponse(SipFixtures.response(SipFixtures.redirect("call-9@192.0.2.20",
        BRANCH, contacts)), 1);
  }

  /** As above, with Contacts that name no transport, as ClearIP documents them. */
  List<Action> redirectedAsClearIpSends(RelayTransaction t, int contacts) {
    t.start(VIA, 0);
    return t.onUpstreamResponse(SipFixtures.response(SipFixtures.redirect("call-9@192.0.2.20",
        BRANCH, contacts).replace(";transport=udp", "")), 1);
  }

  @Test
  void firstAttemptCarriesClearIpsIdentityAndTheContactAsRequestUri() {
    RelayTransaction t = txn(InlineSettings.defaults(), true);
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
    // over 1300 bytes with its Identity, but the Contact names UDP: UDP it is
    assertTrue(d.bytes().length > 1300);
    assertEquals(Transport.UDP, d.destination().transport());
    assertEquals("SIP/2.0/UDP 192.0.2.10:5060;branch=" + BRANCH + ".0;rport",
        fwd.headers(clearip.proxy.sip.header.HeaderName.VIA).get(0));
    assertEquals("10.0.0.1", d.destination().host());
    assertEquals(5060, d.destination().port());
    assertEquals(CallState.SEARCHING, t.state());
  }

  // ---- large INVITEs to Contacts that name no transport (RFC 3261 18.1.1) --------------------

  /** The size rule at 1,000 bytes: the fixture's INVITE with its Identity is larger. */
  static InlineSettings sizeRule() {
    return InlineSettings.defaults().withLargeInvites(new InlineSettings.LargeInvites(1000, true,
        Duration.ofMillis(500), Duration.ofMinutes(10)));
  }

  static boolean isA(TxnTimer timer, Kind kind) {
    return timer instanceof AttemptTimer t && t.kind() == kind;
  }

  static Action.StartTimer timer(List<Action> a, Kind kind) {
    return of(a, Action.StartTimer.class).stream().filter(s -> isA(s.timer(), kind)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " in " + a));
  }

  static boolean cancels(List<Action> a, Kind kind, int attempt) {
    return of(a, Action.CancelTimer.class).stream()
        .anyMatch(c -> c.timer().equals(new AttemptTimer(kind, attempt)));
  }

  @Test
  void aLargeInviteToAContactWithoutTransportGoesOverTcpWithAConnectBound() {
    RelayTransaction t = txn(sizeRule(), true);
    List<Action> a = redirectedAsClearIpSends(t, 2);
    Action.ToDestination d = attempt(a);
    assertTrue(d.bytes().length > 1000);
    assertEquals(Transport.TCP, d.destination().transport());
    assertEquals("SIP/2.0/TCP 192.0.2.10:5060;branch=" + BRANCH + ".0;rport",
        ((SipRequest) sip(d.bytes())).headers(clearip.proxy.sip.header.HeaderName.VIA).get(0));
    assertEquals(Duration.ofMillis(500), timer(a, Kind.TCP_CONNECT).after());
    // it connects: kept, the bound no longer matters
    List<Action> sent = t.onSendResult(0, SendResult.Sent.INSTANCE);
    assertTrue(cancels(sent, Kind.TCP_CONNECT, 0));
    assertTrue(t.onTimer(new AttemptTimer(Kind.TCP_CONNECT, 0)).isEmpty());
  }

  @Test
  void refusedTcpFallsBackToUdpAtOnceAndTheDestinationIsRemembered() {
    AtomicLong clock = new AtomicLong();
    TransportMemory memory = new TransportMemory(clock::get);
    RelayTransaction t = txn(sizeRule(), true, memory);
    Action.ToDestination tcp = attempt(redirectedAsClearIpSends(t, 2));
    List<Action> a = t.onSendResult(tcp.attempt(), new SendResult.Failed("refused", true));
    Action.ToDestination udp = attempt(a);
    assertEquals(Transport.UDP, udp.destination().transport());
    assertEquals("10.0.0.1", udp.destination().host(), "the same Contact, not the next");
    assertEquals(5060, udp.destination().port());
    SipRequest fwd = (SipRequest) sip(udp.bytes());
    assertEquals("SIP/2.0/UDP 192.0.2.10:5060;branch=" + BRANCH + ".1;rport",
        fwd.headers(clearip.proxy.sip.header.HeaderName.VIA).get(0), "a branch of its own");
    assertEquals(List.of(SipFixtures.IDENTITY), fwd.identities());
    assertEquals(500, timer(a, Kind.TIMER_A).after().toMillis());
    assertTrue(cancels(a, Kind.TCP_CONNECT, 0));
    assertTrue(of(a, Action.ToSwitch.class).isEmpty(), "no failure reaches the switch");
    assertEquals(1, memory.fallbacks());

    // the next call goes straight over UDP ...
    RelayTransaction next = txn(sizeRule(), true, memory);
    assertEquals(Transport.UDP, attempt(redirectedAsClearIpSends(next, 2)).destination()
        .transport());
    // ... until the memory expires
    clock.addAndGet(Duration.ofMinutes(10).toNanos());
    RelayTransaction later = txn(sizeRule(), true, memory);
    assertEquals(Transport.TCP, attempt(redirectedAsClearIpSends(later, 2)).destination()
        .transport());
  }

  @Test
  void tcpThatDoesNotConnectInTimeFallsBackAndIsCancelledIfItStillRings() {
    RelayTransaction t = txn(sizeRule(), false);
    Action.ToDestination tcp = attempt(redirectedAsClearIpSends(t, 2));
    Action.ToDestination udp = attempt(t.onTimer(new AttemptTimer(Kind.TCP_CONNECT, 0)));
    assertEquals(Transport.UDP, udp.destination().transport());
    assertEquals("10.0.0.1", udp.destination().host());
    // the connection came up late after all: its INVITE rang there, and is CANCELled
    assertTrue(t.onSendResult(0, SendResult.Sent.INSTANCE).isEmpty());
    List<Action> ringing = t.onDestinationResponse(destinationResponse(tcp, 180));
    assertTrue(of(ringing, Action.ToDestination.class).stream()
        .anyMatch(d -> ((SipRequest) sip(d.bytes())).isCancel()), "the late TCP INVITE cancelled");
    assertTrue(of(ringing, Action.ToSwitch.class).isEmpty(), "its ringing is not relayed");
    // the UDP attempt answers the call
    List<Action> ok = t.onDestinationResponse(destinationResponse(udp, 200));
    assertEquals(200, ((SipResponse) sip(of(ok, Action.ToSwitch.class).get(0).bytes()))
        .statusCode());
    assertEquals(CallOutcome.ANSWERED, t.outcome());
    assertTrue(of(ok, Action.Terminate.class).isEmpty(), "the cancelled TCP INVITE owes its 487");
    List<Action> end = t.onDestinationResponse(destinationResponse(tcp, 487));
    assertEquals(1, of(end, Action.Terminate.class).size());
  }

  @Test
  void tcpGivenUpThatNeverConnectsEndsTheWaitForIt() {
    RelayTransaction t = txn(sizeRule(), true);
    attempt(redirectedAsClearIpSends(t, 2));
    Action.ToDestination udp = attempt(t.onTimer(new AttemptTimer(Kind.TCP_CONNECT, 0)));
    List<Action> busy = t.onDestinationResponse(destinationResponse(udp, 486));
    assertEquals(486, ((SipResponse) sip(of(busy, Action.ToSwitch.class).get(0).bytes()))
        .statusCode());
    assertTrue(of(busy, Action.Terminate.class).isEmpty(), "the TCP attempt may still connect");
    List<Action> failed = t.onSendResult(0, new SendResult.Failed("connect timed out", true));
    assertEquals(1, of(failed, Action.Terminate.class).size());
  }

  @Test
  void otherTransportErrorsAndAnOffFallbackMoveToTheNextContact() {
    RelayTransaction t = txn(sizeRule(), true);
    attempt(redirectedAsClearIpSends(t, 2));
    Action.ToDestination next = attempt(t.onSendResult(0,
        new SendResult.Failed("send queue full", false)));
    assertEquals("10.0.0.2", next.destination().host());

    InlineSettings off = InlineSettings.defaults().withLargeInvites(
        new InlineSettings.LargeInvites(1000, false, Duration.ofMillis(500), Duration.ZERO));
    RelayTransaction strict = txn(off, true);
    List<Action> a = redirectedAsClearIpSends(strict, 2);
    assertEquals(Transport.TCP, attempt(a).destination().transport());
    assertTrue(of(a, Action.StartTimer.class).stream()
        .noneMatch(s -> isA(s.timer(), Kind.TCP_CONNECT)));
    Action.ToDestination second = attempt(strict.onSendResult(0,
        new SendResult.Failed("refused", true)));
    assertEquals("10.0.0.2", second.destination().host());
    assertEquals(Transport.TCP, second.destination().transport());
  }

  @Test
  void smallInvitesAndAlwaysUdpStayOnUdp() {
    RelayTransaction t = txn(noSizeSwitch(), true);
    assertEquals(Transport.UDP, attempt(redirectedAsClearIpSends(t, 1)).destination()
        .transport());
  }

  @Test
  void failureMovesToTheNextContactAndSuccessIsRelayed() {
    RelayTransaction t = txn(InlineSettings.defaults(), true);
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
    RelayTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination first = attempt(redirected(t, 3));
    Action.ToDestination second = attempt(t.onSendResult(first.attempt(),
        new SendResult.Failed("refused")));
    assertEquals("10.0.0.2", second.destination().host());
    Action.ToDestination third = attempt(t.onTimer(new AttemptTimer(Kind.NO_ANSWER, 1)));
    assertEquals("10.0.0.3", third.destination().host());
  }

  static InlineSettings noSizeSwitch() {
    return InlineSettings.defaults().withLargeInvites(InlineSettings.LargeInvites.alwaysUdp());
  }

  @Test
  void udpAttemptIsRetransmittedWithTimerA() {
    RelayTransaction t = txn(noSizeSwitch(), false);
    List<Action> a = redirected(t, 2);
    Action.StartTimer ta = of(a, Action.StartTimer.class).stream()
        .filter(s -> isA(s.timer(), Kind.TIMER_A)).findFirst().orElseThrow();
    assertEquals(500, ta.after().toMillis());
    List<Action> r = t.onTimer(new AttemptTimer(Kind.TIMER_A, 0));
    assertEquals(1, of(r, Action.ToDestination.class).size());
    assertEquals(1000, of(r, Action.StartTimer.class).get(0).after().toMillis());
  }

  @Test
  void busyEndsTheSearchAndSixHundredsToo() {
    RelayTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination first = attempt(redirected(t, 3));
    List<Action> a = t.onDestinationResponse(destinationResponse(first, 486));
    assertEquals(486, ((SipResponse) sip(of(a, Action.ToSwitch.class).get(0).bytes()))
        .statusCode());
    assertEquals(1, t.attemptsMade());

    RelayTransaction t2 = txn(InlineSettings.defaults(), true);
    Action.ToDestination f2 = attempt(redirected(t2, 3));
    List<Action> b = t2.onDestinationResponse(destinationResponse(f2, 603));
    assertEquals(603, ((SipResponse) sip(of(b, Action.ToSwitch.class).get(0).bytes()))
        .statusCode());
    assertEquals(CallOutcome.DESTINATIONS_FAILED, t2.outcome());
  }

  @Test
  void ringingThenTimeoutCancelsAndStopsOrMovesOn() {
    RelayTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination first = attempt(redirected(t, 3));
    t.onDestinationResponse(destinationResponse(first, 180));
    List<Action> a = t.onTimer(new AttemptTimer(Kind.RING, 0));
    assertTrue(((SipRequest) sip(of(a, Action.ToDestination.class).get(0).bytes())).isCancel());
    assertEquals(408, ((SipResponse) sip(of(a, Action.ToSwitch.class).get(0).bytes()))
        .statusCode(), "rang already: stop, per default");

    RelayTransaction t2 = txn(InlineSettings.defaults().withStopAfterRinging(false), true);
    Action.ToDestination f2 = attempt(redirected(t2, 3));
    t2.onDestinationResponse(destinationResponse(f2, 180));
    List<Action> b = t2.onTimer(new AttemptTimer(Kind.RING, 0));
    assertEquals("10.0.0.2", attempt(b).destination().host());
  }

  @Test
  void allFailedGivesTheBestFinalOr503() {
    RelayTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination d = attempt(redirected(t, 2));
    d = attempt(t.onDestinationResponse(destinationResponse(d, 503)));
    List<Action> a = t.onDestinationResponse(destinationResponse(d, 404));
    assertEquals(404, ((SipResponse) sip(of(a, Action.ToSwitch.class).get(0).bytes()))
        .statusCode(), "4xx is better than 5xx (RFC 3261 16.7)");

    RelayTransaction t2 = txn(InlineSettings.defaults().withAllFailed503(true), true);
    Action.ToDestination e = attempt(redirected(t2, 1));
    List<Action> b = t2.onDestinationResponse(destinationResponse(e, 404));
    assertEquals(503, ((SipResponse) sip(of(b, Action.ToSwitch.class).get(0).bytes()))
        .statusCode());
  }

  @Test
  void lateSuccessFromAnAbandonedAttemptStillReachesTheSwitch() {
    RelayTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination first = attempt(redirected(t, 2));
    Action.ToDestination second = attempt(t.onTimer(new AttemptTimer(Kind.NO_ANSWER, 0)));
    List<Action> late = t.onDestinationResponse(destinationResponse(first, 200));
    assertEquals(200, ((SipResponse) sip(of(late, Action.ToSwitch.class).get(0).bytes()))
        .statusCode());
    assertEquals(CallOutcome.ANSWERED, t.outcome());
    assertEquals(BRANCH + ".1", ((SipRequest) sip(second.bytes())).topViaBranch());
    // the second attempt is cancelled (CANCEL pending until it has a provisional): the call
    // waits for its final, bounded by the ACCEPTED timer
    assertTrue(of(late, Action.Terminate.class).isEmpty());
    assertTrue(of(late, Action.StartTimer.class).stream()
        .anyMatch(st -> st.timer() == CallTimer.ACCEPTED));
    List<Action> cancelledFinal = t.onDestinationResponse(destinationResponse(second, 487));
    assertEquals(1, of(cancelledFinal, Action.Terminate.class).size());
  }

  @Test
  void cancelFromTheSwitchCancelsTheActiveAttempt() {
    RelayTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination first = attempt(redirected(t, 2));
    t.onDestinationResponse(destinationResponse(first, 100));
    SipRequest cancel = SipFixtures.request(inviteText.replaceFirst("INVITE sip", "CANCEL sip")
        .replace("CSeq: 201 INVITE", "CSeq: 201 CANCEL"));
    List<Action> a = t.onCancel(cancel).actions();
    assertTrue(((SipRequest) sip(of(a, Action.ToDestination.class).get(0).bytes())).isCancel());
    assertEquals(487, ((SipResponse) sip(of(a, Action.ToSwitch.class).get(0).bytes()))
        .statusCode());
    assertEquals(CallOutcome.CANCELLED, t.outcome());
  }

  @Test
  void redirectWithoutUsableContactsIsRelayed() {
    RelayTransaction t = txn(InlineSettings.defaults(), true);
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

  @Test
  void aDestinationsOwnRedirectIsNeitherFollowedNorRelayed() {
    RelayTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination first = attempt(redirected(t, 2));
    List<Action> a = t.onDestinationResponse(destinationResponse(first, 302));
    assertTrue(of(a, Action.ToDestination.class).stream()
        .anyMatch(d -> ((SipRequest) sip(d.bytes())).isAck()), "302 ACKed");
    Action.ToDestination second = attempt(a);
    assertEquals("10.0.0.2", second.destination().host(), "the next of ClearIP's Contacts");
    List<Action> b = t.onDestinationResponse(destinationResponse(second, 301));
    SipResponse last = (SipResponse) sip(of(b, Action.ToSwitch.class).get(0).bytes());
    assertEquals(503, last.statusCode(), "no unscreened Contact reaches the switch");
    assertEquals("destination redirected (not followed)", last.reasons().get(0).text());
    assertEquals(CallOutcome.DESTINATIONS_FAILED, t.outcome());
  }

  @Test
  void aHundredTryingAloneDoesNotHoldTheCallOnlyRingingDoes() {
    RelayTransaction t = txn(noSizeSwitch(), false);
    Action.ToDestination first = attempt(redirected(t, 2));
    List<Action> trying = t.onDestinationResponse(destinationResponse(first, 100));
    assertTrue(cancels(trying, Kind.TIMER_A, 0), "no more retransmissions after a 100");
    assertTrue(!cancels(trying, Kind.NO_ANSWER, 0), "the no-answer timer still runs");
    List<Action> a = t.onTimer(new AttemptTimer(Kind.NO_ANSWER, 0));
    assertTrue(of(a, Action.ToDestination.class).stream()
        .anyMatch(d -> ((SipRequest) sip(d.bytes())).isCancel()), "the silent one CANCELled");
    Action.ToDestination second = attempt(a);
    assertEquals("10.0.0.2", second.destination().host());
    List<Action> ringing = t.onDestinationResponse(destinationResponse(second, 180));
    assertTrue(cancels(ringing, Kind.NO_ANSWER, 1));
    assertEquals(Duration.ofSeconds(120), timer(ringing, Kind.RING).after());
    assertTrue(t.onTimer(new AttemptTimer(Kind.NO_ANSWER, 1)).isEmpty(),
        "ringing: no longer applies");
  }

  @Test
  void stoppingAnswersTheSwitchAndCancelsTheRingingDestination() {
    RelayTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination first = attempt(redirected(t, 2));
    t.onDestinationResponse(destinationResponse(first, 180));
    List<Action> a = t.onStop("proxy stopping");
    assertTrue(of(a, Action.ToDestination.class).stream()
        .anyMatch(d -> ((SipRequest) sip(d.bytes())).isCancel()), "the ringing one CANCELled");
    SipResponse last = (SipResponse) sip(of(a, Action.ToSwitch.class).get(0).bytes());
    assertEquals(503, last.statusCode());
    assertEquals("proxy stopping", last.reasons().get(0).text());
    assertTrue(of(a, Action.Terminate.class).isEmpty(), "its 487 is still to be ACKed");
    assertTrue(t.onStop("again").isEmpty(), "once");
    List<Action> end = t.onDestinationResponse(destinationResponse(first, 487));
    assertTrue(of(end, Action.ToDestination.class).stream()
        .anyMatch(d -> ((SipRequest) sip(d.bytes())).isAck()), "the 487 ACKed");
    assertEquals(1, of(end, Action.Terminate.class).size());
  }

  @Test
  void stoppingWhileClearIpThinksFailsOpen() {
    RelayTransaction t = txn(InlineSettings.defaults(), true);
    t.start(VIA, 0);
    List<Action> a = t.onStop("proxy stopping");
    assertEquals(503, ((SipResponse) sip(of(a, Action.ToSwitch.class).get(0).bytes()))
        .statusCode());
    assertEquals(CallOutcome.FAIL_OPEN_OVERLOAD, t.outcome());
    assertEquals(1, of(a, Action.Terminate.class).size());
  }

  @Test
  void aConnectionResetSoonAfterTheInviteMovesOnAtOnce() {
    RelayTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination first = attempt(redirectedAsClearIpSends(t, 2));
    assertTrue(t.onSendResult(first.attempt(), SendResult.Sent.INSTANCE).stream()
        .noneMatch(x -> x instanceof Action.ToDestination));
    Action.ToDestination second = attempt(t.onSendResult(first.attempt(),
        new SendResult.Lost("connection lost: Connection reset by peer")));
    assertEquals("10.0.0.2", second.destination().host());
    // once a destination rang, a lost connection no longer ends its attempt here
    t.onDestinationResponse(destinationResponse(second, 180));
    assertTrue(t.onSendResult(second.attempt(), new SendResult.Lost("reset")).isEmpty());
  }

  // ---- cases the attempt's states make visible ---------------------------------------------

  SipRequest switchCancel() {
    return SipFixtures.request(inviteText.replaceFirst("INVITE sip", "CANCEL sip")
        .replace("CSeq: 201 INVITE", "CSeq: 201 CANCEL"));
  }

  static long cancelsIn(List<Action> a) {
    return of(a, Action.ToDestination.class).stream()
        .filter(d -> ((SipRequest) sip(d.bytes())).isCancel()).count();
  }

  @Test
  void aDestinationCancelledByTheSwitchIsNotCancelledAgainWhenTheProxyStops() {
    RelayTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination first = attempt(redirected(t, 2));
    t.onDestinationResponse(destinationResponse(first, 180));
    assertEquals(1, cancelsIn(t.onCancel(switchCancel()).actions()));
    List<Action> stop = t.onStop("proxy stopping");
    assertEquals(0, cancelsIn(stop));
    assertTrue(of(stop, Action.Terminate.class).isEmpty(), "its 487 is still to be ACKed");
    assertEquals(1, of(t.onDestinationResponse(destinationResponse(first, 487)),
        Action.Terminate.class).size());
  }

  @Test
  void aCancelledDestinationWhoseInviteNeverLeftEndsTheWaitAtOnce() {
    RelayTransaction t = txn(InlineSettings.defaults(), true);
    Action.ToDestination first = attempt(redirected(t, 2));
    List<Action> cancelled = t.onCancel(switchCancel()).actions();
    assertEquals(0, cancelsIn(cancelled), "no provisional yet: the CANCEL waits (RFC 3261 9.1)");
    assertTrue(of(cancelled, Action.Terminate.class).isEmpty());
    List<Action> failed = t.onSendResult(first.attempt(), new SendResult.Failed("refused"));
    assertEquals(1, of(failed, Action.Terminate.class).size(), "no answer can come from it");
    assertEquals(CallOutcome.CANCELLED, t.outcome());
  }
}
