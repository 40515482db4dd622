package clearip.proxy.actors.call.txn;

import clearip.proxy.actors.call.CallOutcome;
import clearip.proxy.actors.call.CallSettings;
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
import clearip.proxy.streams.upstream.Offer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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

  public enum TimerKind { UPSTREAM_DEADLINE, TIMER_G, TIMER_H }

  public enum State { NEW, WAITING_UPSTREAM, COMPLETED, TERMINATED }

  /** What the call's actor must do. */
  public sealed interface Action {
    /** Send bytes to the switch over the transport the INVITE came on. */
    record ToSwitch(byte[] bytes) implements Action {}

    /** Send the INVITE upstream, registering for its responses; report with {@link #onOffer}. */
    record ForwardUpstream(String branch, byte[] bytes) implements Action {}

    /** Send an ACK or CANCEL upstream on the link carrying the INVITE. */
    record ToUpstream(byte[] bytes) implements Action {}

    /** The call gave up waiting for ClearIP: count it against the link (wedge detection). */
    record UpstreamTimedOut(String branch) implements Action {}

    record StartTimer(TimerKind kind, Duration after) implements Action {}

    record CancelTimer(TimerKind kind) implements Action {}

    /** The transaction is over: stop, forget the branch, report the outcome. */
    record Terminate() implements Action {}
  }

  private final SipRequest invite;
  private final CallSettings settings;
  private final boolean reliable;
  private final String branch;
  private final String toTag;
  private final long startNanos;

  private State state = State.NEW;
  private String ourVia;
  private byte[] trying;
  private byte[] lastResponse;
  private boolean provisionalFromUpstream;
  private boolean cancelPending;
  private Duration timerG;
  private long forwardedNanos;

  private CallOutcome outcome;
  private int finalStatus;
  private int clearIpStatus;
  private long clearIpRttNanos = -1;

  /**
   * @param reliable the switch's transport is TCP or TLS (no retransmissions, no Timer G)
   * @param branch the Via branch this proxy uses towards ClearIP
   * @param toTag the To tag of responses this proxy generates
   */
  public ProxyTransaction(SipRequest invite, CallSettings settings, boolean reliable,
      String branch, String toTag, long nowNanos) {
    this.invite = invite;
    this.settings = settings;
    this.reliable = reliable;
    this.branch = branch;
    this.toTag = toTag;
    this.startNanos = nowNanos;
  }

  public State state() {
    return state;
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
    trying = SipResponses.create(invite, 100, "Trying", null, List.of());
    out.add(new Action.ToSwitch(trying));
    ourVia = upstreamVia;
    MessageEditor e = invite.edit().pushVia(upstreamVia).decrementMaxForwards();
    e.ensureContentLength(); // a UDP INVITE may lack it; the upstream is a stream
    out.add(new Action.ForwardUpstream(branch, e.toBytes()));
    out.add(new Action.StartTimer(TimerKind.UPSTREAM_DEADLINE, settings.upstreamTimeout()));
    state = State.WAITING_UPSTREAM;
    forwardedNanos = nowNanos;
    return out;
  }

  /** The upstream queue's answer to the forwarded INVITE. */
  public List<Action> onOffer(Offer offer) {
    List<Action> out = new ArrayList<>(3);
    if (state != State.WAITING_UPSTREAM || offer == Offer.ENQUEUED) return out;
    out.add(new Action.CancelTimer(TimerKind.UPSTREAM_DEADLINE));
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
    if (state == State.WAITING_UPSTREAM) {
      out.add(new Action.CancelTimer(TimerKind.UPSTREAM_DEADLINE));
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
    out.add(new Action.CancelTimer(TimerKind.UPSTREAM_DEADLINE));
    return answer(out, 503, "ClearIP connection lost", CallOutcome.FAIL_OPEN_UNAVAILABLE);
  }

  public List<Action> onTimer(TimerKind kind) {
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
        out.add(new Action.StartTimer(TimerKind.TIMER_G, timerG));
        return out;
      }
      case TIMER_H -> {
        if (state == State.TERMINATED) return out;
        return terminate(out); // no ACK came: give up (RFC 3261 17.2.1)
      }
      default -> throw new IllegalStateException(kind.toString());
    }
  }

  /** The switch retransmitted the INVITE (UDP): repeat our last answer. */
  public List<Action> onRetransmission() {
    List<Action> out = new ArrayList<>(1);
    if (state == State.COMPLETED && lastResponse != null) {
      out.add(new Action.ToSwitch(lastResponse));
    } else if (state == State.WAITING_UPSTREAM && trying != null) {
      out.add(new Action.ToSwitch(trying));
    }
    return out;
  }

  /** The switch's ACK for our non-2xx final: absorbed here, never forwarded. */
  public List<Action> onAck() {
    List<Action> out = new ArrayList<>(3);
    if (state != State.COMPLETED) return out;
    out.add(new Action.CancelTimer(TimerKind.TIMER_G));
    out.add(new Action.CancelTimer(TimerKind.TIMER_H));
    return terminate(out);
  }

  /** The switch cancelled the INVITE: 200 to the CANCEL, CANCEL upstream, 487 (RFC 3261 16.10). */
  public List<Action> onCancel(SipRequest cancelRequest) {
    List<Action> out = new ArrayList<>(5);
    out.add(new Action.ToSwitch(SipResponses.create(cancelRequest, 200, "OK", toTag, List.of())));
    if (state != State.WAITING_UPSTREAM) return out;
    if (provisionalFromUpstream) {
      out.add(new Action.ToUpstream(cancel()));
    } else {
      cancelPending = true; // RFC 3261 9.1: not before a provisional; sent when one arrives
    }
    out.add(new Action.CancelTimer(TimerKind.UPSTREAM_DEADLINE));
    return completeWith(out, SipResponses.create(invite, 487, "Request Terminated", toTag,
        List.of()), 487, CallOutcome.CANCELLED);
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
    if (reliable || status < 300) {
      // over TCP/TLS the ACK needs no retransmission handling: a late ACK finds no call and is
      // dropped, which is exactly what absorbing it means; a 2xx is ACKed end to end
      return terminate(out);
    }
    state = State.COMPLETED;
    timerG = settings.t1();
    out.add(new Action.StartTimer(TimerKind.TIMER_G, timerG));
    out.add(new Action.StartTimer(TimerKind.TIMER_H, settings.timerH()));
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
