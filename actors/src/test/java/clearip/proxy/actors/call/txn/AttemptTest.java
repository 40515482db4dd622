package clearip.proxy.actors.call.txn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.actors.call.txn.Attempt.State;
import clearip.proxy.actors.call.txn.Attempt.Verdict;
import clearip.proxy.actors.call.txn.TxnTimer.AttemptTimer;
import clearip.proxy.actors.call.txn.TxnTimer.AttemptTimer.Kind;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.testing.SipFixtures;
import clearip.proxy.streams.transport.Transport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * One inline attempt's lifecycle, state by state: which timers run, when a CANCEL goes, and what
 * each event means for the search.
 */
class AttemptTest {
  final CallSettings settings = CallSettings.defaults().withInline(InlineSettings.defaults());
  final SipRequest invite = SipFixtures.request(SipFixtures.invite("call-a@192.0.2.20",
      "z9hG4bKswa"));

  /** An attempt and the timers its actions left running, as the call's actor would keep them. */
  final class Probe {
    final Attempt attempt;
    final Set<AttemptTimer> running = new LinkedHashSet<>();
    final List<byte[]> sent = new ArrayList<>();
    List<Action> last = List.of();

    Probe(Transport transport, boolean connectBound) {
      Destination d = new Destination(transport, "10.0.0.1", transport.defaultPort(), "10.0.0.1");
      attempt = new Attempt(0, new ContactPlan.Target("sip:+1@10.0.0.1", d), d,
          "z9hG4bKcip.1.0", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcip.1.0;rport",
          "INVITE".getBytes(StandardCharsets.US_ASCII), invite, settings, connectBound);
      run(attempt::start);
    }

    /** Runs one event on the attempt, keeping track of what its actions started and stopped. */
    <T> T on(Function<List<Action>, T> event) {
      List<Action> out = new ArrayList<>();
      T result = event.apply(out);
      for (Action a : out) {
        if (a instanceof Action.StartTimer s) running.add((AttemptTimer) s.timer());
        if (a instanceof Action.CancelTimer c) running.remove((AttemptTimer) c.timer());
        if (a instanceof Action.ToDestination d) sent.add(d.bytes());
      }
      last = out;
      return result;
    }

    void run(Consumer<List<Action>> event) {
      on(out -> {
        event.accept(out);
        return null;
      });
    }

    Set<Kind> timers() {
      Set<Kind> kinds = new LinkedHashSet<>();
      for (AttemptTimer t : running) kinds.add(t.kind());
      return kinds;
    }

    long cancelsSent() {
      return sent.stream().filter(b -> new String(b, StandardCharsets.US_ASCII)
          .startsWith("CANCEL ")).count();
    }

    State state() {
      return attempt.state();
    }
  }

  Probe udp() {
    return new Probe(Transport.UDP, false);
  }

  /** TCP chosen by the size rule: UDP may replace it. */
  Probe connecting() {
    return new Probe(Transport.TCP, true);
  }

  @Test
  void aUdpAttemptStartsCallingWithTimerAAndTheNoAnswerTimer() {
    Probe p = udp();
    assertEquals(State.CALLING, p.state());
    assertEquals(Set.of(Kind.TIMER_A, Kind.NO_ANSWER), p.timers());
    assertEquals(1, p.sent.size(), "the INVITE");
    assertTrue(p.attempt.isOpen());
    assertFalse(p.attempt.owesFinal());
  }

  @Test
  void timerADoublesWhileCallingAndStopsOnceAnythingIsHeard() {
    Probe p = udp();
    p.run(p.attempt::retransmit);
    assertEquals(2, p.sent.size());
    assertEquals(Duration.ofSeconds(1), ((Action.StartTimer) p.last.get(1)).after());
    p.run(out -> p.attempt.provisional(out, 100));
    assertEquals(State.TRYING, p.state());
    assertEquals(Set.of(Kind.NO_ANSWER), p.timers(), "a 100 alone does not hold the call");
    p.run(p.attempt::retransmit);
    assertTrue(p.last.isEmpty());
  }

  @Test
  void ringingReplacesTheNoAnswerTimerWithTheRingTimer() {
    Probe p = udp();
    p.run(out -> p.attempt.provisional(out, 180));
    assertEquals(State.RINGING, p.state());
    assertEquals(Set.of(Kind.RING), p.timers());
    p.run(out -> p.attempt.provisional(out, 183));
    assertTrue(p.last.isEmpty(), "a further 18x changes nothing");
    assertEquals(Verdict.NONE, p.on(p.attempt::noAnswer));
  }

  @Test
  void cancelledBeforeAnyProvisionalTheCancelWaitsForOne() {
    Probe p = udp();
    p.run(p.attempt::cancel);
    assertEquals(State.CANCEL_PENDING, p.state());
    assertEquals(0, p.cancelsSent(), "RFC 3261 9.1: no CANCEL before a provisional");
    assertTrue(p.timers().isEmpty());
    assertTrue(p.attempt.owesFinal());
    assertFalse(p.attempt.isOpen());
    p.run(out -> p.attempt.provisional(out, 180));
    assertEquals(State.CANCELLING, p.state());
    assertEquals(1, p.cancelsSent());
    assertTrue(p.timers().isEmpty(), "no ring timer for a cancelled attempt");
    assertFalse(p.on(p.attempt::finalResponse), "no longer open");
    assertEquals(State.DONE, p.state());
    assertFalse(p.attempt.owesFinal());
  }

