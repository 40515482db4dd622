package clearip.proxy.actors.call.txn;

import clearip.proxy.actors.call.txn.TxnTimer.AttemptTimer;
import clearip.proxy.actors.call.txn.TxnTimer.CallTimer;
import clearip.proxy.sip.header.HeaderName;
import clearip.proxy.sip.header.NameAddr;
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
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * The RFC 3261 stateful-proxy logic of one INVITE relayed to ClearIP (tls-proxy mode), as plain
 * Java: each event returns the actions to take, and the call's actor performs them. Towards the
 * switch ({@link SwitchSide}): 100 Trying, retransmission absorption, Timer G/H, ACK absorption,
 * CANCEL → 487. Towards ClearIP: forward with our Via, hop-by-hop ACK of non-2xx finals, CANCEL
 * once a provisional arrived, and the fail-open deadline.
 *
 * <p>ClearIP's finals are relayed unchanged, 503 included: RFC 3261 16.7 step 6 would turn a 503
 * into a 500, but for ClearIP a 503 means "no action, route-advance", which the switch must see.
 *
 * <p>In-line mode asks ClearIP the same way, but a 302 with Contacts it can use is not relayed:
 * it starts an {@link InlineSearch}, which answers the switch from then on; the destinations'
 * events are passed to it.
 */
public final class RelayTransaction {

  /**
   * What the switch's CANCEL brings: the 200 for the CANCEL itself, which goes back the way the
   * CANCEL came (not necessarily the INVITE's way), and what follows for the INVITE.
   */
  public record CancelAnswer(byte[] ok, List<Action> actions) {}

  /** Where the INVITE sent to ClearIP stands, until its final. */
  private enum UpstreamLeg {
    /** Sent, nothing heard yet: it cannot be CANCELled (RFC 3261 9.1). */
    ASKED,
    /** A provisional came: a CANCEL may go. */
    PROCEEDING,
    /** The switch cancelled before any provisional: our CANCEL goes when one comes. */
    CANCEL_PENDING
  }

  private final SipRequest invite;
  private final CallSettings settings;
  private final String branch;
  private final long startNanos;
  private final SwitchSide switchSide;
  // what an in-line search needs, should ClearIP's 302 start one
  private final Function<Transport, String> localSentBy;
  private final TransportMemory transports;
  private final DialogTokens tokens;

  // the ClearIP leg, a client transaction of its own
  private String ourVia;
  private UpstreamLeg upstreamLeg = UpstreamLeg.ASKED;
  private long forwardedNanos;
  private int clearIpStatus;
  private OptionalLong clearIpRtt = OptionalLong.empty();

  /** Inline: follows ClearIP's 302; null until one came, and always in tls-proxy mode. */
  private InlineSearch search;
  private boolean stopping;

  /**
   * @param reliable the switch's transport is TCP or TLS (no retransmissions, no Timer G)
   * @param branch the Via branch this proxy uses towards ClearIP
   * @param toTag the To tag of responses this proxy generates
   */
  public RelayTransaction(SipRequest invite, CallSettings settings, boolean reliable,
      String branch, String toTag, long nowNanos) {
    this(invite, settings, reliable, branch, toTag, nowNanos, t -> null);
  }

  /**
   * @param localSentBy our {@code host:port} for each transport, for the Via of inline attempts
   */
  public RelayTransaction(SipRequest invite, CallSettings settings, boolean reliable,
      String branch, String toTag, long nowNanos, Function<Transport, String> localSentBy) {
    this(invite, settings, reliable, branch, toTag, nowNanos, localSentBy,
        new TransportMemory(System::nanoTime, 1), DialogTokens.random());
  }

  /**
   * @param transports the destinations that lately did not take TCP, shared by every call
   * @param tokens marks the dialogs this proxy screened, in its Record-Route
   */
  public RelayTransaction(SipRequest invite, CallSettings settings, boolean reliable,
      String branch, String toTag, long nowNanos, Function<Transport, String> localSentBy,
      TransportMemory transports, DialogTokens tokens) {
    this.invite = invite;
    this.settings = settings;
    this.branch = branch;
    this.startNanos = nowNanos;
    this.switchSide = new SwitchSide(invite, settings, reliable, toTag);
    this.localSentBy = localSentBy;
    this.transports = transports;
    this.tokens = tokens;
  }

