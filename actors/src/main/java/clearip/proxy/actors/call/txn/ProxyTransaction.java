package clearip.proxy.actors.call.txn;

import clearip.proxy.actors.call.txn.TxnTimer.AttemptTimer;
import clearip.proxy.actors.call.txn.TxnTimer.AttemptTimer.Kind;
import clearip.proxy.actors.call.txn.TxnTimer.CallTimer;
import clearip.proxy.sip.header.Via;
import clearip.proxy.sip.message.MessageEditor;
import clearip.proxy.sip.message.RequestChecks;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipRequests;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.message.SipResponses;
import clearip.proxy.sip.uri.SipUri;
import clearip.proxy.sip.uri.TelUri;
import clearip.proxy.sip.uri.Uri;
import clearip.proxy.streams.transport.Offer;
import clearip.proxy.streams.transport.SendResult;
import clearip.proxy.streams.transport.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The RFC 3261 stateful-proxy logic of one INVITE relayed to ClearIP (tls-proxy mode), as plain
 * Java: each event returns the actions to take, and the call's actor performs them. Server side:
 * 100 Trying, retransmission absorption, Timer G/H, ACK absorption, CANCEL → 487. Client side:
 * forward with our Via, hop-by-hop ACK of non-2xx finals, CANCEL once a provisional arrived, and
 * the fail-open deadline.
 *
 * <p>ClearIP's finals are relayed unchanged, 503 included: RFC 3261 16.7 step 6 would turn a 503
 * into a 500, but for ClearIP a 503 means "no action, route-advance", which the switch must see.
 */
public final class ProxyTransaction {

  public enum State { NEW, WAITING_UPSTREAM, SEARCHING, ACCEPTED, COMPLETED, TERMINATED }

  private final SipRequest invite;
  private final CallSettings settings;
  private final boolean reliable;
  private final String branch;
  private final String toTag;
  private final long startNanos;
  private final Function<Transport, String> localSentBy;
  private final TransportMemory transports;
  private final DialogTokens tokens;
  private String dialogToken;

  private State state = State.NEW;
  private String ourVia;
  private byte[] trying;
  private byte[] lastResponse;
  private boolean provisionalFromUpstream;
  private boolean cancelPending;
  private Duration timerG;
  private long forwardedNanos;
  private boolean switchAcked;

  private CallOutcome outcome;
  private int finalStatus;
  private int clearIpStatus;
  private long clearIpRttNanos = -1;

  // inline mode: the destinations of ClearIP's 302 and the attempts made
  private List<ContactPlan.Target> plan = List.of();
  private final List<Attempt> attempts = new ArrayList<>(2);
  private int current = -1;
  /** The next Contact of the plan to try (an attempt may be repeated over UDP, see below). */
  private int nextContact;
  private List<byte[]> identityLines = List.of();
  private List<byte[]> paiLines = List.of();
  private boolean ringingRelayed;
  private SipResponse bestFinal;
  private int bestStatus;
  private boolean redirectRefused;
  private boolean stopping;
  /** The 100 Trying already went to the switch as the INVITE was read (UDP). */
  private boolean tryingSent;

  /** One destination tried: a client transaction of its own (RFC 3261 17.1.1). */
  private static final class Attempt {
    final int index;
    final ContactPlan.Target target;
    final Destination destination;
    final String branch;
    final String via;
    final String requestUri;
    final byte[] bytes;
    boolean provisional;
    boolean done; // final received, failed, or given up
    boolean cancelPending;
    boolean gaveUp; // timed out without a final: it may still answer late
    boolean cancelled; // CANCEL sent or pending: its 487 (or a 2xx) is still to come
    boolean finalReceived;
    /** A 101-199 came: the no-answer timer no longer applies, the ring timer does. */
    boolean ringing;
    /** TCP chosen by the size rule, not connected yet: UDP is tried if it does not connect. */
    boolean mayFallBackToUdp;
    Duration timerA;

    Attempt(int index, ContactPlan.Target target, Destination destination, String branch,
        String via, byte[] bytes) {
      this.index = index;
      this.target = target;
      this.destination = destination;
      this.branch = branch;
      this.via = via;
      this.requestUri = target.requestUri();
      this.bytes = bytes;
    }
  }

