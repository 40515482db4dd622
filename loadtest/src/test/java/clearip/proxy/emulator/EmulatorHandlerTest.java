package clearip.proxy.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.sip.header.HeaderName;
import clearip.proxy.sip.header.NameAddr;
import clearip.proxy.sip.header.Reason;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.testing.SipFixtures;
import clearip.proxy.streams.transport.Transport;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class EmulatorHandlerTest {
  private static final ActorTestKit kit = ActorTestKit.create(ManualTime.config());
  private static final Delayer NO_DELAYS = (d, t) -> {
    throw new AssertionError("nothing should be scheduled");
  };

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static EmulatorHandler handler(String section) {
    return handler(section, NO_DELAYS);
  }

  private static EmulatorHandler handler(String section, Delayer delayer) {
    EmulatorSettings s = TestSettings.of(section);
    return new EmulatorHandler(s, PassportSigner.generate(s.x5u(), Clock.systemUTC(),
        Duration.ZERO), delayer);
  }

  /** The reference.conf rules. */
  private static EmulatorHandler defaults() {
    return handler("");
  }

  private static SipResponse answer(EmulatorHandler h, SipRequest req) throws Exception {
    RecordingOrigin o = RecordingOrigin.udp();
    h.onRequest(req, o);
    SipResponse r = o.next();
    assertTrue(o.replies.isEmpty(), "exactly one response");
    return r;
  }

  private static void assertCopiedFrom(SipRequest req, SipResponse r) {
    assertEquals(req.headers(HeaderName.VIA), r.headers(HeaderName.VIA));
    assertEquals(req.header(HeaderName.FROM), r.header(HeaderName.FROM));
    assertEquals(req.callId(), r.callId());
    assertEquals(req.cseqNumber(), r.cseqNumber());
    assertEquals(req.cseqMethod(), r.cseqMethod());
    String tag = r.toTag();
    assertNotNull(tag, "To tag added");
    assertEquals(req.header(HeaderName.TO) + ";tag=" + tag, r.header(HeaderName.TO));
    assertEquals(0, r.contentLength());
  }

  // ---- rule matching ----

  @Test
  void matchesCalledNumberFromRequestUriIgnoringVisualSeparators() {
    EmulatorHandler h = handler("""
        rules = [
          { name = a, called-prefix = "1401", action = block }
          { name = b, called-prefix = "1", caller-prefix = "+1404", action = block }
          { name = c, source = "192.0.2.0/24", action = block }
        ]""");
    assertEquals("a", rule(h, "sip:+1-401-640-1234@h", "+14045266060", "127.0.0.1"));
    assertEquals("a", rule(h, "tel:+1(401)6401234;npdi", "x", "127.0.0.1"));
    assertEquals("b", rule(h, "sip:12125550100;npdi@h;user=phone", "+1-404-555-0100",
        "127.0.0.1"));
    assertEquals("c", rule(h, "sip:12125550100@h", "+12125550100", "192.0.2.77"));
    assertEquals("default", rule(h, "sip:12125550100@h", "+12125550100", "127.0.0.1"));
  }

  @Test
  void usesTheToUserWhenTheRequestUriHasNone() {
    EmulatorHandler h = handler("rules = [{ name = to, called-prefix = \"1401\", action = block }]");
    // the fixture's To is +14016401234
    assertEquals("to", rule(h, "sip:outbound.sip.clearip.com", "+14045266060", "127.0.0.1"));
  }

  @Test
  void firstMatchingRuleWins() {
    EmulatorHandler h = handler("""
        rules = [
          { name = first, called-prefix = ["9", "14"], action = block }
          { name = second, called-prefix = "1401", action = forbidden }
        ]""");
    assertEquals("first", rule(h, "sip:+14016401234@h", "1", "127.0.0.1"));
  }

  private static String rule(EmulatorHandler h, String ruri, String from, String source) {
    SipRequest req = Requests.invite(ruri, from, "c@h", "z9hG4bK-r");
    return h.match(EmulatorHandler.callInfo(req, new RecordingOrigin(Transport.UDP, source)))
        .name();
  }

  // ---- the answers ----

  @Test
  void redirectsWithContactsInOneHeaderInQOrderAndAReasonAndAnIdentity() throws Exception {
    SipRequest req = SipFixtures.request(SipFixtures.invite("call-302@h", "z9hG4bK-302"));
    SipResponse r = answer(defaults(), req);
    assertEquals(302, r.statusCode());
    assertEquals("Moved Temporarily", r.reasonPhrase());
    assertCopiedFrom(req, r);
    assertEquals(1, r.count(HeaderName.CONTACT), "one comma-separated Contact header");
    List<NameAddr> contacts = r.contacts();
    assertEquals(2, contacts.size());
    assertEquals("sip:+14016401234@127.0.0.1:5080", contacts.get(0).uri());
    assertEquals("sip:+14016401234@127.0.0.1:5082;transport=tcp", contacts.get(1).uri());
    assertEquals("0.99", contacts.get(0).params().get("q"));
    assertEquals("0.98", contacts.get(1).params().get("q"));
    assertEquals(List.of(new Reason("SIP", 302, "no-fraud-detected")), r.reasons());
    assertEquals("SIP;cause=302;text=\"no-fraud-detected\"", r.header(HeaderName.REASON));
    List<String> identity = r.identities();
    assertEquals(1, identity.size());
    assertTrue(identity.get(0).endsWith(
        ";info=<https://certs.example.invalid/clearip-emulator/shaken.pem>;alg=ES256;ppt=shaken"),
        identity.get(0));
    assertNull(r.header(HeaderName.P_ASSERTED_IDENTITY));
  }

  @Test
  void redirectKeepsUriParametersVerbatimAndAddsPai() throws Exception {
    StringBuilder dest = new StringBuilder();
    for (int i = 1; i <= 12; i++) {
      dest.append(i > 1 ? ", " : "").append("\"sip:${user}@10.0.0.").append(i)
          .append(";tag;parameter=1;trgp=T").append(i).append('"');
    }
    EmulatorHandler h = handler("rules = [{ action = redirect, destinations = [" + dest
        + "], pai = \"\\\"[V] ACME CORP\\\" <sip:${caller}@clearip.example;verstat="
        + "TN-Validation-Passed>\" }]");
    SipRequest req = Requests.invite("+14016401234", "+14045266060");
    SipResponse r = answer(h, req);
    assertEquals(302, r.statusCode());
    List<NameAddr> contacts = r.contacts();
    assertEquals(12, contacts.size());
    for (int i = 0; i < 12; i++) {
      assertEquals("sip:+14016401234@10.0.0." + (i + 1) + ";tag;parameter=1;trgp=T" + (i + 1),
          contacts.get(i).uri());
      assertEquals(String.format("0.%02d", 99 - i), contacts.get(i).params().get("q"));
    }
    assertEquals("\"[V] ACME CORP\" <sip:+14045266060@clearip.example;"
        + "verstat=TN-Validation-Passed>", r.header(HeaderName.P_ASSERTED_IDENTITY));
    assertTrue(r.identities().isEmpty());
  }

  @Test
  void noActionIs503OrTheConfigured404() throws Exception {
    SipRequest req = Requests.invite("+33155550100", "+14045266060");
    SipResponse r = answer(defaults(), req);
    assertEquals(503, r.statusCode());
    assertEquals("Service Unavailable", r.reasonPhrase());
    assertCopiedFrom(req, r);
    assertNull(r.header(HeaderName.CONTACT));
    assertEquals(404, answer(handler("no-action-status = 404"), req).statusCode());
  }

  @Test
  void blockIs603WithAReason() throws Exception {
    SipRequest req = Requests.invite("+61355501140", "+14045266060");
    SipResponse r = answer(defaults(), req);
    assertEquals(603, r.statusCode());
    assertEquals("Decline", r.reasonPhrase());
    assertCopiedFrom(req, r);
    assertEquals(List.of(new Reason("SIP", 603, "fraud-detected")), r.reasons());
  }

  @Test
  void forbiddenIs403() throws Exception {
    SipRequest req = Requests.invite("+442079460000", "+14045266060");
    SipResponse r = answer(defaults(), req);
    assertEquals(403, r.statusCode());
    assertCopiedFrom(req, r);
  }

  @Test
  void sourcesOutsideTheAllowListGet403ForAnyMethod() throws Exception {
    EmulatorHandler h = handler("allow = [\"192.0.2.0/24\"]");
    SipRequest invite = Requests.invite("+14016401234", "+14045266060");
    RecordingOrigin outside = new RecordingOrigin(Transport.TCP, "198.51.100.1");
    h.onRequest(invite, outside);
    assertEquals(403, outside.next().statusCode());
    h.onRequest(Requests.other("OPTIONS", "o@h", "z9hG4bK-o"), outside);
    assertEquals(403, outside.next().statusCode());
    RecordingOrigin inside = new RecordingOrigin(Transport.TCP, "192.0.2.9");
    h.onRequest(invite, inside);
    assertEquals(302, inside.next().statusCode());
  }

  @Test
  void keepsAnExistingToTagAndGivesRetransmissionsTheSameTag() throws Exception {
    EmulatorHandler h = defaults();
    SipRequest req = Requests.invite("+12125550100", "+14045266060");
    String tag = answer(h, req).toTag();
    assertEquals(tag, answer(h, Requests.invite("+12125550100", "+14045266060")).toTag());
    SipRequest other = Requests.invite("sip:+12125550100@h", "+14045266060", "call-1@192.0.2.20",
        "z9hG4bK-2");
    assertFalse(tag.equals(answer(h, other).toTag()), "another transaction, another tag");
    SipRequest tagged = SipFixtures.request(Requests.inviteText("sip:+12125550100@h", "1", "t@h",
        "z9hG4bK-t").replace("outbound.sip.clearip.com>\r\n", "outbound.sip.clearip.com>;tag=x9\r\n"));
    SipResponse r = answer(h, tagged);
    assertEquals("x9", r.toTag());
    assertEquals(tagged.header(HeaderName.TO), r.header(HeaderName.TO));
  }

  @Test
  void optionsGets200AckNothingAndOtherMethods405WithAllow() throws Exception {
    EmulatorHandler h = defaults();
    SipResponse ok = answer(h, Requests.other("OPTIONS", "o@h", "z9hG4bK-o"));
    assertEquals(200, ok.statusCode());
    assertEquals(Answers.ALLOW, ok.header(HeaderName.ALLOW));
    SipResponse bye = answer(h, Requests.other("BYE", "b@h", "z9hG4bK-b"));
    assertEquals(405, bye.statusCode());
    assertEquals("INVITE, ACK, CANCEL, OPTIONS", bye.header(HeaderName.ALLOW));
    RecordingOrigin o = RecordingOrigin.udp();
    h.onRequest(Requests.other("ACK", "a@h", "z9hG4bK-a"), o);
    assertTrue(o.replies.isEmpty());
  }

  @Test
  void cancelWithoutAPendingInviteGets481() throws Exception {
    assertEquals(481, answer(defaults(), Requests.other("CANCEL", "x@h", "z9hG4bK-x"))
        .statusCode());
  }

  @Test
  void dropConnectionClosesStreamConnectionsAndAnswersNothing() {
    EmulatorHandler h = handler("rules = [{ action = block, drop-connection = on }]");
    RecordingOrigin tcp = new RecordingOrigin(Transport.TCP, "127.0.0.1");
    h.onRequest(Requests.invite("+1", "+2"), tcp);
    assertTrue(tcp.closed);
    assertTrue(tcp.replies.isEmpty());
    RecordingOrigin udp = RecordingOrigin.udp();
    h.onRequest(Requests.invite("+1", "+2"), udp);
    assertTrue(udp.replies.isEmpty());
  }

  // ---- delays, CANCEL, no-answer: on the actor system's scheduler, driven by manual time ----

  @Test
  void delayedAnswerComesFromTheSchedulerAfterTheDelay() throws Exception {
    ManualTime time = ManualTime.get(kit.system());
    EmulatorHandler h = handler("rules = [{ action = block, delay = 300ms }]",
        Delayer.of(kit.system()));
    RecordingOrigin o = RecordingOrigin.udp();
    SipRequest req = Requests.invite("sip:+1@h", "+2", "delay-1@h", "z9hG4bK-d1");
    h.onRequest(req, o);
    h.onRequest(req, o); // a retransmission while waiting is absorbed
    assertEquals(1, h.pendingCount());
    time.timePasses(Duration.ofMillis(299));
    assertTrue(o.replies.isEmpty(), "nothing before the delay");
    time.timePasses(Duration.ofMillis(1));
    SipResponse r = o.next(Duration.ofSeconds(5));
    assertEquals(603, r.statusCode());
    assertCopiedFrom(req, r);
    assertEquals(0, h.pendingCount());
    time.timePasses(Duration.ofSeconds(1));
    assertTrue(o.replies.isEmpty(), "exactly one answer");
  }

  @Test
  void cancelOfADelayedInviteGives200And487AndNoLateAnswer() throws Exception {
    ManualTime time = ManualTime.get(kit.system());
    EmulatorHandler h = handler("rules = [{ action = block, delay = 2s }]",
        Delayer.of(kit.system()));
    RecordingOrigin inviteOrigin = RecordingOrigin.udp();
    SipRequest invite = Requests.invite("sip:+1@h", "+14045266060", "cancel-1@h", "z9hG4bK-c1");
    h.onRequest(invite, inviteOrigin);
    time.timePasses(Duration.ofMillis(500));
    RecordingOrigin cancelOrigin = RecordingOrigin.udp();
    SipRequest cancel = Requests.other("CANCEL", "cancel-1@h", "z9hG4bK-c1");
    h.onRequest(cancel, cancelOrigin);
    SipResponse ok = cancelOrigin.next();
    assertEquals(200, ok.statusCode());
    assertEquals("CANCEL", ok.cseqMethod());
    SipResponse terminated = inviteOrigin.next();
    assertEquals(487, terminated.statusCode());
    assertEquals("INVITE", terminated.cseqMethod());
    assertCopiedFrom(invite, terminated);
    assertEquals(ok.toTag(), terminated.toTag());
    time.timePasses(Duration.ofSeconds(5));
    assertTrue(inviteOrigin.replies.isEmpty(), "the cancelled answer never comes");
    assertEquals(0, h.pendingCount());
  }

  @Test
  void noAnswerWaitsForCancelAndIsForgottenAfterTheExpiry() throws Exception {
    ManualTime time = ManualTime.get(kit.system());
    EmulatorHandler h = handler("""
        pending.expire-after = 10s
        rules = [{ action = block, no-answer = on }]""", Delayer.of(kit.system()));
    RecordingOrigin o = RecordingOrigin.udp();
    h.onRequest(Requests.invite("sip:+1@h", "+2", "na-1@h", "z9hG4bK-n1"), o);
    h.onRequest(Requests.invite("sip:+1@h", "+2", "na-2@h", "z9hG4bK-n2"), o);
    time.timePasses(Duration.ofSeconds(9));
    assertTrue(o.replies.isEmpty());
    h.onRequest(Requests.other("CANCEL", "na-1@h", "z9hG4bK-n1"), o);
    assertEquals(200, o.next().statusCode());
    assertEquals(487, o.next().statusCode());
    time.timePasses(Duration.ofSeconds(2));
    assertEquals(0, h.pendingCount(), "na-2 expired");
    assertTrue(o.replies.isEmpty(), "an expired INVITE is not answered");
  }
}
