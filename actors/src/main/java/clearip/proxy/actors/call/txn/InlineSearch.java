package clearip.proxy.actors.call.txn;

import clearip.proxy.actors.call.txn.TxnTimer.AttemptTimer;
import clearip.proxy.actors.call.txn.TxnTimer.CallTimer;
import clearip.proxy.sip.header.HeaderName;
import clearip.proxy.sip.message.MessageEditor;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.streams.transport.SendResult;
import clearip.proxy.streams.transport.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * In-line mode's search, as plain Java: on ClearIP's 302 the Contacts are tried one after another
 * (RFC 3261 16.5, serially), each as an {@link Attempt} with a branch of its own, the INVITE's
 * Request-URI set to the Contact and ClearIP's Identity in place of the switch's. The first 2xx
 * goes to the switch at once; a failure, silence or a transport error moves on to the next
 * Contact, unless it ends the search (6xx, a stop code, or ringing already relayed); when it
 * ends, the switch gets the best final (RFC 3261 16.7 step 6).
 *
 * <p>The search answers the switch through the call's {@link SwitchSide}; the ClearIP leg before
 * it is {@link RelayTransaction}'s.
 */
final class InlineSearch {
  private final SipRequest invite;
  private final CallSettings settings;
  private final SwitchSide switchSide;
  private final String branch;
  private final Function<Transport, String> localSentBy;
  private final TransportMemory transports;
  private final DialogTokens tokens;
  private String dialogToken;

  private final List<ContactPlan.Target> plan;
  /** The next Contact of the plan to try (a Contact may be tried again over UDP, see below). */
  private int nextContact;
  private final List<byte[]> identityLines;
  private final List<byte[]> paiLines;
  /** In the order sent; only the last one can be open. */
  private final List<Attempt> attempts = new ArrayList<>(2);

  private boolean ringingRelayed;
  private SipResponse bestFinal;
  private int bestStatus;
  private boolean redirectRefused;

  /**
   * @param branch the Via branch of the call towards ClearIP; each attempt's is derived from it
   * @param localSentBy our {@code host:port} for each transport, for the Via of the attempts
   * @param transports the destinations that lately did not take TCP, shared by every call
   * @param tokens marks the dialogs this proxy screened, in its Record-Route
   * @param redirect ClearIP's 302, whose Identity (and P-Asserted-Identity) the attempts carry
   * @param plan its Contacts in the order to try them
   */
  InlineSearch(SipRequest invite, CallSettings settings, SwitchSide switchSide, String branch,
      Function<Transport, String> localSentBy, TransportMemory transports, DialogTokens tokens,
      SipResponse redirect, List<ContactPlan.Target> plan) {
    this.invite = invite;
    this.settings = settings;
    this.switchSide = switchSide;
    this.branch = branch;
    this.localSentBy = localSentBy;
    this.transports = transports;
    this.tokens = tokens;
    this.plan = plan;
    this.identityLines = lines(redirect, HeaderName.IDENTITY);
    this.paiLines = settings.inline().copyPai()
        ? lines(redirect, HeaderName.P_ASSERTED_IDENTITY) : List.of();
  }

  /** Tries the first Contact. */
  List<Action> start(List<Action> out) {
    return nextAttempt(out);
  }

  int attemptsMade() {
    return attempts.size();
  }

  List<String> attemptedDestinations() {
    List<String> out = new ArrayList<>(attempts.size());
    for (Attempt a : attempts) out.add(a.destination.toString());
    return out;
  }

  /**
   * True while a destination given up on or cancelled has not sent its final: its 487 must be
   * ACKed, and a 2xx relayed.
   */
  boolean lingering() {
    for (Attempt a : attempts) {
      if (a.owesFinal()) return true;
    }
    return false;
  }

  /** The switch cancelled the call: the attempt under way is cancelled with it. */
  void cancelCurrent(List<Action> out) {
    if (!attempts.isEmpty()) current().cancel(out);
  }

  /** The proxy stops: every attempt still trying is cancelled. */
  void cancelAll(List<Action> out) {
    for (Attempt a : attempts) a.cancel(out);
  }

  // ---- events ------------------------------------------------------------------------------

  List<Action> onTimer(AttemptTimer timer) {
    List<Action> out = new ArrayList<>(4);
    Attempt a = attempt(timer.attempt());
    if (a == null) return out;
    switch (timer.kind()) {
      case TIMER_A -> a.retransmit(out);
      case NO_ANSWER -> {
        if (a.noAnswer(out) == Attempt.Verdict.FAILED) {
          transports.health().failed(a.target.destination());
          return attemptFailed(out, a, 408, null);
        }
      }
      case RING -> {
        if (a.ringTimeout(out) == Attempt.Verdict.FAILED) return attemptFailed(out, a, 408, null);
      }
      case TCP_CONNECT -> {
        if (a.connectTimeout(out) == Attempt.Verdict.USE_UDP) {
          return fallBackToUdp(out, a, "no TCP connection within "
              + settings.inline().largeInvites().tcpConnectTimeout().toMillis() + " ms");
        }
      }
    }
    return out;
  }

