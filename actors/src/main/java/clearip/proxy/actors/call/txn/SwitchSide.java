package clearip.proxy.actors.call.txn;

import clearip.proxy.actors.call.txn.TxnTimer.CallTimer;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponses;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The switch's side of one INVITE, the same in both modes (RFC 3261 17.2.1, RFC 6026): where the
 * call stands, the provisional a retransmitted INVITE gets again, the one final the switch gets
 * and its retransmission over UDP until the switch's ACK, and how the call ended.
 *
 * <p>{@code linger} arguments say that an inline destination given up on or cancelled still owes
 * its final: the call then waits for it (bounded by the ACCEPTED timer) before it ends.
 */
final class SwitchSide {
  private final SipRequest invite;
  private final CallSettings settings;
  private final boolean reliable;
  private final String toTag;

  private CallState state = CallState.NEW;
  /** The 100 Trying or the latest provisional relayed: a retransmitted INVITE gets it again. */
  private byte[] provisional;
  private byte[] finalResponse;
  private Duration timerG;
  private boolean acked;
  private CallOutcome outcome;
  private int finalStatus;

  /**
   * @param reliable the switch's transport is TCP or TLS (no retransmissions, no Timer G)
   * @param toTag the To tag of responses this proxy generates
   */
  SwitchSide(SipRequest invite, CallSettings settings, boolean reliable, String toTag) {
    this.invite = invite;
    this.settings = settings;
    this.reliable = reliable;
    this.toTag = toTag;
  }

  CallState state() {
    return state;
  }

  CallOutcome outcome() {
    return outcome;
  }

  int finalStatus() {
    return finalStatus;
  }

  // ---- transitions that are not the final's --------------------------------------------------

  void forwardedUpstream() {
    state = CallState.WAITING_UPSTREAM;
  }

  void searching() {
    state = CallState.SEARCHING;
  }

  /** A destination's 2xx went to the switch: the call is answered. */
  void accepted(int status) {
    finalStatus = status;
    outcome = CallOutcome.ANSWERED;
    state = CallState.ACCEPTED;
  }

  // ---- provisionals ----------------------------------------------------------------------------

  /** The transport layer already sent this 100 Trying as it read the INVITE (UDP). */
  void tryingAlreadySent(byte[] sent) {
    provisional = sent;
  }

  /** The 100 Trying, unless the transport layer sent it already. */
  void trying(List<Action> out) {
    if (provisional != null) return;
    provisional = SipResponses.create(invite, 100, "Trying", null, List.of());
    out.add(new Action.ToSwitch(provisional));
  }

  void provisional(List<Action> out, byte[] bytes) {
    provisional = bytes;
    out.add(new Action.ToSwitch(bytes));
  }

  // ---- the final -----------------------------------------------------------------------------

  /** A final this proxy makes up, with a Reason saying why. */
  List<Action> answer(List<Action> out, int status, String why, CallOutcome o, boolean linger) {
    String reason = "SIP;cause=" + status + ";text=\"" + why + "\"";
    byte[] bytes = SipResponses.create(invite, status, SipResponses.reasonPhrase(status), toTag,
        List.of(new SipResponses.Header("Reason", reason)));
    return complete(out, bytes, status, o, linger);
  }

  /** A final without a Reason (RFC 3261 16.3 refusals, 487). */
  List<Action> respond(List<Action> out, int status, String phrase,
      List<SipResponses.Header> extra, CallOutcome o, boolean linger) {
    byte[] bytes = SipResponses.create(invite, status, phrase, toTag, extra);
    return complete(out, bytes, status, o, linger);
  }

  /** The 200 for the switch's CANCEL. */
  byte[] okTo(SipRequest cancel) {
    return SipResponses.create(cancel, 200, "OK", toTag, List.of());
  }

  /** Sends the switch its final. */
  List<Action> complete(List<Action> out, byte[] bytes, int status, CallOutcome o,
      boolean linger) {
    out.add(new Action.ToSwitch(bytes));
    finalResponse = bytes;
    finalStatus = status;
    outcome = o;
    if (linger) out.add(new Action.StartTimer(CallTimer.ACCEPTED, settings.timerH()));
    if ((reliable || status < 300) && !linger) {
      // over TCP/TLS the ACK needs no retransmission handling: a late ACK finds no call and is
      // dropped, which is exactly what absorbing it means; a 2xx is ACKed end to end
      return terminate(out);
    }
    state = CallState.COMPLETED;
    if (reliable || status < 300) return out;
    timerG = settings.t1();
    out.add(new Action.StartTimer(CallTimer.TIMER_G, timerG));
    out.add(new Action.StartTimer(CallTimer.TIMER_H, settings.timerH()));
    return out;
  }

  List<Action> terminate(List<Action> out) {
    state = CallState.TERMINATED;
    out.add(new Action.Terminate());
    return out;
  }

  /** True while the switch's ACK for our non-2xx final over UDP is still to come. */
  boolean awaitingAck() {
    return state == CallState.COMPLETED && !reliable && !acked;
  }

  /** After the last late final the call waited for: nothing keeps it any more. */
  List<Action> endIfSettled(List<Action> out, boolean linger) {
    if (!linger && (state == CallState.ACCEPTED
        || (state == CallState.COMPLETED && (reliable || acked)))) {
      return terminate(out);
    }
    return out;
  }

  // ---- events ----------------------------------------------------------------------------------

  /** The switch retransmitted the INVITE (UDP): repeat our last answer. */
  List<Action> onRetransmission() {
    List<Action> out = new ArrayList<>(1);
    if (state == CallState.COMPLETED && finalResponse != null) {
      out.add(new Action.ToSwitch(finalResponse));
    } else if ((state == CallState.WAITING_UPSTREAM || state == CallState.SEARCHING)
        && provisional != null) {
      out.add(new Action.ToSwitch(provisional));
    }
    return out;
  }

  /** The switch's ACK for our non-2xx final: absorbed here, never forwarded. */
  List<Action> onAck(boolean linger) {
    List<Action> out = new ArrayList<>(3);
    if (state != CallState.COMPLETED) return out;
    out.add(new Action.CancelTimer(CallTimer.TIMER_G));
    out.add(new Action.CancelTimer(CallTimer.TIMER_H));
    acked = true;
    return linger ? out : terminate(out);
  }

  List<Action> onTimerG() {
    List<Action> out = new ArrayList<>(2);
    if (state != CallState.COMPLETED) return out;
    out.add(new Action.ToSwitch(finalResponse));
    timerG = min(timerG.multipliedBy(2), settings.t2());
    out.add(new Action.StartTimer(CallTimer.TIMER_G, timerG));
    return out;
  }

  List<Action> onTimerH(boolean linger) {
    List<Action> out = new ArrayList<>(1);
    if (state == CallState.TERMINATED || linger) return out;
    return terminate(out); // no ACK came: give up (RFC 3261 17.2.1)
  }

  List<Action> onAcceptedTimer() {
    List<Action> out = new ArrayList<>(1);
    return state == CallState.TERMINATED ? out : terminate(out);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
