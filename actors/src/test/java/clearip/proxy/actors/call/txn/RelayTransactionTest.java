package clearip.proxy.actors.call.txn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.actors.call.txn.TxnTimer.CallTimer;
import clearip.proxy.sip.message.SipMessage;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.testing.SipFixtures;
import clearip.proxy.streams.transport.Offer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The stateful-proxy rules of one INVITE, without actors or sockets. */
class RelayTransactionTest {
  static final String BRANCH = "z9hG4bKcip.1";
  static final String VIA = "SIP/2.0/TLS 192.0.2.10:40000;branch=" + BRANCH;
  final CallSettings settings = CallSettings.defaults();
  final String inviteText = SipFixtures.invite("call-1@192.0.2.20", "z9hG4bKsw1");

  RelayTransaction txn(String invite, boolean reliable) {
    return new RelayTransaction(SipFixtures.request(invite), settings, reliable, BRANCH, "tag1",
        0);
  }

  static <T extends Action> List<T> of(List<Action> actions, Class<T> type) {
    return actions.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
  }

  static SipMessage sipOf(byte[] b) {
    return SipFixtures.decode(new String(b, StandardCharsets.UTF_8));
  }

  static SipResponse toSwitch(List<Action> actions, int index) {
    return (SipResponse) sipOf(of(actions, Action.ToSwitch.class).get(index).bytes());
  }

  SipResponse upstream(int status) {
    String r = SipFixtures.redirect("call-1@192.0.2.20", BRANCH, 3);
    if (status != 302) {
      r = r.replace("302 Moved Temporarily", status + " Whatever");
    }
    return SipFixtures.response(r);
  }

  @Test
  void forwardsWithOurViaAndTrying() {
    RelayTransaction t = txn(inviteText, false);
    List<Action> a = t.start(VIA, 0);
    assertEquals(100, toSwitch(a, 0).statusCode());
    Action.ForwardUpstream f = of(a, Action.ForwardUpstream.class).get(0);
    SipRequest fwd = (SipRequest) sipOf(f.bytes());
    assertEquals(BRANCH, fwd.topViaBranch());
    assertEquals(3, fwd.viaCount());
    assertEquals(68, fwd.maxForwards());
    assertEquals(SipFixtures.request(inviteText).requestUri(), fwd.requestUri());
    assertEquals(SipFixtures.IDENTITY, fwd.identities().get(0));
    assertEquals(Duration.ofSeconds(2), of(a, Action.StartTimer.class).get(0).after());
    assertEquals(CallState.WAITING_UPSTREAM, t.state());
  }

  @Test
  void relaysClearIpRedirectUnchangedAndAcksIt() {
    RelayTransaction t = txn(inviteText, true);
    t.start(VIA, 0);
    SipResponse redirect = upstream(302);
    List<Action> a = t.onUpstreamResponse(redirect, 1_500_000);
    SipResponse relayed = toSwitch(a, 0);
    assertEquals(302, relayed.statusCode());
    assertEquals("z9hG4bKsw1", relayed.topViaBranch(), "our Via removed");
    String expected = SipFixtures.redirect("call-1@192.0.2.20", BRANCH, 3)
        .replace("Via: SIP/2.0/TLS 192.0.2.10:5061;branch=" + BRANCH + "\r\n", "");
    assertEquals(expected, relayed.toString(), "everything else byte for byte");
    SipRequest ack = (SipRequest) sipOf(of(a, Action.ToUpstream.class).get(0).bytes());
    assertTrue(ack.isAck());
    assertEquals(BRANCH, ack.topViaBranch());
    assertEquals("e78d7458-5545", ack.toTag());
    assertEquals(201, ack.cseqNumber());
    assertEquals(1, of(a, Action.Terminate.class).size(), "TCP: nothing left to wait for");
    assertEquals(CallOutcome.RELAYED, t.outcome());
    assertEquals(302, t.clearIpStatus());
    assertEquals(1_500_000, t.clearIpRttNanos().getAsLong());
  }