  public CallState state() {
    return switchSide.state();
  }

  /**
   * The transport layer already answered the INVITE with 100 Trying as it read it (UDP), so
   * that the switch stopped retransmitting at once: {@link #start} sends no second one, and a
   * retransmitted INVITE gets these same bytes.
   */
  public void tryingAlreadySent(byte[] sent) {
    switchSide.tryingAlreadySent(sent);
  }

  public CallOutcome outcome() {
    return switchSide.outcome();
  }

  public int finalStatus() {
    return switchSide.finalStatus();
  }

  /** ClearIP's final status, 0 while it has sent none. */
  public int clearIpStatus() {
    return clearIpStatus;
  }

  /** From forwarding the INVITE to ClearIP's final; empty while it has sent none. */
  public OptionalLong clearIpRttNanos() {
    return clearIpRtt;
  }

  public long startNanos() {
    return startNanos;
  }

  public String branch() {
    return branch;
  }

  /** Inline: how many destinations were tried. */
  public int attemptsMade() {
    return search == null ? 0 : search.attemptsMade();
  }

  /** Inline: the destinations tried, in order, for the call summary. */
  public List<String> attemptedDestinations() {
    return search == null ? List.of() : search.attemptedDestinations();
  }

  // ---- the switch's INVITE -------------------------------------------------------------------

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
      return switchSide.answer(out, 503, "emergency call " + number + " is not screened",
          CallOutcome.EMERGENCY_BYPASS, false);
    }
    RequestChecks.Rejection rej = RequestChecks.check(invite, settings.supportedProxyOptions());
    if (rej != null) {
      List<SipResponses.Header> extra = rej.headerName() == null ? List.of()
          : List.of(new SipResponses.Header(rej.headerName(), rej.headerValue()));
      return switchSide.respond(out, rej.status(), rej.reasonPhrase(), extra,
          CallOutcome.REJECTED, false);
    }
    if (isLoop()) {
      return switchSide.respond(out, 482, "Loop Detected", List.of(), CallOutcome.REJECTED,
          false);
    }
    if (upstreamVia == null) {
      return switchSide.answer(out, 503, "ClearIP unreachable", CallOutcome.FAIL_OPEN_UNAVAILABLE,
          false);
    }
    switchSide.trying(out);
    ourVia = upstreamVia;
    MessageEditor e = invite.edit().pushVia(upstreamVia).decrementMaxForwards();
    e.ensureContentLength(); // a UDP INVITE may lack it; the upstream is a stream
    out.add(new Action.ForwardUpstream(branch, e.toBytes()));
    out.add(new Action.StartTimer(CallTimer.UPSTREAM_DEADLINE, settings.upstreamTimeout()));
    switchSide.forwardedUpstream();
    forwardedNanos = nowNanos;
    return out;
  }

  /** The switch retransmitted the INVITE (UDP): repeat our last answer. */
  public List<Action> onRetransmission() {
    return switchSide.onRetransmission();
  }

  /** The switch's ACK for our non-2xx final: absorbed here, never forwarded. */
  public List<Action> onAck() {
    // a destination given up on or cancelled may still answer: stay until it does, or until
    // the ACCEPTED timer
    return switchSide.onAck(lingering());
  }

  /** The switch cancelled the INVITE: 200 to the CANCEL, CANCEL upstream, 487 (RFC 3261 16.10). */
  public CancelAnswer onCancel(SipRequest cancelRequest) {
    byte[] ok = switchSide.okTo(cancelRequest);
    List<Action> out = new ArrayList<>(4);
    if (state() == CallState.SEARCHING) {
      search.cancelCurrent(out);
      return new CancelAnswer(ok, terminated(out));
    }
    if (state() != CallState.WAITING_UPSTREAM) return new CancelAnswer(ok, out);
    if (upstreamLeg == UpstreamLeg.PROCEEDING) {
      out.add(new Action.ToUpstream(cancel()));
    } else {
      upstreamLeg = UpstreamLeg.CANCEL_PENDING;
    }
    out.add(new Action.CancelTimer(CallTimer.UPSTREAM_DEADLINE));
    return new CancelAnswer(ok, terminated(out));
  }

  private List<Action> terminated(List<Action> out) {
    return switchSide.respond(out, 487, "Request Terminated", List.of(), CallOutcome.CANCELLED,
        lingering());
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
    if (stopping || state() == CallState.TERMINATED) return out;
    stopping = true;
    switch (state()) {
      case WAITING_UPSTREAM -> {
        out.add(new Action.CancelTimer(CallTimer.UPSTREAM_DEADLINE));
        if (upstreamLeg == UpstreamLeg.PROCEEDING) out.add(new Action.ToUpstream(cancel()));
        switchSide.answer(out, 503, why, CallOutcome.FAIL_OPEN_OVERLOAD, lingering());
      }
      case SEARCHING -> {
        search.cancelAll(out);
        switchSide.answer(out, 503, why, CallOutcome.FAIL_OPEN_OVERLOAD, lingering());
      }
      case ACCEPTED, COMPLETED -> {
        if (search != null) search.cancelAll(out);
      }
      default -> {}
    }
    if (state() == CallState.TERMINATED) return out;
    if (lingering() || switchSide.awaitingAck()) return out;
    return switchSide.terminate(out);
  }

  /** A timer fired: one of the call's, or one of an inline attempt's. */
  public List<Action> onTimer(TxnTimer timer) {
    if (timer instanceof AttemptTimer a) return search == null ? List.of() : search.onTimer(a);
    return switch ((CallTimer) timer) {
      case UPSTREAM_DEADLINE -> onUpstreamDeadline();
      case TIMER_G -> switchSide.onTimerG();
      case TIMER_H -> switchSide.onTimerH(lingering());
      case ACCEPTED -> switchSide.onAcceptedTimer();
    };
  }

  // ---- ClearIP -------------------------------------------------------------------------------

  /** The upstream queue's answer to the forwarded INVITE. */
  public List<Action> onOffer(Offer offer) {
    List<Action> out = new ArrayList<>(3);
    if (state() != CallState.WAITING_UPSTREAM || offer == Offer.ENQUEUED) return out;
    out.add(new Action.CancelTimer(CallTimer.UPSTREAM_DEADLINE));
    return offer == Offer.FULL
        ? failOpen(out, "ClearIP queue full", CallOutcome.FAIL_OPEN_QUEUE_FULL)
        : failOpen(out, "ClearIP unreachable", CallOutcome.FAIL_OPEN_UNAVAILABLE);
  }

  /** A response from ClearIP with our branch. */
  public List<Action> onUpstreamResponse(SipResponse r, long nowNanos) {
    List<Action> out = new ArrayList<>(4);
    if (r.cseqMethodIs("CANCEL")) return out; // the 200 to our CANCEL
    int code = r.statusCode();
    if (code < 200) {
      if (upstreamLeg == UpstreamLeg.CANCEL_PENDING) out.add(new Action.ToUpstream(cancel()));
      upstreamLeg = UpstreamLeg.PROCEEDING;
      if (code > 100 && state() == CallState.WAITING_UPSTREAM) {
        // never forward a 100 (RFC 3261 16.7 step 5); other provisionals go to the switch
        switchSide.provisional(out, r.edit().popVia().toBytes());
      }
      return out;
    }
    if (clearIpStatus == 0) {
      clearIpStatus = code;
      clearIpRtt = OptionalLong.of(nowNanos - forwardedNanos);
    }
    if (code >= 300) out.add(new Action.ToUpstream(ack(r)));
    if (state() == CallState.WAITING_UPSTREAM && code >= 300 && code < 400
        && settings.inlineMode()) {
      List<ContactPlan.Target> targets = ContactPlan.penalizedLast(
          ContactPlan.of(r.contacts(), settings.inline().maxAttempts()), transports.health());
      if (!targets.isEmpty()) {
        out.add(new Action.CancelTimer(CallTimer.UPSTREAM_DEADLINE));
        search = new InlineSearch(invite, settings, switchSide, branch, localSentBy, transports,
            tokens, r, targets);
        switchSide.searching();
        return search.start(out);
      }
      // a 302 without a Contact we can use is relayed as in tls-proxy mode
    }
    if (state() == CallState.WAITING_UPSTREAM) {
      out.add(new Action.CancelTimer(CallTimer.UPSTREAM_DEADLINE));
      byte[] relayed = r.edit().popVia().toBytes();
      return switchSide.complete(out, relayed, code, CallOutcome.RELAYED, lingering());
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
    if (state() != CallState.WAITING_UPSTREAM) return out;
    out.add(new Action.CancelTimer(CallTimer.UPSTREAM_DEADLINE));
    return failOpen(out, "ClearIP connection lost", CallOutcome.FAIL_OPEN_UNAVAILABLE);
  }

  /**
   * ClearIP answered with something this proxy cannot use (beyond its parse limits): the switch
   * gets 503 at once, rather than after the upstream timeout.
   */
  public List<Action> onUpstreamUnusable(String reason) {
    List<Action> out = new ArrayList<>(4);
    if (state() != CallState.WAITING_UPSTREAM) return out;
    out.add(new Action.CancelTimer(CallTimer.UPSTREAM_DEADLINE));
    return failOpen(out, "ClearIP answer unusable", CallOutcome.FAIL_OPEN_UNAVAILABLE);
  }

  private List<Action> onUpstreamDeadline() {
    List<Action> out = new ArrayList<>(3);
    if (state() != CallState.WAITING_UPSTREAM) return out;
    out.add(new Action.UpstreamTimedOut(branch));
    if (upstreamLeg == UpstreamLeg.PROCEEDING) out.add(new Action.ToUpstream(cancel()));
    return failOpen(out, "ClearIP timeout", CallOutcome.FAIL_OPEN_TIMEOUT);
  }

  /** 503 to the switch, so it route-advances: the product's availability promise. */
  private List<Action> failOpen(List<Action> out, String why, CallOutcome o) {
    return switchSide.answer(out, 503, why, o, lingering());
  }

  private byte[] ack(SipResponse r) {
    return SipRequests.ackFor(invite, invite.requestUri(), ourVia, r);
  }

  private byte[] cancel() {
    return SipRequests.cancelFor(invite, invite.requestUri(), ourVia, null);
  }

  // ---- inline: the destinations' events, for the search ---------------------------------------

  /** Inline: the transport's verdict on a send to a destination. */
  public List<Action> onSendResult(int attempt, SendResult result) {
    return search == null ? List.of() : search.onSendResult(attempt, result);
  }

  /** Inline: a response from a destination, matched by the branch of one of our attempts. */
  public List<Action> onDestinationResponse(SipResponse r) {
    return search == null ? List.of() : search.onResponse(r);
  }

  /** A destination given up on or cancelled still owes its final: the call waits for it. */
  private boolean lingering() {
    return search != null && search.lingering();
  }

  // ---- checks --------------------------------------------------------------------------------

  private boolean isLoop() {
    String mine = "z9hG4bK" + settings.branchPrefix() + ".";
    if (invite.viaCount() < 1) return false;
    for (Via v : invite.vias()) {
      String b = v.branch();
      if (b != null && b.startsWith(mine)) return true;
    }
    return false;
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

  /**
   * The calling number: the user of the first P-Asserted-Identity (the caller as the switch's
   * network asserts it), or of From without one; as {@link #calledNumber}. Null when there is
   * none.
   */
  public static String callingNumber(SipRequest invite) {
    String pai = invite.header(HeaderName.P_ASSERTED_IDENTITY);
    if (pai != null) {
      NameAddr first = firstNameAddr(pai);
      String n = first == null ? null : number(first.uri());
      if (n != null) return n;
    }
    return invite.from() == null ? null : number(invite.from().uri());
  }

  /** The first of a header value's comma-separated name-addrs; null when unreadable. */
  private static NameAddr firstNameAddr(String value) {
    try {
      return NameAddr.parse(value);
    } catch (IllegalArgumentException several) {
      int close = value.indexOf('>');
      int comma = value.indexOf(',', Math.max(close, 0));
      if (comma < 0) return null;
      try {
        return NameAddr.parse(value.substring(0, comma).trim());
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
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