  /**
   * @param reliable the switch's transport is TCP or TLS (no retransmissions, no Timer G)
   * @param branch the Via branch this proxy uses towards ClearIP
   * @param toTag the To tag of responses this proxy generates
   */
  public ProxyTransaction(SipRequest invite, CallSettings settings, boolean reliable,
      String branch, String toTag, long nowNanos) {
    this(invite, settings, reliable, branch, toTag, nowNanos, t -> null);
  }

  /**
   * @param localSentBy our {@code host:port} for each transport, for the Via of inline attempts
   */
  public ProxyTransaction(SipRequest invite, CallSettings settings, boolean reliable,
      String branch, String toTag, long nowNanos, Function<Transport, String> localSentBy) {
    this(invite, settings, reliable, branch, toTag, nowNanos, localSentBy,
        new TransportMemory(System::nanoTime, 1), DialogTokens.random());
  }

  /**
   * @param transports the destinations that lately did not take TCP, shared by every call
   * @param tokens marks the dialogs this proxy screened, in its Record-Route
   */
  public ProxyTransaction(SipRequest invite, CallSettings settings, boolean reliable,
      String branch, String toTag, long nowNanos, Function<Transport, String> localSentBy,
      TransportMemory transports, DialogTokens tokens) {
    this.invite = invite;
    this.transports = transports;
    this.tokens = tokens;
    this.settings = settings;
    this.reliable = reliable;
    this.branch = branch;
    this.toTag = toTag;
    this.startNanos = nowNanos;
    this.localSentBy = localSentBy;
  }

  /** Inline: how many destinations were tried. */
  public int attemptsMade() {
    return attempts.size();
  }

  /** Inline: the destinations tried, in order, for the call summary. */
  public List<String> attemptedDestinations() {
    List<String> out = new ArrayList<>(attempts.size());
    for (Attempt a : attempts) out.add(a.destination.toString());
    return out;
  }

  public State state() {
    return state;
  }

  /**
   * The transport layer already answered the INVITE with 100 Trying as it read it (UDP), so
   * that the switch stopped retransmitting at once: {@link #start} sends no second one, and a
   * retransmitted INVITE gets these same bytes.
   */
  public void tryingAlreadySent(byte[] sent) {
    tryingSent = true;
    trying = sent;
  }

  public CallOutcome outcome() {
    return outcome;
  }

  public int finalStatus() {
    return finalStatus;
  }

  public int clearIpStatus() {
    return clearIpStatus;
  }

  public long clearIpRttNanos() {
    return clearIpRttNanos;
  }

  public long startNanos() {
    return startNanos;
  }

  public String branch() {
    return branch;
  }

  // ---- events ------------------------------------------------------------------------------

  /**
   * The INVITE arrived.
   *
   * @param upstreamVia the Via this proxy inserts towards ClearIP, e.g. {@code SIP/2.0/TLS
   *     host:port;branch=...}, or null when no connection to ClearIP is up
   */
  public List<Action> start(String upstreamVia, long nowNanos) {
    List<Action> out = new ArrayList<>(4);
    String number = calledNumber(invite);
    if (number != null && settings.emergencyNumbers().contains(number)) {
      return answer(out, 503, "emergency call " + number + " is not screened",
          CallOutcome.EMERGENCY_BYPASS);
    }
    RequestChecks.Rejection rej = RequestChecks.check(invite, settings.supportedProxyOptions());
    if (rej != null) {
      List<SipResponses.Header> extra = rej.headerName() == null ? List.of()
          : List.of(new SipResponses.Header(rej.headerName(), rej.headerValue()));
      return completeWith(out, SipResponses.create(invite, rej.status(), rej.reasonPhrase(),
          toTag, extra), rej.status(), CallOutcome.REJECTED);
    }
    if (isLoop()) {
      return completeWith(out, SipResponses.create(invite, 482, "Loop Detected", toTag,
          List.of()), 482, CallOutcome.REJECTED);
    }
    if (upstreamVia == null) {
      return answer(out, 503, "ClearIP unreachable", CallOutcome.FAIL_OPEN_UNAVAILABLE);
    }
    if (!tryingSent) {
      trying = SipResponses.create(invite, 100, "Trying", null, List.of());
      out.add(new Action.ToSwitch(trying));
    }
    ourVia = upstreamVia;
    MessageEditor e = invite.edit().pushVia(upstreamVia).decrementMaxForwards();
    e.ensureContentLength(); // a UDP INVITE may lack it; the upstream is a stream
    out.add(new Action.ForwardUpstream(branch, e.toBytes()));
    out.add(new Action.StartTimer(CallTimer.UPSTREAM_DEADLINE, settings.upstreamTimeout()));
    state = State.WAITING_UPSTREAM;
    forwardedNanos = nowNanos;
    return out;
  }