  @Test
  void passesClearIps503ThroughInsteadOfTranslatingTo500() {
    RelayTransaction t = txn(inviteText, true);
    t.start(VIA, 0);
    List<Action> a = t.onUpstreamResponse(upstream(503), 1);
    assertEquals(503, toSwitch(a, 0).statusCode());
  }

  @Test
  void neverForwardsA100ButForwardsOtherProvisionals() {
    RelayTransaction t = txn(inviteText, true);
    t.start(VIA, 0);
    assertTrue(of(t.onUpstreamResponse(upstream(100), 1), Action.ToSwitch.class).isEmpty());
    List<Action> a = t.onUpstreamResponse(upstream(183), 1);
    assertEquals(183, toSwitch(a, 0).statusCode());
  }

  @Test
  void failsOpenWhenNoConnection() {
    RelayTransaction t = txn(inviteText, true);
    List<Action> a = t.start(null, 0);
    SipResponse r = toSwitch(a, 0);
    assertEquals(503, r.statusCode());
    assertEquals("ClearIP unreachable", r.reasons().get(0).text());
    assertEquals("tag1", r.toTag());
    assertTrue(of(a, Action.ForwardUpstream.class).isEmpty());
    assertEquals(CallOutcome.FAIL_OPEN_UNAVAILABLE, t.outcome());
  }

  @Test
  void failsOpenOnDeadlineAndCancelsOnlyAfterAProvisional() {
    RelayTransaction t = txn(inviteText, true);
    t.start(VIA, 0);
    List<Action> a = t.onTimer(CallTimer.UPSTREAM_DEADLINE);
    assertEquals(503, toSwitch(a, 0).statusCode());
    assertEquals("ClearIP timeout", toSwitch(a, 0).reasons().get(0).text());
    assertEquals(1, of(a, Action.UpstreamTimedOut.class).size());
    assertTrue(of(a, Action.ToUpstream.class).isEmpty(), "no CANCEL before a provisional");

    RelayTransaction t2 = txn(inviteText, true);
    t2.start(VIA, 0);
    t2.onUpstreamResponse(upstream(100), 1);
    List<Action> b = t2.onTimer(CallTimer.UPSTREAM_DEADLINE);
    SipRequest cancel = (SipRequest) sipOf(of(b, Action.ToUpstream.class).get(0).bytes());
    assertTrue(cancel.isCancel());
    assertEquals(BRANCH, cancel.topViaBranch());
    assertEquals(CallOutcome.FAIL_OPEN_TIMEOUT, t2.outcome());
  }

  @Test
  void failsOpenWhenQueueFullOrConnectionLost() {
    RelayTransaction t = txn(inviteText, true);
    t.start(VIA, 0);
    assertTrue(t.onOffer(Offer.ENQUEUED).isEmpty());
    List<Action> a = t.onOffer(Offer.FULL);
    assertEquals("ClearIP queue full", toSwitch(a, 0).reasons().get(0).text());
    assertEquals(CallOutcome.FAIL_OPEN_QUEUE_FULL, t.outcome());

    RelayTransaction t2 = txn(inviteText, true);
    t2.start(VIA, 0);
    List<Action> b = t2.onUpstreamUnavailable("reset");
    assertEquals(503, toSwitch(b, 0).statusCode());
    assertTrue(t2.onTimer(CallTimer.UPSTREAM_DEADLINE).isEmpty(), "exactly one final");
  }

  @Test
  void anUnusableAnswerFromClearIpFailsOpenAtOnce() {
    RelayTransaction t = txn(inviteText, true);
    t.start(VIA, 0);
    List<Action> a = t.onUpstreamUnusable("ClearIP answer unusable: header line too long");
    assertEquals(503, toSwitch(a, 0).statusCode());
    assertEquals("ClearIP answer unusable", toSwitch(a, 0).reasons().get(0).text());
    assertEquals(CallOutcome.FAIL_OPEN_UNAVAILABLE, t.outcome());
    assertTrue(t.onTimer(CallTimer.UPSTREAM_DEADLINE).isEmpty(), "exactly one final");
  }

