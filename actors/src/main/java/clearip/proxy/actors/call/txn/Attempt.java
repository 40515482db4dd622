package clearip.proxy.actors.call.txn;

import clearip.proxy.actors.call.txn.TxnTimer.AttemptTimer;
import clearip.proxy.actors.call.txn.TxnTimer.AttemptTimer.Kind;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipRequests;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.streams.transport.Transport;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One destination tried by the {@link InlineSearch}: a client transaction of its own (RFC 3261
 * 17.1.1) and where it stands. Every change of {@link State} goes through {@link #moveTo}, which
 * stops the timers of the state left, starts those of the state entered, and sends the CANCEL
 * on entering {@link State#CANCELLING}.
 */
final class Attempt {

  /** Where one attempt stands. */
  enum State {
    /**
     * TCP chosen by the size rule, not known to be connected: the same Contact is tried over UDP
     * if it does not connect in time.
     */
    CONNECTING,
    /** The INVITE is out, nothing heard yet: Timer A over UDP, the no-answer timer. */
    CALLING,
    /**
     * A 100 came: no more retransmissions, a CANCEL may go. A 100 is only a hop's receipt, so
     * the no-answer timer still runs.
     */
    TRYING,
    /** A 101-199 came: the call progresses there; the ring timer runs instead. */
    RINGING,
    /** Cancelled before any provisional: the CANCEL waits for one (RFC 3261 9.1). */
    CANCEL_PENDING,
    /** CANCEL sent: its 487 (or a 2xx) is still to come, to be ACKed or relayed. */
    CANCELLING,
    /** Given up in silence, so never CANCELled: a late final is still ACKed or relayed. */
    ABANDONED,
    /** Its final came, or nothing more can come from it. */
    DONE
  }

  /** The timers running in each state; Timer A only over UDP. */
  private static final Set<Kind> CONNECTING_TIMERS = timers(Kind.NO_ANSWER, Kind.TCP_CONNECT);
  private static final Set<Kind> CALLING_UDP_TIMERS = timers(Kind.TIMER_A, Kind.NO_ANSWER);
  private static final Set<Kind> NO_ANSWER_TIMER = timers(Kind.NO_ANSWER);
  private static final Set<Kind> RING_TIMER = timers(Kind.RING);
  private static final Set<Kind> NONE = Collections.emptySet();

  /** What an event on an attempt means for the search. */
  enum Verdict {
    /** Nothing for the search to do. */
    NONE,
    /** The attempt failed: the search moves on or ends. */
    FAILED,
    /** TCP did not connect: the same Contact is tried over UDP. */
    USE_UDP,
    /** An attempt the call was waiting on can no longer answer. */
    SETTLED
  }

  final int index;
  final ContactPlan.Target target;
  final Destination destination;
  final String branch;
  private final String via;
  private final byte[] bytes;
  private final SipRequest invite;
  private final CallSettings settings;
  private State state;
  private Duration timerA;

  /**
   * @param connectBound TCP chosen by the size rule: it starts {@link State#CONNECTING}
   */
  Attempt(int index, ContactPlan.Target target, Destination destination, String branch,
      String via, byte[] bytes, SipRequest invite, CallSettings settings, boolean connectBound) {
    this.index = index;
    this.target = target;
    this.destination = destination;
    this.branch = branch;
    this.via = via;
    this.bytes = bytes;
    this.invite = invite;
    this.settings = settings;
    this.state = connectBound ? State.CONNECTING : State.CALLING;
    this.timerA = settings.t1();
  }

  State state() {
    return state;
  }

  /** Still the search's concern: its failure moves the search on. */
  boolean isOpen() {
    return state == State.CONNECTING || state == State.CALLING || state == State.TRYING
        || state == State.RINGING;
  }

  /** Given up or cancelled, with its final still to come: the call waits for it. */
  boolean owesFinal() {
    return state == State.CANCEL_PENDING || state == State.CANCELLING
        || state == State.ABANDONED;
  }

  // ---- events --------------------------------------------------------------------------------

  /** Sends the INVITE for the first time and starts the timers of the first state. */
  void start(List<Action> out) {
    out.add(new Action.ToDestination(index, destination, branch, bytes));
    for (Kind k : timersOf(state)) out.add(new Action.StartTimer(key(k), duration(k)));
  }

  /** Timer A: the INVITE again over UDP, at twice the interval, until anything is heard. */
  void retransmit(List<Action> out) {
    if (state != State.CALLING || destination.transport() != Transport.UDP) return;
    out.add(new Action.ToDestination(index, destination, branch, bytes));
    timerA = timerA.multipliedBy(2);
    out.add(new Action.StartTimer(key(Kind.TIMER_A), timerA));
  }

  /** The transport handed the INVITE to the socket; true when that proves TCP connects. */
  boolean sent(List<Action> out) {
    if (state != State.CONNECTING) return false;
    moveTo(State.CALLING, out);
    return true;
  }

  /** A 1xx; true when it proves a TCP connection that had not been confirmed. */
  boolean provisional(List<Action> out, int code) {
    boolean connecting = state == State.CONNECTING;
    switch (state) {
      case CONNECTING, CALLING, TRYING -> moveTo(code > 100 ? State.RINGING : State.TRYING, out);
      case RINGING -> {} // a further 18x changes nothing here
      case CANCEL_PENDING -> moveTo(State.CANCELLING, out); // the CANCEL may go now
      default -> {} // cancelled, given up or done: its final decides
    }
    return connecting;
  }

  /** A final (any class); true when the attempt was still open. */
  boolean finalResponse(List<Action> out) {
    boolean wasOpen = isOpen();
    moveTo(State.DONE, out);
    return wasOpen;
  }

  /**
   * The search no longer wants this destination: CANCEL it once it has a provisional (RFC 3261
   * 9.1). One given up in silence, or done, is left alone.
   */
  void cancel(List<Action> out) {
    switch (state) {
      case CONNECTING, CALLING -> moveTo(State.CANCEL_PENDING, out);
      case TRYING, RINGING -> moveTo(State.CANCELLING, out);
      default -> {}
    }
  }

  /**
   * The no-answer timer: after a 100 a CANCEL may go; without one none may (RFC 3261 9.1), and
   * a late answer is still handled.
   */
  Verdict noAnswer(List<Action> out) {
    switch (state) {
      case CONNECTING, CALLING -> moveTo(State.ABANDONED, out);
      case TRYING -> moveTo(State.CANCELLING, out);
      default -> {
        return Verdict.NONE;
      }
    }
    return Verdict.FAILED;
  }

  /** The ring timer: it rang too long without a final. */
  Verdict ringTimeout(List<Action> out) {
    if (state != State.RINGING) return Verdict.NONE;
    moveTo(State.CANCELLING, out);
    return Verdict.FAILED;
  }

  /**
   * TCP did not connect in time. The connection may still come up and deliver the INVITE: it is
   * CANCELled if it rings, its 2xx is taken (never discarded), and the call waits for its end.
   */
  Verdict connectTimeout(List<Action> out) {
    if (state != State.CONNECTING) return Verdict.NONE;
    moveTo(State.CANCEL_PENDING, out);
    return Verdict.USE_UDP;
  }

  /**
   * The transport could not deliver the INVITE, or lost the connection soon after it (RFC 3261
   * 8.1.3.1: a transport error counts as a 503). Once anything was heard, it no longer matters.
   *
   * @param notConnected no connection could be made at all
   */
  Verdict sendFailed(List<Action> out, boolean notConnected) {
    switch (state) {
      case CONNECTING -> {
        moveTo(State.DONE, out);
        return notConnected ? Verdict.USE_UDP : Verdict.FAILED;
      }
      case CALLING -> {
        moveTo(State.DONE, out);
        return Verdict.FAILED;
      }
      case CANCEL_PENDING -> {
        // cancelled while its connection was pending or just lost: no answer can come from it
        moveTo(State.DONE, out);
        return Verdict.SETTLED;
      }
      default -> {
        return Verdict.NONE;
      }
    }
  }

  byte[] ackFor(SipResponse r) {
    return SipRequests.ackFor(invite, target.requestUri(), via, r);
  }

  // ---- the one place where the state changes ------------------------------------------------

  private void moveTo(State next, List<Action> out) {
    Set<Kind> running = timersOf(state);
    Set<Kind> wanted = timersOf(next);
    for (Kind k : running) {
      if (!wanted.contains(k)) out.add(new Action.CancelTimer(key(k)));
    }
    for (Kind k : wanted) {
      if (!running.contains(k)) out.add(new Action.StartTimer(key(k), duration(k)));
    }
    if (next == State.CANCELLING) {
      out.add(new Action.ToDestination(index, destination, branch,
          SipRequests.cancelFor(invite, target.requestUri(), via, null)));
    }
    state = next;
  }

  private Set<Kind> timersOf(State s) {
    return switch (s) {
      case CONNECTING -> CONNECTING_TIMERS;
      case CALLING -> destination.transport() == Transport.UDP ? CALLING_UDP_TIMERS
          : NO_ANSWER_TIMER;
      case TRYING -> NO_ANSWER_TIMER;
      case RINGING -> RING_TIMER;
      case CANCEL_PENDING, CANCELLING, ABANDONED, DONE -> NONE;
    };
  }

  private Duration duration(Kind k) {
    InlineSettings inline = settings.inline();
    return switch (k) {
      case TIMER_A -> timerA;
      case NO_ANSWER -> inline.noAnswerTimeout();
      case RING -> inline.ringTimeout();
      case TCP_CONNECT -> inline.largeInvites().tcpConnectTimeout();
    };
  }

  private AttemptTimer key(Kind k) {
    return new AttemptTimer(k, index);
  }

  private static Set<Kind> timers(Kind first, Kind... rest) {
    return Collections.unmodifiableSet(EnumSet.of(first, rest));
  }

  @Override
  public String toString() {
    return "attempt " + index + " to " + destination + " " + state;
  }
}
