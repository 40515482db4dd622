package clearip.proxy.actors.call;

import clearip.proxy.actors.call.txn.CallOutcome;
import clearip.proxy.actors.call.txn.CallSettings;
import clearip.proxy.actors.call.txn.DialogTokens;
import clearip.proxy.actors.call.txn.Action;
import clearip.proxy.actors.call.txn.RelayTransaction;
import clearip.proxy.actors.call.txn.TransportMemory;
import clearip.proxy.actors.call.txn.TxnTimer;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.streams.transport.ClientTransactions;
import clearip.proxy.streams.transport.Offer;
import clearip.proxy.streams.transport.Origin;
import clearip.proxy.streams.transport.SendResult;
import clearip.proxy.streams.upstream.UpstreamChannel;
import clearip.proxy.streams.upstream.UpstreamLink;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ExtensibleBehavior;
import org.apache.pekko.actor.typed.MessageAdaptionFailure;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The actor of one call: one INVITE server transaction (towards the switch) and its client
 * transactions (to ClearIP, and in in-line mode to each destination tried). It performs what
 * {@link RelayTransaction} decides (and, in in-line mode, the search it hands ClearIP's 302 to) —
 * sends to the switch, to ClearIP and to the destinations, runs the keyed timers — and stops when
 * the server transaction is over. A SIP session outlives it: in-dialog requests never reach it.
 *
 * <p>Every call is a new actor, so this dispatches with a plain type test instead of extending
 * {@code AbstractBehavior}, whose receive table would be built again for every call.
 */
public final class Call extends ExtensibleBehavior<Call.Command> {
  private static final Logger summary = LoggerFactory.getLogger("clearip.proxy.calls");
  private static final AtomicLong BRANCHES = new AtomicLong(
      ThreadLocalRandom.current().nextLong() & 0xffff_ffffL);

  public sealed interface Command {}

  /**
   * Begins the call. Sent by whoever registered the call, after registering it, so that nothing
   * the call sends (100 Trying first) can be answered before the call can be found.
   */
  public enum Start implements Command { INSTANCE }

  /** The switch retransmitted the INVITE. */
  public enum Retransmitted implements Command { INSTANCE }

  /** The switch's ACK for our final. */
  public enum AckReceived implements Command { INSTANCE }

  public record CancelReceived(SipRequest cancel, Origin origin) implements Command {}

  /**
   * The proxy is stopping before this call is over: answer the switch 503 if it has no final,
   * CANCEL the destinations still trying, and stop.
   */
  public record Stop(String reason) implements Command {}

  private record UpstreamResponse(SipResponse response) implements Command {}

  private record UpstreamUnavailable(String reason) implements Command {}

  private record UpstreamUnusable(String reason) implements Command {}

  private record TimerFired(TxnTimer timer) implements Command {}

  /** Inline: a response from a destination, routed here by the branch of one of our attempts. */
  private record DestinationResponse(SipResponse response) implements Command {}

  private record SendOutcome(int attempt, SendResult result) implements Command {}

  /**
   * Everything a call needs that outlives it. The settings can be replaced at run time
   * (configuration reload); each call reads them once, when it starts.
   *
   * @param clock the monotonic time in nanoseconds that calls are timed with ({@link
   *     System#nanoTime} but in tests)
   * @param transports inline: the destinations that lately did not take TCP
   * @param dialogs inline: marks the dialogs this proxy screened (Record-Route)
   * @param callLog whether each call's outcome is logged ({@code clearip.proxy.calls}); off for
   *     the calls the proxy makes to itself while it warms up
   * @param answered how many calls still running have sent the switch their final (and wait
   *     only for its ACK, or for late answers to absorb): a drain need not wait for them
   */
  public record Context(java.util.concurrent.atomic.AtomicReference<CallSettings> current,
      UpstreamChannel upstream, CallMetrics metrics, Destinations destinations,
      LongSupplier clock, TransportMemory transports, DialogTokens dialogs, boolean callLog,
      AtomicInteger answered) {
    public Context(CallSettings settings, UpstreamChannel upstream, CallMetrics metrics,
        Destinations destinations, DialogTokens dialogs) {
      this(new java.util.concurrent.atomic.AtomicReference<>(settings), upstream, metrics,
          destinations, System::nanoTime, new TransportMemory(System::nanoTime), dialogs, true,
          new AtomicInteger());
    }

    /** The same context, its calls not logged one line each. */
    public Context withoutCallLog() {
      return new Context(current, upstream, metrics, destinations, clock, transports, dialogs,
          false, answered);
    }

    public Context(CallSettings settings, UpstreamChannel upstream, CallMetrics metrics,
        Destinations destinations) {
      this(settings, upstream, metrics, destinations, DialogTokens.random());
    }

    public Context(CallSettings settings, UpstreamChannel upstream, CallMetrics metrics) {
      this(settings, upstream, metrics, Destinations.NONE);
    }

    /** The same context timed by another clock. */
    public Context withClock(LongSupplier clock) {
      return new Context(current, upstream, metrics, destinations, clock,
          new TransportMemory(clock), dialogs, callLog, answered);
    }

    /** Now, by this context's clock. */
    public long now() {
      return clock.getAsLong();
    }

    /** The settings in force now. */
    public CallSettings settings() {
      return current.get();
    }

    /** Replaces the settings for calls that start from now on. */
    public void updateSettings(CallSettings settings) {
      current.set(java.util.Objects.requireNonNull(settings));
    }

    /**
     * Where the calls' requests wait for their answers, by branch: the upstream links' table,
     * so that ClearIP's answers and destinations' find their call the same way.
     */
    public ClientTransactions clientTransactions() {
      return upstream.clientTransactions();
    }
  }

  public static Behavior<Command> create(SipRequest invite, Origin origin, String key,
      Context context) {
    return create(invite, origin, key, context, context.now());
  }

  /** As above; {@code arrivedNanos} is when the INVITE arrived, the start of the call's clock. */
  public static Behavior<Command> create(SipRequest invite, Origin origin, String key,
      Context context, long arrivedNanos) {
    return create(invite, origin, key, context, arrivedNanos, null);
  }

  /** As above; {@code trying}: the 100 Trying that already went to the switch, or null. */
  public static Behavior<Command> create(SipRequest invite, Origin origin, String key,
      Context context, long arrivedNanos, byte[] trying) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      Call c = new Call(ctx, timers, invite, origin, key, context, arrivedNanos);
      if (trying != null) c.txn.tryingAlreadySent(trying);
      return c;
    }));
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final SipRequest invite;
  private final Origin origin;
  private final String key;
  private final Context context;
  private final RelayTransaction txn;
  /** Inline: the branches of our attempts, registered for the destinations' answers. */
  private final java.util.List<String> registered = new java.util.ArrayList<>(0);
  private ClientTransactions.Callback fromDestinations; // made at the first attempt
  private UpstreamLink link;
  private String upstreamVia;
  private boolean cleanedUp;
  /** When the first final answer left for the switch, once {@link #answered}. */
  private long answeredNanos;
  private boolean answered;

  private Call(ActorContext<Command> ctx, TimerScheduler<Command> timers,
      SipRequest invite, Origin origin, String key, Context context, long arrivedNanos) {
    this.ctx = ctx;
    this.timers = timers;
    this.invite = invite;
    this.origin = origin;
    this.key = key;
    this.context = context;
    CallSettings s = context.settings();
    String n = Long.toHexString(BRANCHES.incrementAndGet());
    String branch = "z9hG4bK" + s.branchPrefix() + "." + n;
    this.txn = new RelayTransaction(invite, s, origin.transport().isStream(), branch,
        s.branchPrefix() + n, arrivedNanos, context.destinations()::localSentBy,
        context.transports(), context.dialogs());
    context.metrics().callStarted();
    link = context.upstream().pick(branch);
    if (link != null) {
      String sentBy = link.viaSentBy();
      if (sentBy != null) {
        upstreamVia = "SIP/2.0/" + (link.isTls() ? "TLS " : "TCP ") + sentBy + ";branch=" + branch;
      }
    }
  }

  private Behavior<Command> begin() {
    // now, not the arrival: ClearIP's round trip is timed from the forwarding
    return perform(txn.start(upstreamVia, context.now()));
  }

  @Override
  public Behavior<Command> receive(TypedActorContext<Command> unused, Command m) {
    if (m instanceof Start) {
      return begin();
    } else if (m instanceof UpstreamResponse r) {
      return onUpstreamResponse(r.response());
    } else if (m instanceof UpstreamUnavailable u) {
      return perform(txn.onUpstreamUnavailable(u.reason()));
    } else if (m instanceof UpstreamUnusable u) {
      return perform(txn.onUpstreamUnusable(u.reason()));
    } else if (m instanceof TimerFired t) {
      return perform(txn.onTimer(t.timer()));
    } else if (m instanceof DestinationResponse d) {
      return perform(txn.onDestinationResponse(d.response()));
    } else if (m instanceof SendOutcome o) {
      return perform(txn.onSendResult(o.attempt(), o.result()));
    } else if (m instanceof Retransmitted) {
      return perform(txn.onRetransmission());
    } else if (m instanceof AckReceived) {
      return perform(txn.onAck());
    } else if (m instanceof CancelReceived c) {
      return onCancel(c);
    } else if (m instanceof Stop st) {
      return perform(txn.onStop(st.reason()));
    }
    return Behaviors.unhandled();
  }

  @Override
  public Behavior<Command> receiveSignal(TypedActorContext<Command> unused, Signal signal) {
    if (signal instanceof PostStop) return onStop();
    // what a receive builder does: a failing message adapter fails the actor
    if (signal instanceof MessageAdaptionFailure f) throw Call.<RuntimeException>rethrow(
        f.exception());
    return Behaviors.unhandled();
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E rethrow(Throwable t) throws E {
    throw (E) t;
  }

  private Behavior<Command> onUpstreamResponse(SipResponse response) {
    boolean first = txn.clearIpStatus() == 0;
    List<Action> actions = txn.onUpstreamResponse(response, context.now());
    if (first && txn.clearIpStatus() != 0) {
      context.metrics().clearIpAnswered(txn.clearIpStatus(), txn.clearIpRttNanos().orElse(-1));
    }
    return perform(actions);
  }

  private Behavior<Command> onCancel(CancelReceived m) {
    RelayTransaction.CancelAnswer answer = txn.onCancel(m.cancel());
    m.origin().reply(answer.ok()); // back the way the CANCEL came, not the INVITE's
    return perform(answer.actions());
  }

  private Behavior<Command> perform(List<Action> actions) {
    boolean stop = false;
    for (Action a : actions) {
      if (a instanceof Action.ToSwitch t) {
        // timed before the send, so the switch can never see the final before it was timed
        if (!answered && txn.finalStatus() != 0) {
          answered = true;
          answeredNanos = context.now();
          context.answered().incrementAndGet();
          // counted as it leaves, not when the transaction ends (over UDP: at the ACK)
          context.metrics().finalSent(txn.outcome(), txn.finalStatus(),
              answeredNanos - txn.startNanos());
        }
        origin.reply(t.bytes());
      } else if (a instanceof Action.ForwardUpstream f) {
        Offer o = link.send(f.branch(), f.bytes(), upstreamCallback());
        if (o != Offer.ENQUEUED) {
          return perform(txn.onOffer(o)); // the rest of the batch is timers for the upstream wait
        }
      } else if (a instanceof Action.ToUpstream u) {
        if (link != null) link.sendWithoutCallback(u.bytes());
      } else if (a instanceof Action.UpstreamTimedOut t) {
        if (link != null) link.timedOut(t.branch());
      } else if (a instanceof Action.ToDestination d) {
        toDestination(d);
      } else if (a instanceof Action.StartTimer t) {
        timers.startSingleTimer(t.timer(), new TimerFired(t.timer()), t.after());
      } else if (a instanceof Action.CancelTimer t) {
        timers.cancel(t.timer());
      } else if (a instanceof Action.Terminate) {
        stop = true;
      }
    }
    if (stop) {
      onStop(); // explicitly: the first behaviour may already be "stopped"
      return Behaviors.stopped();
    }
    return this;
  }

  private void toDestination(Action.ToDestination d) {
    ActorRef<Command> self = ctx.getSelf();
    if (!registered.contains(d.branch())) {
      registered.add(d.branch());
      if (fromDestinations == null) fromDestinations = destinationCallback();
      ClientTransactions t = context.clientTransactions();
      t.register(d.branch(), t.listeners(), fromDestinations);
    }
    int attempt = d.attempt();
    context.destinations().send(d.destination(), d.bytes(),
        r -> self.tell(new SendOutcome(attempt, r)));
  }

  private ClientTransactions.Callback upstreamCallback() {
    ActorRef<Command> self = ctx.getSelf();
    return new ClientTransactions.Callback() {
      @Override
      public void onResponse(SipResponse response) {
        self.tell(new UpstreamResponse(response));
      }

      @Override
      public void onUnavailable(String reason) {
        self.tell(new UpstreamUnavailable(reason));
      }

      @Override
      public void onUnusable(String reason) {
        self.tell(new UpstreamUnusable(reason));
      }
    };
  }

  private ClientTransactions.Callback destinationCallback() {
    ActorRef<Command> self = ctx.getSelf();
    return new ClientTransactions.Callback() {
      @Override
      public void onResponse(SipResponse response) {
        self.tell(new DestinationResponse(response));
      }

      @Override
      public void onUnavailable(String reason) {
        // the listeners are never lost; a send that fails comes back as its SendOutcome
      }
    };
  }

  private Behavior<Command> onStop() {
    if (cleanedUp) return this;
    cleanedUp = true;
    if (answered) context.answered().decrementAndGet();
    if (link != null) link.forget(txn.branch());
    ClientTransactions t = context.clientTransactions();
    for (String b : registered) t.forget(b, t.listeners());
    long duration = context.now() - txn.startNanos();
    CallOutcome outcome = txn.outcome();
    if (outcome != null) {
      context.metrics().callEnded(outcome, txn.finalStatus(), txn.clearIpStatus(),
          txn.clearIpRttNanos().orElse(-1), answered ? answeredNanos - txn.startNanos() : -1);
    }
    if (context.callLog() && summary.isInfoEnabled()) {
      // the field set is documented in the README (Logs); "-" where there is no value
      summary.info("call {} from {} {}: {} calling={} called={} clearip={} rtt={} tried={} "
          + "final={} duration={}ms",
          invite.callId(), origin.transport(), origin.remote(), outcome,
          orDash(RelayTransaction.callingNumber(invite)),
          orDash(RelayTransaction.calledNumber(invite)),
          txn.clearIpStatus() == 0 ? "-" : txn.clearIpStatus(),
          txn.clearIpRttNanos().isEmpty() ? "-" // e.g. an emergency call: ClearIP never asked
              : String.format("%.1fms", txn.clearIpRttNanos().getAsLong() / 1e6),
          txn.attemptsMade() == 0 ? "-" : String.join(",", txn.attemptedDestinations()),
          txn.finalStatus(), String.format("%.1f", duration / 1e6));
    }
    return this;
  }

  private static String orDash(String value) {
    return value == null || value.isEmpty() ? "-" : value;
  }
}