  /** The upstream queue's answer to the forwarded INVITE. */
  public List<Action> onOffer(Offer offer) {
    List<Action> out = new ArrayList<>(3);
    if (state != State.WAITING_UPSTREAM || offer == Offer.ENQUEUED) return out;
    out.add(new Action.CancelTimer(CallTimer.UPSTREAM_DEADLINE));
    return offer == Offer.FULL
        ? answer(out, 503, "ClearIP queue full", CallOutcome.FAIL_OPEN_QUEUE_FULL)
        : answer(out, 503, "ClearIP unreachable", CallOutcome.FAIL_OPEN_UNAVAILABLE);
  }

  /** A response from ClearIP with our branch. */
  public List<Action> onUpstreamResponse(SipResponse r, long nowNanos) {
    List<Action> out = new ArrayList<>(4);
    if (r.cseqMethodIs("CANCEL")) return out; // the 200 to our CANCEL
    int code = r.statusCode();
    if (code < 200) {
      provisionalFromUpstream = true;
      if (cancelPending) {
        cancelPending = false;
        out.add(new Action.ToUpstream(cancel()));
      }
      if (code > 100 && state == State.WAITING_UPSTREAM) {
        // never forward a 100 (RFC 3261 16.7 step 5); other provisionals go to the switch
        trying = r.edit().popVia().toBytes();
        out.add(new Action.ToSwitch(trying));
      }
      return out;
    }
    if (clearIpStatus == 0) {
      clearIpStatus = code;
      clearIpRttNanos = nowNanos - forwardedNanos;
    }
    if (code >= 300) out.add(new Action.ToUpstream(ack(r)));
    if (state == State.WAITING_UPSTREAM && code >= 300 && code < 400
        && settings.inlineMode()) {
      List<ContactPlan.Target> targets = ContactPlan.of(r.contacts(),
          settings.inline().maxAttempts());
      if (!targets.isEmpty()) {
        out.add(new Action.CancelTimer(CallTimer.UPSTREAM_DEADLINE));
        return startSearch(out, r, targets);
      }
      // a 302 without a Contact we can use is relayed as in tls-proxy mode
    }
    if (state == State.WAITING_UPSTREAM) {
      out.add(new Action.CancelTimer(CallTimer.UPSTREAM_DEADLINE));
      byte[] relayed = r.edit().popVia().toBytes();
      return completeWith(out, relayed, code, CallOutcome.RELAYED);
    }
    if (code < 300) {
      // a 2xx after we gave up must still reach the switch; the UAC will BYE what it can't use
      out.add(new Action.ToSwitch(r.edit().popVia().toBytes()));
    }
    return out;
  }

  /** The connection carrying the INVITE was lost before ClearIP's final. */
  public List<Action> onUpstreamUnavailable(String reason) {
    List<Action> out = new ArrayList<>(4);
    if (state != State.WAITING_UPSTREAM) return out;
    out.add(new Action.CancelTimer(CallTimer.UPSTREAM_DEADLINE));
    return answer(out, 503, "ClearIP connection lost", CallOutcome.FAIL_OPEN_UNAVAILABLE);
  }