  /** The transport's verdict on a send to a destination. */
  List<Action> onSendResult(int index, SendResult result) {
    List<Action> out = new ArrayList<>(4);
    Attempt a = attempt(index);
    if (a == null) return out;
    if (result == SendResult.Sent.INSTANCE) {
      if (a.sent(out)) transports.tcpWorks(a.target.destination());
      return out;
    }
    // a connection reset soon after the INVITE went out (SendResult.Lost) fails the attempt at
    // once too, rather than after the no-answer timer
    SendResult.Failed failed = result instanceof SendResult.Failed f ? f : null;
    return switch (a.sendFailed(out, failed != null && failed.notConnected())) {
      case NONE -> out;
      case FAILED -> {
        transports.health().failed(a.target.destination());
        yield attemptFailed(out, a, 503, null);
      }
      case USE_UDP -> fallBackToUdp(out, a, failed.reason());
      case SETTLED -> switchSide.endIfSettled(out, lingering());
    };
  }

  /** A response from a destination, matched by the branch of one of our attempts. */
  List<Action> onResponse(SipResponse r) {
    List<Action> out = new ArrayList<>(5);
    Attempt a = attemptByBranch(r.topViaBranch());
    if (a == null || r.cseqMethodIs("CANCEL")) return out;
    int code = r.statusCode();
    if (code < 200) {
      if (a.provisional(out, code)) transports.tcpWorks(a.target.destination());
      if (code > 100 && searching() && a == current() && a.isOpen()) {
        switchSide.provisional(out, r.edit().popVia().toBytes());
        if (code == 180 || code == 183) ringingRelayed = true;
      }
      return out;
    }
    boolean wasOpen = a.finalResponse(out);
    if (code < 300) {
      // relayed at once, even from an attempt given up on: a 2xx is never discarded
      out.add(new Action.ToSwitch(r.edit().popVia().toBytes()));
      if (searching()) {
        switchSide.accepted(code);
        for (Attempt other : attempts) {
          if (other != a) other.cancel(out);
        }
        // the call is done; 2xx retransmissions are relayed statelessly by the registry (RFC
        // 6026), so only cancelled attempts still owing their final keep it (bounded wait)
        if (!lingering()) return switchSide.terminate(out);
        out.add(new Action.StartTimer(CallTimer.ACCEPTED, settings.timerH()));
      }
      return out;
    }
    out.add(new Action.ToDestination(a.index, a.destination, a.branch, a.ackFor(r)));
    if (!wasOpen || !searching() || a != current()) {
      return switchSide.endIfSettled(out, lingering());
    }
    if (code < 400) {
      // a destination's own redirect is neither followed nor relayed: its Contacts were never
      // screened by ClearIP. It counts as a failed attempt.
      redirectRefused = true;
      return attemptFailed(out, a, 503, null);
    }
    return attemptFailed(out, a, code, r);
  }

  // ---- the next attempt ----------------------------------------------------------------------

  private List<Action> nextAttempt(List<Action> out) {
    if (nextContact >= plan.size()) return allFailed(out);
    ContactPlan.Target target = plan.get(nextContact++);
    Destination d = target.destination();
    int index = attempts.size();
    byte[] bytes = attemptBytes(target, d, index);
    InlineSettings.LargeInvites rule = settings.inline().largeInvites();
    // RFC 3261 18.1.1: too large for UDP, so TCP; but only where the Contact did not name its
    // transport, and not to a destination that lately did not take TCP
    boolean switched = d.transport() == Transport.UDP && !d.transportExplicit()
        && rule.tooLargeForUdp(bytes.length)
        && !(rule.udpFallback() && transports.udpOnly(d));
    if (switched) {
      d = d.withTransport(Transport.TCP);
      bytes = attemptBytes(target, d, index);
    }
    return send(out, target, d, bytes, switched && rule.udpFallback());
  }

  /** Starts one attempt: a client transaction to {@code d} with its own branch. */
  private List<Action> send(List<Action> out, ContactPlan.Target target, Destination d,
      byte[] bytes, boolean mayFallBackToUdp) {
    int index = attempts.size();
    String b = attemptBranch(index);
    Attempt a = new Attempt(index, target, d, b, viaOf(d, b), bytes, invite, settings,
        mayFallBackToUdp);
    attempts.add(a);
    a.start(out);
    return out;
  }