  @Test
  void emergencyNumbersAreNeverScreened() {
    String e = inviteText.replace("sip:+14016401234@outbound", "sip:911@outbound");
    RelayTransaction t = txn(e, true);
    List<Action> a = t.start(VIA, 0);
    assertEquals(503, toSwitch(a, 0).statusCode());
    assertTrue(of(a, Action.ForwardUpstream.class).isEmpty());
    assertEquals(CallOutcome.EMERGENCY_BYPASS, t.outcome());
    // the To user counts when the Request-URI has none
    String e2 = inviteText.replace("INVITE sip:+14016401234@outbound.sip.clearip.com",
        "INVITE sip:outbound.sip.clearip.com").replace("To: <sip:+14016401234@", "To: <sip:933@");
    assertEquals(CallOutcome.EMERGENCY_BYPASS, outcomeOf(e2));
  }

  private CallOutcome outcomeOf(String invite) {
    RelayTransaction t = txn(invite, true);
    t.start(VIA, 0);
    return t.outcome();
  }

  @Test
  void validatesPerRfc3261Section16_3() {
    assertEquals(483, statusOf(inviteText.replace("Max-Forwards: 69", "Max-Forwards: 0")));
    assertEquals(416, statusOf(inviteText.replace("INVITE sip:+14016401234@outbound",
        "INVITE http://outbound")));
    String pr = inviteText.replace("Allow:", "Proxy-Require: foo\r\nAllow:");
    RelayTransaction t = txn(pr, true);
    SipResponse r = toSwitch(t.start(VIA, 0), 0);
    assertEquals(420, r.statusCode());
    assertEquals("foo", r.header("Unsupported"));
    String loop = inviteText.replace("branch=z9hG4bKorigin1", "branch=z9hG4bKcip.77");
    assertEquals(482, statusOf(loop));
  }

  private int statusOf(String invite) {
    RelayTransaction t = txn(invite, true);
    return toSwitch(t.start(VIA, 0), 0).statusCode();
  }

  @Test
  void udpFinalIsRetransmittedWithTimerGUntilAck() {
    RelayTransaction t = txn(inviteText, false);
    t.start(VIA, 0);
    List<Action> a = t.onUpstreamResponse(upstream(603), 1);
    assertEquals(603, toSwitch(a, 0).statusCode());
    List<Action.StartTimer> timers = of(a, Action.StartTimer.class);
    assertEquals(Duration.ofMillis(500), timers.get(0).after());
    assertEquals(Duration.ofSeconds(32), timers.get(1).after());
    Duration g = Duration.ofMillis(500);
    for (int i = 0; i < 5; i++) {
      List<Action> r = t.onTimer(CallTimer.TIMER_G);
      assertEquals(603, toSwitch(r, 0).statusCode());
      g = g.multipliedBy(2).compareTo(Duration.ofSeconds(4)) > 0 ? Duration.ofSeconds(4)
          : g.multipliedBy(2);
      assertEquals(g, of(r, Action.StartTimer.class).get(0).after());
    }
    assertEquals(603, toSwitch(t.onRetransmission(), 0).statusCode());
    List<Action> ack = t.onAck();
    assertEquals(1, of(ack, Action.Terminate.class).size());
    assertTrue(t.onTimer(CallTimer.TIMER_G).isEmpty());
  }

  @Test
  void timerHEndsAnUnacknowledgedTransaction() {
    RelayTransaction t = txn(inviteText, false);
    t.start(null, 0);
    assertEquals(1, of(t.onTimer(CallTimer.TIMER_H), Action.Terminate.class).size());
  }

  @Test
  void retransmittedInviteGetsTryingAgain() {
    RelayTransaction t = txn(inviteText, false);
    t.start(VIA, 0);
    assertEquals(100, toSwitch(t.onRetransmission(), 0).statusCode());
  }