  /**
   * ClearIP answered with something this proxy cannot use (beyond its parse limits): the switch
   * gets 503 at once, rather than after the upstream timeout.
   */
  public List<Action> onUpstreamUnusable(String reason) {
    List<Action> out = new ArrayList<>(4);
    if (state != State.WAITING_UPSTREAM) return out;
    out.add(new Action.CancelTimer(CallTimer.UPSTREAM_DEADLINE));
    return answer(out, 503, "ClearIP answer unusable", CallOutcome.FAIL_OPEN_UNAVAILABLE);
  }

  /** A timer fired: one of the call's, or one of an inline attempt's. */
  public List<Action> onTimer(TxnTimer timer) {
    if (timer instanceof AttemptTimer a) return onAttemptTimer(a.kind(), a.attempt());
    return onCallTimer((CallTimer) timer);
  }

  private List<Action> onCallTimer(CallTimer kind) {
    List<Action> out = new ArrayList<>(3);
    switch (kind) {
      case UPSTREAM_DEADLINE -> {
        if (state != State.WAITING_UPSTREAM) return out;
        out.add(new Action.UpstreamTimedOut(branch));
        if (provisionalFromUpstream) out.add(new Action.ToUpstream(cancel()));
        return answer(out, 503, "ClearIP timeout", CallOutcome.FAIL_OPEN_TIMEOUT);
      }
      case TIMER_G -> {
        if (state != State.COMPLETED) return out;
        out.add(new Action.ToSwitch(lastResponse));
        timerG = min(timerG.multipliedBy(2), settings.t2());
        out.add(new Action.StartTimer(CallTimer.TIMER_G, timerG));
        return out;
      }
      case TIMER_H -> {
        if (state == State.TERMINATED || lingering()) return out;
        return terminate(out); // no ACK came: give up (RFC 3261 17.2.1)
      }
      case ACCEPTED -> {
        return state == State.TERMINATED ? out : terminate(out);
      }
      default -> throw new IllegalStateException(kind.toString());
    }
  }

  private List<Action> onAttemptTimer(Kind kind, int index) {
    List<Action> out = new ArrayList<>(4);
    if (index < 0 || index >= attempts.size()) return out;
    Attempt a = attempts.get(index);
    if (a.done) return out;
    switch (kind) {
      case TIMER_A -> {
        if (a.provisional) return out;
        out.add(new Action.ToDestination(a.index, a.destination, a.branch, a.bytes));
        a.timerA = a.timerA.multipliedBy(2);
        out.add(new Action.StartTimer(new AttemptTimer(Kind.TIMER_A, a.index), a.timerA));
        return out;
      }
      case NO_ANSWER -> {
        if (a.ringing) return out;
        // after a 100 a CANCEL may go; without one, none (RFC 3261 9.1), and a late answer is
        // still handled
        if (a.provisional) cancelAttempt(out, a);
        a.done = true;
        a.gaveUp = true;
        out.add(new Action.CancelTimer(new AttemptTimer(Kind.TIMER_A, a.index)));
        return attemptFailed(out, a, 408, null);
      }
      case RING -> {
        cancelAttempt(out, a);
        a.done = true;
        a.gaveUp = true;
        return attemptFailed(out, a, 408, null);
      }
      case TCP_CONNECT -> {
        if (!a.mayFallBackToUdp || a.provisional) return out;
        // the connection may still come up and deliver the INVITE: CANCEL it if it rings, take
        // its 2xx if it answers (never discarded), and wait for its end before the call ends
        cancelAttempt(out, a);
        a.done = true;
        return fallBackToUdp(out, a, "no TCP connection within "
            + settings.inline().largeInvites().tcpConnectTimeout().toMillis() + " ms");
      }
      default -> throw new IllegalStateException(kind.toString());
    }
  }