  /**
   * TCP chosen by the size rule did not connect: the same Contact over UDP, as a new attempt
   * (its own branch), at once; the destination is remembered as taking UDP only.
   */
  private List<Action> fallBackToUdp(List<Action> out, Attempt tcp, String why) {
    Destination udp = tcp.target.destination();
    transports.fellBack(udp, why, settings.inline().largeInvites().remember());
    return send(out, tcp.target, udp, attemptBytes(tcp.target, udp, attempts.size()), false);
  }

  private String attemptBranch(int index) {
    return branch + "." + index;
  }

  private String viaOf(Destination d, String b) {
    String sentBy = localSentBy.apply(d.transport());
    return "SIP/2.0/" + d.transport().viaToken() + " " + sentBy + ";branch=" + b + ";rport";
  }

  private byte[] attemptBytes(ContactPlan.Target target, Destination d, int index) {
    MessageEditor e = invite.edit()
        .setRequestUri(target.requestUri())
        .removeHeaders(HeaderName.IDENTITY);
    if (!paiLines.isEmpty()) e.removeHeaders(HeaderName.P_ASSERTED_IDENTITY);
    e.pushVia(viaOf(d, attemptBranch(index))).decrementMaxForwards();
    if (settings.inline().recordRoute()) {
      // the token lets this dialog's in-dialog requests through, and nothing else
      String rr = localSentBy.apply(d.transport());
      e.addHeader("Record-Route", "<sip:" + rr + ";transport="
          + d.transport().name().toLowerCase(Locale.ROOT) + ";lr;"
          + DialogTokens.PARAM + "=" + dialogToken() + ">");
    }
    // the Identity of ClearIP's 302, byte for byte, replacing the switch's own
    for (byte[] line : identityLines) e.addHeaderLine(line);
    for (byte[] line : paiLines) e.addHeaderLine(line);
    e.ensureContentLength();
    return e.toBytes();
  }

  private String dialogToken() {
    if (dialogToken == null) dialogToken = tokens.mint(invite.callId(), invite.fromTag());
    return dialogToken;
  }

  private static List<byte[]> lines(SipResponse r, HeaderName h) {
    List<byte[]> out = new ArrayList<>(1);
    for (int i = r.indexOf(h); i >= 0; i = r.indexOf(h, i + 1)) out.add(r.headerLineBytes(i));
    return out;
  }

  // ---- the end of the search -----------------------------------------------------------------

  /** One attempt ended without a 2xx: end the search or try the next Contact. */
  private List<Action> attemptFailed(List<Action> out, Attempt a, int code, SipResponse r) {
    remember(code, r);
    if (!searching() || a != current()) return out;
    boolean stop = code >= 600 || settings.inline().stopCodes().contains(code)
        || (ringingRelayed && settings.inline().stopAfterRinging());
    if (stop) return endSearch(out);
    return nextAttempt(out);
  }

  /** RFC 3261 16.7 step 6: 6xx first, else the lowest class; 503 passed through as is. */
  private void remember(int code, SipResponse r) {
    if (bestStatus == 0 || rank(code) < rank(bestStatus)) {
      bestStatus = code;
      bestFinal = r;
    }
  }

  private static int rank(int code) {
    if (code >= 600) return 0;
    // within a class, the first response seen wins (stable); 4xx before 5xx before 3xx
    return code >= 400 && code < 500 ? 1 : code >= 500 ? 2 : 3;
  }

  private List<Action> endSearch(List<Action> out) {
    if (bestFinal != null) {
      return switchSide.complete(out, bestFinal.edit().popVia().toBytes(), bestStatus,
          CallOutcome.DESTINATIONS_FAILED, lingering());
    }
    String why = bestStatus == 408 ? "no answer from the destinations"
        : redirectRefused ? "destination redirected (not followed)"
        : "destinations unreachable";
    return switchSide.answer(out, bestStatus == 0 ? 503 : bestStatus, why,
        CallOutcome.DESTINATIONS_FAILED, lingering());
  }

  private List<Action> allFailed(List<Action> out) {
    if (settings.inline().allFailed503()) {
      return switchSide.answer(out, 503, "all destinations failed",
          CallOutcome.DESTINATIONS_FAILED, lingering());
    }
    return endSearch(out);
  }

  // ---- lookups -------------------------------------------------------------------------------

  private boolean searching() {
    return switchSide.state() == CallState.SEARCHING;
  }

  /** The attempt under way, the last one sent; only called once there is one. */
  private Attempt current() {
    return attempts.get(attempts.size() - 1);
  }

  private Attempt attempt(int index) {
    return index >= 0 && index < attempts.size() ? attempts.get(index) : null;
  }

  private Attempt attemptByBranch(String b) {
    if (b == null) return null;
    for (Attempt a : attempts) {
      if (a.branch.equals(b)) return a;
    }
    return null;
  }
}