  @Test
  void cancelAnswers200And487AndCancelsUpstreamOnceAProvisionalArrives() {
    RelayTransaction t = txn(inviteText, true);
    t.start(VIA, 0);
    SipRequest cancel = SipFixtures.request(inviteText.replaceFirst("INVITE sip", "CANCEL sip")
        .replace("CSeq: 201 INVITE", "CSeq: 201 CANCEL"));
    RelayTransaction.CancelAnswer answer = t.onCancel(cancel);
    List<Action> a = answer.actions();
    SipResponse ok = (SipResponse) sipOf(answer.ok());
    assertEquals(200, ok.statusCode());
    assertEquals("CANCEL", ok.cseqMethod());
    SipResponse terminated = toSwitch(a, 0);
    assertEquals(487, terminated.statusCode());
    assertEquals("INVITE", terminated.cseqMethod());
    assertTrue(of(a, Action.ToUpstream.class).isEmpty(), "no provisional from ClearIP yet");
    List<Action> b = t.onUpstreamResponse(upstream(100), 1);
    assertTrue(((SipRequest) sipOf(of(b, Action.ToUpstream.class).get(0).bytes())).isCancel());
    // ClearIP's final after our 487 is ACKed, not relayed: one final per INVITE
    List<Action> c = t.onUpstreamResponse(upstream(487), 2);
    assertTrue(of(c, Action.ToSwitch.class).isEmpty());
    assertTrue(((SipRequest) sipOf(of(c, Action.ToUpstream.class).get(0).bytes())).isAck());
    assertEquals(CallOutcome.CANCELLED, t.outcome());
  }

  @Test
  void lateSuccessAfterTimeoutStillReachesTheSwitch() {
    RelayTransaction t = txn(inviteText, false);
    t.start(VIA, 0);
    t.onTimer(CallTimer.UPSTREAM_DEADLINE);
    List<Action> a = t.onUpstreamResponse(upstream(200), 1);
    assertEquals(200, toSwitch(a, 0).statusCode());
    assertFalse(of(a, Action.ToUpstream.class).stream().anyMatch(u -> true), "2xx ACK is e2e");
  }

  @Test
  void responseToOurCancelIsIgnored() {
    RelayTransaction t = txn(inviteText, true);
    t.start(VIA, 0);
    SipResponse cancelOk = SipFixtures.response(SipFixtures.redirect("call-1@192.0.2.20", BRANCH, 1)
        .replace("302 Moved Temporarily", "200 OK").replace("CSeq: 201 INVITE",
            "CSeq: 201 CANCEL"));
    assertTrue(t.onUpstreamResponse(cancelOk, 1).isEmpty());
    assertInstanceOf(CallState.class, t.state());
    assertEquals(CallState.WAITING_UPSTREAM, t.state());
  }

  @Test
  void callingNumberIsTheAssertedIdentityElseFrom() {
    assertEquals("+14045266060", RelayTransaction.callingNumber(SipFixtures.request(inviteText)));
    String asserted = inviteText.replace("P-Asserted-Identity: <sip:+14045266060@192.0.2.20>",
        "P-Asserted-Identity: \"Alice\" <sip:+1-202-555-0100@192.0.2.20;user=phone>, "
            + "<tel:+12025550100>");
    assertEquals("+12025550100", RelayTransaction.callingNumber(SipFixtures.request(asserted)));
    String noPai = inviteText.replace("P-Asserted-Identity: <sip:+14045266060@192.0.2.20>\r\n",
        "").replace("<sip:+14045266060@192.0.2.20>;tag=", "<sip:anonymous@anonymous.invalid>;tag=");
    assertEquals("anonymous", RelayTransaction.callingNumber(SipFixtures.request(noPai)));
  }

  @Test
  void calledNumberIsTheRequestUriUser() {
    assertEquals("+14016401234", RelayTransaction.calledNumber(SipFixtures.request(inviteText)));
  }
}