  /** Inline: the transport's verdict on a send to a destination. */
  public List<Action> onSendResult(int index, SendResult result) {
    List<Action> out = new ArrayList<>(4);
    if (index < 0 || index >= attempts.size()) return out;
    Attempt a = attempts.get(index);
    if (result == SendResult.Sent.INSTANCE) {
      if (a.mayFallBackToUdp) { // TCP connected: it works for this destination
        a.mayFallBackToUdp = false;
        out.add(new Action.CancelTimer(new AttemptTimer(Kind.TCP_CONNECT, a.index)));
        transports.tcpWorks(a.target.destination());
      }
      return out;
    }
    if (a.done && a.cancelled && !a.finalReceived && !a.provisional) {
      // given up while its connection was pending or just lost: no answer can come from it
      a.finalReceived = true;
      return endIfNothingLingers(out);
    }
    if (a.done || a.provisional) return out;
    // a connection reset soon after the INVITE went out (SendResult.Lost) fails the attempt at
    // once too, rather than after the no-answer timer
    if (a.mayFallBackToUdp && result instanceof SendResult.Failed failed && failed.notConnected()) {
      a.done = true;
      a.finalReceived = true; // nothing reached the destination
      cancelAttemptTimers(out, a);
      return fallBackToUdp(out, a, failed.reason());
    }
    a.done = true; // RFC 3261 8.1.3.1: a transport error counts as a 503
    cancelAttemptTimers(out, a);
    return attemptFailed(out, a, 503, null);
  }

  /** Inline: a response from a destination, matched by the branch of one of our attempts. */
  public List<Action> onDestinationResponse(SipResponse r) {
    List<Action> out = new ArrayList<>(5);
    Attempt a = attemptByBranch(r.topViaBranch());
    if (a == null || r.cseqMethodIs("CANCEL")) return out;
    int code = r.statusCode();
    if (code < 200) {
      if (!a.provisional) {
        a.provisional = true; // no more retransmissions; a CANCEL may be sent from now on
        out.add(new Action.CancelTimer(new AttemptTimer(Kind.TIMER_A, a.index)));
      }
      if (code > 100 && !a.ringing) {
        // only a 101-199 shows the call is progressing there: a 100 alone is a hop's receipt,
        // and a destination that sends it and then nothing is still given up in time
        a.ringing = true;
        out.add(new Action.CancelTimer(new AttemptTimer(Kind.NO_ANSWER, a.index)));
        if (!a.done) {
          out.add(new Action.StartTimer(new AttemptTimer(Kind.RING, a.index),
              settings.inline().ringTimeout()));
        }
      }
      if (a.cancelPending) {
        a.cancelPending = false;
        out.add(new Action.ToDestination(a.index, a.destination, a.branch, cancelOf(a)));
      }
      if (code > 100 && state == State.SEARCHING && a.index == current && !a.done) {
        trying = r.edit().popVia().toBytes();
        out.add(new Action.ToSwitch(trying));
        if (code == 180 || code == 183) ringingRelayed = true;
      }
      return out;
    }
    cancelAttemptTimers(out, a);
    boolean wasOpen = !a.done;
    a.done = true;
    a.finalReceived = true;
    if (code < 300) {
      // relayed at once, even from a branch given up on: a 2xx is never discarded
      out.add(new Action.ToSwitch(r.edit().popVia().toBytes()));
      if (state == State.SEARCHING || state == State.WAITING_UPSTREAM) {
        finalStatus = code;
        outcome = CallOutcome.ANSWERED;
        state = State.ACCEPTED;
        for (Attempt other : attempts) {
          if (other != a) cancelAttempt(out, other);
        }
        // the call is done; 2xx retransmissions are relayed statelessly by the registry (RFC
        // 6026), so only cancelled attempts still owing their final keep it (bounded wait)
        if (!lingering()) return terminate(out);
        out.add(new Action.StartTimer(CallTimer.ACCEPTED, settings.timerH()));
      }
      return out;
    }
    out.add(new Action.ToDestination(a.index, a.destination, a.branch, ackOf(a, r)));
    if (!wasOpen || state != State.SEARCHING || a.index != current) {
      return endIfNothingLingers(out);
    }
    if (code < 400) {
      // a destination's own redirect is neither followed nor relayed: its Contacts were never
      // screened by ClearIP. It counts as a failed attempt.
      redirectRefused = true;
      return attemptFailed(out, a, 503, null);
    }
    return attemptFailed(out, a, code, r);
  }