  @Test
  void aCancelledAttemptIsNeverCancelledTwice() {
    Probe p = udp();
    p.run(out -> p.attempt.provisional(out, 180));
    p.run(p.attempt::cancel);
    assertEquals(State.CANCELLING, p.state());
    p.run(p.attempt::cancel);
    p.run(out -> p.attempt.provisional(out, 183));
    assertEquals(1, p.cancelsSent());
    assertTrue(p.timers().isEmpty());
  }

  @Test
  void silenceAbandonsWithoutCancelButTheLateFinalIsStillAwaited() {
    Probe p = udp();
    assertEquals(Verdict.FAILED, p.on(p.attempt::noAnswer));
    assertEquals(State.ABANDONED, p.state());
    assertTrue(p.timers().isEmpty());
    assertTrue(p.attempt.owesFinal());
    p.run(p.attempt::cancel);
    p.run(out -> p.attempt.provisional(out, 180));
    assertEquals(0, p.cancelsSent(), "given up before a provisional: never CANCELled");
    assertEquals(State.ABANDONED, p.state());
    assertEquals(Verdict.NONE, p.on(out -> p.attempt.sendFailed(out, false)));
    p.run(p.attempt::finalResponse);
    assertEquals(State.DONE, p.state());
  }

  @Test
  void silenceAfterAHundredCancels() {
    Probe p = udp();
    p.run(out -> p.attempt.provisional(out, 100));
    assertEquals(Verdict.FAILED, p.on(p.attempt::noAnswer));
    assertEquals(State.CANCELLING, p.state());
    assertEquals(1, p.cancelsSent());
    assertTrue(p.timers().isEmpty());
  }

  @Test
  void ringingTooLongCancels() {
    Probe p = udp();
    p.run(out -> p.attempt.provisional(out, 180));
    assertEquals(Verdict.FAILED, p.on(p.attempt::ringTimeout));
    assertEquals(State.CANCELLING, p.state());
    assertEquals(1, p.cancelsSent());
    assertEquals(Verdict.NONE, p.on(p.attempt::ringTimeout), "once");
  }

  @Test
  void aConnectingAttemptRunsTheConnectBoundAndNoTimerA() {
    Probe p = connecting();
    assertEquals(State.CONNECTING, p.state());
    assertEquals(Set.of(Kind.NO_ANSWER, Kind.TCP_CONNECT), p.timers());
    assertTrue(p.attempt.isOpen());
  }

  @Test
  void connectingBecomesCallingOnceSentOrHeardFrom() {
    Probe sent = connecting();
    assertTrue(sent.on(sent.attempt::sent), "TCP works for this destination");
    assertEquals(State.CALLING, sent.state());
    assertEquals(Set.of(Kind.NO_ANSWER), sent.timers(), "no Timer A over TCP");
    assertFalse(sent.on(sent.attempt::sent), "only the first send tells");

    Probe heard = connecting();
    boolean proved = heard.on(out -> heard.attempt.provisional(out, 180));
    assertTrue(proved, "a destination that rings over it proves TCP too");
    assertEquals(State.RINGING, heard.state());
    assertEquals(Set.of(Kind.RING), heard.timers());
  }

  @Test
  void connectTimeoutAsksForUdpAndCancelsTheTcpInviteIfItStillArrives() {
    Probe p = connecting();
    assertEquals(Verdict.USE_UDP, p.on(p.attempt::connectTimeout));
    assertEquals(State.CANCEL_PENDING, p.state());
    assertTrue(p.timers().isEmpty());
    assertFalse(p.on(p.attempt::sent), "connected late: no longer a fallback case");
    assertEquals(Verdict.SETTLED, p.on(out -> p.attempt.sendFailed(out, true)),
        "it never connected: nothing more can come");
    assertEquals(State.DONE, p.state());
  }

  @Test
  void aSendFailureCountsOnlyBeforeAnythingWasHeard() {
    Probe refused = connecting();
    assertEquals(Verdict.USE_UDP, refused.on(out -> refused.attempt.sendFailed(out, true)));
    assertEquals(State.DONE, refused.state());
    assertTrue(refused.timers().isEmpty());

    Probe queueFull = connecting();
    assertEquals(Verdict.FAILED, queueFull.on(out -> queueFull.attempt.sendFailed(out, false)));

    Probe calling = udp();
    assertEquals(Verdict.FAILED, calling.on(out -> calling.attempt.sendFailed(out, false)));
    assertTrue(calling.timers().isEmpty());

    Probe trying = udp();
    trying.run(out -> trying.attempt.provisional(out, 100));
    assertEquals(Verdict.NONE, trying.on(out -> trying.attempt.sendFailed(out, false)));
    assertEquals(State.TRYING, trying.state());
  }

  @Test
  void aFinalEndsEveryOpenStateAndStopsItsTimers() {
    for (int provisional : new int[] {0, 100, 180}) {
      Probe p = udp();
      if (provisional > 0) p.run(out -> p.attempt.provisional(out, provisional));
      State from = p.state();
      assertTrue(p.on(p.attempt::finalResponse), from + " was open");
      assertEquals(State.DONE, p.state());
      assertTrue(p.timers().isEmpty(), "no timer left running after " + from);
      assertFalse(p.on(p.attempt::finalResponse), "a retransmitted final");
    }
  }
}