  /** After the last late final we were waiting for: nothing keeps this call any more. */
  private List<Action> endIfNothingLingers(List<Action> out) {
    if (!lingering() && (state == State.ACCEPTED
        || (state == State.COMPLETED && (reliable || switchAcked)))) {
      return terminate(out);
    }
    return out;
  }

  // ---- inline search -----------------------------------------------------------------------

  private List<Action> startSearch(List<Action> out, SipResponse redirect,
      List<ContactPlan.Target> targets) {
    state = State.SEARCHING;
    plan = targets;
    identityLines = lines(redirect, clearip.proxy.sip.header.HeaderName.IDENTITY);
    if (settings.inline().copyPai()) {
      paiLines = lines(redirect, clearip.proxy.sip.header.HeaderName.P_ASSERTED_IDENTITY);
    }
    return nextAttempt(out);
  }

  private static List<byte[]> lines(SipResponse r, clearip.proxy.sip.header.HeaderName h) {
    List<byte[]> out = new ArrayList<>(1);
    for (int i = r.indexOf(h); i >= 0; i = r.indexOf(h, i + 1)) out.add(r.headerLineBytes(i));
    return out;
  }

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
    Attempt a = new Attempt(index, target, d, b, viaOf(d, b), bytes);
    a.mayFallBackToUdp = mayFallBackToUdp;
    attempts.add(a);
    current = index;
    out.add(new Action.ToDestination(index, d, b, bytes));
    out.add(new Action.StartTimer(new AttemptTimer(Kind.NO_ANSWER, index),
        settings.inline().noAnswerTimeout()));
    if (d.transport() == Transport.UDP) {
      a.timerA = settings.t1();
      out.add(new Action.StartTimer(new AttemptTimer(Kind.TIMER_A, index), a.timerA));
    }
    if (mayFallBackToUdp) {
      out.add(new Action.StartTimer(new AttemptTimer(Kind.TCP_CONNECT, index),
          settings.inline().largeInvites().tcpConnectTimeout()));
    }
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
    clearip.proxy.sip.message.MessageEditor e = invite.edit()
        .setRequestUri(target.requestUri())
        .removeHeaders(clearip.proxy.sip.header.HeaderName.IDENTITY);
    if (!paiLines.isEmpty()) e.removeHeaders(clearip.proxy.sip.header.HeaderName.P_ASSERTED_IDENTITY);
    e.pushVia(viaOf(d, attemptBranch(index))).decrementMaxForwards();
    if (settings.inline().recordRoute()) {
      // the token lets this dialog's in-dialog requests through, and nothing else
      String rr = localSentBy.apply(d.transport());
      e.addHeader("Record-Route", "<sip:" + rr + ";transport="
          + d.transport().name().toLowerCase(java.util.Locale.ROOT) + ";lr;"
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

  /** One attempt ended without a 2xx: end the search or try the next Contact. */
  private List<Action> attemptFailed(List<Action> out, Attempt a, int code, SipResponse r) {
    remember(code, r);
    if (state != State.SEARCHING || a.index != current) return out;
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
      return completeWith(out, bestFinal.edit().popVia().toBytes(), bestStatus,
          CallOutcome.DESTINATIONS_FAILED);
    }
    String why = bestStatus == 408 ? "no answer from the destinations"
        : redirectRefused ? "destination redirected (not followed)"
        : "destinations unreachable";
    return answer(out, bestStatus == 0 ? 503 : bestStatus, why, CallOutcome.DESTINATIONS_FAILED);
  }

  private List<Action> allFailed(List<Action> out) {
    if (settings.inline().allFailed503()) {
      return answer(out, 503, "all destinations failed", CallOutcome.DESTINATIONS_FAILED);
    }
    return endSearch(out);
  }

  private Attempt currentAttempt() {
    return current >= 0 && current < attempts.size() ? attempts.get(current) : null;
  }

  private Attempt attemptByBranch(String b) {
    if (b == null) return null;
    for (Attempt a : attempts) {
      if (a.branch.equals(b)) return a;
    }
    return null;
  }

  private void cancelAttemptTimers(List<Action> out, Attempt a) {
    out.add(new Action.CancelTimer(new AttemptTimer(Kind.TIMER_A, a.index)));
    out.add(new Action.CancelTimer(new AttemptTimer(Kind.NO_ANSWER, a.index)));
    out.add(new Action.CancelTimer(new AttemptTimer(Kind.RING, a.index)));
    if (a.mayFallBackToUdp) {
      a.mayFallBackToUdp = false;
      out.add(new Action.CancelTimer(new AttemptTimer(Kind.TCP_CONNECT, a.index)));
    }
  }

  /** CANCEL an attempt once it has a provisional (RFC 3261 9.1), else when one arrives. */
  private void cancelAttempt(List<Action> out, Attempt a) {
    if (a == null || a.done) return;
    cancelAttemptTimers(out, a);
    a.cancelled = true;
    if (a.provisional) {
      out.add(new Action.ToDestination(a.index, a.destination, a.branch, cancelOf(a)));
    } else {
      a.cancelPending = true;
    }
  }

  private byte[] cancelOf(Attempt a) {
    return SipRequests.cancelFor(invite, a.requestUri, a.via, null);
  }

  private byte[] ackOf(Attempt a, SipResponse r) {
    return SipRequests.ackFor(invite, a.requestUri, a.via, r);
  }

  /** The switch retransmitted the INVITE (UDP): repeat our last answer. */
  public List<Action> onRetransmission() {
    List<Action> out = new ArrayList<>(1);
    if (state == State.COMPLETED && lastResponse != null) {
      out.add(new Action.ToSwitch(lastResponse));
    } else if ((state == State.WAITING_UPSTREAM || state == State.SEARCHING) && trying != null) {
      out.add(new Action.ToSwitch(trying));
    }
    return out;
  }

  /** The switch's ACK for our non-2xx final: absorbed here, never forwarded. */
  public List<Action> onAck() {
    List<Action> out = new ArrayList<>(3);
    if (state != State.COMPLETED) return out;
    out.add(new Action.CancelTimer(CallTimer.TIMER_G));
    out.add(new Action.CancelTimer(CallTimer.TIMER_H));
    switchAcked = true;
    // a destination given up on or cancelled may still answer: stay until it does, or until
    // the ACCEPTED timer
    return lingering() ? out : terminate(out);
  }

  /**
   * True while an inline attempt that timed out or was cancelled has not sent its final: its
   * 487 must be ACKed, and a 2xx relayed.
   */
  private boolean lingering() {
    for (Attempt a : attempts) {
      if ((a.gaveUp || a.cancelled) && !a.finalReceived) return true;
    }
    return false;
  }

  /**
   * What the switch's CANCEL brings: the 200 for the CANCEL itself, which goes back the way the
   * CANCEL came (not necessarily the INVITE's way), and what follows for the INVITE.
   */
  public record CancelAnswer(byte[] ok, List<Action> actions) {}

  /** The switch cancelled the INVITE: 200 to the CANCEL, CANCEL upstream, 487 (RFC 3261 16.10). */
  public CancelAnswer onCancel(SipRequest cancelRequest) {
    byte[] ok = SipResponses.create(cancelRequest, 200, "OK", toTag, List.of());
    List<Action> out = new ArrayList<>(4);
    if (state == State.SEARCHING) {
      cancelAttempt(out, currentAttempt());
      return new CancelAnswer(ok, completeWith(out, SipResponses.create(invite, 487,
          "Request Terminated", toTag, List.of()), 487, CallOutcome.CANCELLED));
    }
    if (state != State.WAITING_UPSTREAM) return new CancelAnswer(ok, out);
    if (provisionalFromUpstream) {
      out.add(new Action.ToUpstream(cancel()));
    } else {
      cancelPending = true; // RFC 3261 9.1: not before a provisional; sent when one arrives
    }
    out.add(new Action.CancelTimer(CallTimer.UPSTREAM_DEADLINE));
    return new CancelAnswer(ok, completeWith(out, SipResponses.create(invite, 487,
        "Request Terminated", toTag, List.of()), 487, CallOutcome.CANCELLED));
  }

  /**
   * The proxy stops before this call is over (the drain deadline passed): the switch gets a 503
   * now if it has no final yet, so it can route-advance, and every destination still trying
   * gets its CANCEL (those that sent no provisional cannot be CANCELled, RFC 3261 9.1). The
   * transaction ends at once unless a 487 is still to be ACKed or the switch's ACK to come; the
   * stopping proxy bounds that wait.
   */
  public List<Action> onStop(String why) {
    List<Action> out = new ArrayList<>(6);
    if (stopping || state == State.TERMINATED) return out;
    stopping = true;
    if (state == State.WAITING_UPSTREAM) {
      out.add(new Action.CancelTimer(CallTimer.UPSTREAM_DEADLINE));
      if (provisionalFromUpstream) out.add(new Action.ToUpstream(cancel()));
      answer(out, 503, why, CallOutcome.FAIL_OPEN_OVERLOAD);
    } else if (state == State.SEARCHING) {
      for (Attempt a : attempts) cancelAttempt(out, a);
      answer(out, 503, why, CallOutcome.FAIL_OPEN_OVERLOAD);
    } else if (state == State.ACCEPTED || state == State.COMPLETED) {
      for (Attempt a : attempts) cancelAttempt(out, a);
    }
    if (state == State.TERMINATED) return out;
    if (lingering() || (state == State.COMPLETED && !reliable && !switchAcked)) return out;
    return terminate(out);
  }

  // ---- helpers -----------------------------------------------------------------------------

  private List<Action> answer(List<Action> out, int status, String why, CallOutcome o) {
    String reason = "SIP;cause=" + status + ";text=\"" + why + "\"";
    byte[] bytes = SipResponses.create(invite, status, SipResponses.reasonPhrase(status), toTag,
        List.of(new SipResponses.Header("Reason", reason)));
    return completeWith(out, bytes, status, o);
  }

  private List<Action> completeWith(List<Action> out, byte[] finalBytes, int status,
      CallOutcome o) {
    out.add(new Action.ToSwitch(finalBytes));
    lastResponse = finalBytes;
    finalStatus = status;
    outcome = o;
    boolean linger = lingering();
    if (linger) out.add(new Action.StartTimer(CallTimer.ACCEPTED, settings.timerH()));
    if ((reliable || status < 300) && !linger) {
      // over TCP/TLS the ACK needs no retransmission handling: a late ACK finds no call and is
      // dropped, which is exactly what absorbing it means; a 2xx is ACKed end to end
      return terminate(out);
    }
    state = State.COMPLETED;
    if (reliable || status < 300) return out;
    timerG = settings.t1();
    out.add(new Action.StartTimer(CallTimer.TIMER_G, timerG));
    out.add(new Action.StartTimer(CallTimer.TIMER_H, settings.timerH()));
    return out;
  }

  private List<Action> terminate(List<Action> out) {
    state = State.TERMINATED;
    out.add(new Action.Terminate());
    return out;
  }

  private byte[] ack(SipResponse r) {
    return SipRequests.ackFor(invite, invite.requestUri(), ourVia, r);
  }

  private byte[] cancel() {
    return SipRequests.cancelFor(invite, invite.requestUri(), ourVia, null);
  }

  private boolean isLoop() {
    String mine = "z9hG4bK" + settings.branchPrefix() + ".";
    if (invite.viaCount() < 1) return false;
    for (Via v : invite.vias()) {
      String b = v.branch();
      if (b != null && b.startsWith(mine)) return true;
    }
    return false;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /**
   * The called number: the Request-URI user (tel number), or the To user when the Request-URI
   * has none; visual separators and user parameters removed. Null when there is none.
   */
  public static String calledNumber(SipRequest invite) {
    String n = number(invite.requestUri());
    if (n == null && invite.to() != null) n = number(invite.to().uri());
    return n;
  }

  private static String number(String uriText) {
    try {
      Uri u = Uri.parse(uriText);
      if (u instanceof SipUri s) return s.userNumber();
      if (u instanceof TelUri t) return t.digits();
    } catch (IllegalArgumentException e) {
      return null;
    }
    return null;
  }
}
