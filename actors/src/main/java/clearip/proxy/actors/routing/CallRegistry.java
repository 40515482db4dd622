package clearip.proxy.actors.routing;

import clearip.proxy.actors.admission.LoadShedder;
import clearip.proxy.actors.admission.SourceAdmission;
import clearip.proxy.actors.call.Call;
import clearip.proxy.actors.call.CallMetrics;
import clearip.proxy.actors.call.txn.CallOutcome;
import clearip.proxy.sip.message.RequestChecks;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.message.SipResponses;
import clearip.proxy.streams.transport.ClientTransactions;
import clearip.proxy.streams.transport.InboundHandler;
import clearip.proxy.streams.transport.Origin;
import clearip.proxy.streams.transport.RateLimitedLog;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes every incoming request to the call that owns it, by server transaction (RFC 3261
 * 17.2.3: top Via branch and source), and starts a call for each new INVITE. Responses that the
 * listeners read go to the call through {@link ClientTransactions}, where ClearIP's answers find
 * theirs too; the rest are in-dialog ones, relayed statelessly. Not an actor: the map is read on
 * the transports' threads; only new calls go through one of a few spawner actors, so no single
 * mailbox carries all traffic.
 */
public final class CallRegistry implements InboundHandler {
  private static final Logger log = LoggerFactory.getLogger(CallRegistry.class);
  private static final String ALLOW = "INVITE, ACK, CANCEL, OPTIONS";
  private final RateLimitedLog notOurDialog = new RateLimitedLog(log, 10, TimeUnit.SECONDS);

  private final ConcurrentHashMap<String, ActorRef<Call.Command>> calls =
      new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Call.Context context;
  private final ClientTransactions clientTransactions;
  private final ActorRef<SpawnerCommand>[] spawners;
  private final DialogRouter dialogs;
  private final String attemptBranchPrefix;
  private final LoadShedder shedder;
  private final SourceAdmission admission;
  private volatile boolean draining;
  private volatile boolean warmingUp;

  /** What the spawner actors handle. */
  public sealed interface SpawnerCommand {}

  /**
   * Asks a spawner to start (or find) the call for this INVITE; {@code arrivedNanos} is when the
   * INVITE reached the registry, where the call's clock starts.
   */
  public record Spawn(SipRequest invite, Origin origin, String key, long arrivedNanos,
      byte[] trying) implements SpawnerCommand {
    public Spawn(SipRequest invite, Origin origin, String key, long arrivedNanos) {
      this(invite, origin, key, arrivedNanos, null);
    }
  }

  private record Ended(String key, ActorRef<Call.Command> call)
      implements SpawnerCommand {}

  /**
   * A CANCEL that found no call: its INVITE's call may still be waiting to be started (the 100
   * Trying goes out before), and the spawner that starts it sees the CANCEL after it.
   */
  private record CancelUnmatched(String key, SipRequest cancel, Origin origin)
      implements SpawnerCommand {}

  @SuppressWarnings("unchecked")
  private CallRegistry(ActorContext<?> parent, Call.Context context, int shards) {
    this.context = context;
    this.clientTransactions = context.clientTransactions();
    this.dialogs = new DialogRouter(context.destinations(), context.settings().branchPrefix(),
        context.dialogs());
    this.attemptBranchPrefix = "z9hG4bK" + context.settings().branchPrefix() + ".";
    this.shedder = new LoadShedder(() -> context.settings().maxDispatchDelay().toNanos(),
        parent.getSystem().executionContext());
    shedder.start(parent.getSystem().scheduler());
    this.admission = new SourceAdmission(context.clock(), shedder::admittedNow);
    this.spawners = new ActorRef[shards];
    for (int i = 0; i < shards; i++) {
      spawners[i] = parent.spawn(spawner(), "calls-" + i);
    }
  }

  /** Creates the registry and its spawner actors as children of {@code parent}. */
  public static CallRegistry create(ActorContext<?> parent, Call.Context context,
      int shards) {
    return new CallRegistry(parent, context, shards);
  }

  /** Calls currently in flight. */
  public int inFlight() {
    return inFlight.get();
  }

  /**
   * Calls in flight whose switch has no final yet: what a drain waits for. The others wait only
   * for the switch's ACK (or late answers to absorb). Never below the true count: a call counts
   * as answered until its actor stops, and in flight until the registry hears of it after that.
   */
  public int awaitingAnswer() {
    return Math.max(0, inFlight.get() - context.answered().get());
  }

  /** Decides when new calls are refused because the proxy is behind. */
  public LoadShedder shedder() {
    return shedder;
  }

  /** From now on, new INVITEs are answered 503 at once (graceful drain); calls in flight go on. */
  public void drain() {
    draining = true;
  }

  public boolean isDraining() {
    return draining;
  }

  /**
   * Until {@link #serve}: the proxy is compiling its hot code (warm-up), so new INVITEs get 503
   * at once, OPTIONS 503 (a switch that pings its routes keeps its calls on the other proxies),
   * and overload control measures nothing (the load is the warm-up's, not calls').
   */
  public void holdForWarmUp() {
    shedder.pause();
    warmingUp = true;
  }

  /** Takes calls from now on (the warm-up is over); overload control starts afresh. */
  public void serve() {
    shedder.resume();
    warmingUp = false;
  }

  public boolean isWarmingUp() {
    return warmingUp;
  }

  /**
   * Ends every call still in flight (the drain deadline passed): each switch without a final
   * gets 503 {@code reason}, each destination still trying its CANCEL.
   */
  public int stopAll(String reason) {
    int n = 0;
    for (ActorRef<Call.Command> call : calls.values()) {
      call.tell(new Call.Stop(reason));
      n++;
    }
    return n;
  }

  private Behavior<SpawnerCommand> spawner() {
    return Behaviors.setup(ctx -> Behaviors.receive(SpawnerCommand.class)
        .onMessage(Spawn.class, m -> {
          ActorRef<Call.Command> existing = calls.get(m.key());
          if (existing != null) {
            existing.tell(Call.Retransmitted.INSTANCE);
            return Behaviors.same();
          }
          ActorRef<Call.Command> call =
              ctx.spawnAnonymous(Call.create(m.invite(), m.origin(), m.key(), context,
                  m.arrivedNanos(), m.trying()));
          calls.put(m.key(), call);
          inFlight.incrementAndGet();
          call.tell(Call.Start.INSTANCE); // only now may it answer anything
          // removal is done here, after the put, whenever the call ends
          ctx.watchWith(call, new Ended(m.key(), call));
          return Behaviors.same();
        })
        .onMessage(CancelUnmatched.class, m -> {
          ActorRef<Call.Command> call = calls.get(m.key());
          if (call != null) {
            call.tell(new Call.CancelReceived(m.cancel(), m.origin()));
          } else {
            respond(m.cancel(), m.origin(), 481, null);
          }
          return Behaviors.same();
        })
        .onMessage(Ended.class, m -> {
          if (calls.remove(m.key(), m.call())) inFlight.decrementAndGet();
          return Behaviors.same();
        })
        .build());
  }

  // ---- InboundHandler ----------------------------------------------------------------------

  private boolean recordRoutes() {
    var inline = context.settings().inline();
    return inline != null && inline.recordRoute();
  }

  @Override
  public void onRequest(SipRequest request, Origin origin) {
    if (recordRoutes() && request.toTag() != null && !request.isCancel()
        && dialogs.routedToUs(request)) {
      if (!dialogs.screened(request)) {
        // no dialog of ours: relaying it would make this an open relay, and an INVITE made up
        // with a To tag would reach a destination unscreened
        notOurDialog.warn("Refused an in-dialog " + request.method() + " from " + origin.remote()
            + " over " + origin.transport() + ": not a dialog this proxy screened (Call-ID "
            + request.callId() + ")", origin.remote().getAddress());
        if (!request.isAck()) respond(request, origin, 403, "not a dialog of this proxy");
        return;
      }
      // in a dialog we Record-Routed: forward statelessly (ACK for 2xx, BYE, re-INVITE, ...)
      if (!dialogs.forwardRequest(request) && !request.isAck()) {
        respond(request, origin, 483, "cannot route in-dialog request");
      }
      return;
    }
    if (request.toTag() != null && !request.isAck() && !request.isCancel()
        && !request.methodIs("OPTIONS")) {
      // in a dialog this proxy is not part of (a re-INVITE is never screened as a new call)
      respond(request, origin, 481, null);
      return;
    }
    if (request.isInvite()) {
      onInvite(request, origin);
    } else if (request.isAck()) {
      ActorRef<Call.Command> call = calls.get(key(request, origin));
      // an ACK for our non-2xx final is absorbed by its call; any other ACK has nowhere to go
      if (call != null) call.tell(Call.AckReceived.INSTANCE);
    } else if (request.isCancel()) {
      String key = key(request, origin);
      ActorRef<Call.Command> call = calls.get(key);
      if (call != null) {
        call.tell(new Call.CancelReceived(request, origin));
      } else {
        spawnerOf(key).tell(new CancelUnmatched(key, request, origin));
      }
    } else if (request.methodIs("OPTIONS")) {
      onOptions(request, origin);
    } else {
      // RFC 3261 8.2.1: 405 for a method we know but do not serve, 501 for one we do not know
      respond(request, origin, RequestChecks.isKnownMethod(request.method()) ? 405 : 501, null);
    }
  }

  /** OPTIONS is answered here, as by its final recipient: a switch's health ping. */
  private void onOptions(SipRequest request, Origin origin) {
    RequestChecks.Rejection rej = RequestChecks.checkAsRecipient(request, Set.of());
    if (rej != null) {
      List<SipResponses.Header> extra = rej.headerName() == null ? List.of()
          : List.of(new SipResponses.Header(rej.headerName(), rej.headerValue()));
      origin.reply(SipResponses.create(request, rej.status(), rej.reasonPhrase(),
          toTag(request, origin), extra));
      return;
    }
    String why = unavailable();
    respond(request, origin, why != null ? 503 : 200, why);
  }

  /** Why OPTIONS to the proxy get 503 now, null when they get 200. */
  private String unavailable() {
    // warming up: always, whatever options-503-when-upstream-down says (its INVITEs get 503)
    if (warmingUp) return "warming up";
    if (!context.settings().optionsUnavailableWhenDown()) return null;
    if (draining) return "draining";
    return context.upstream().isUp() ? null : "ClearIP unreachable";
  }

  private void onInvite(SipRequest invite, Origin origin) {
    String key = key(invite, origin);
    ActorRef<Call.Command> call = calls.get(key);
    if (call != null) {
      call.tell(Call.Retransmitted.INSTANCE);
      return;
    }
    long arrived = context.now();
    if (draining) {
      failOpen(invite, origin, "proxy draining", CallMetrics.Refusal.DRAINING, arrived);
      return;
    }
    if (warmingUp) {
      // as when draining: the switch route-advances at once, and Retry-After keeps it away for
      // a while; these calls would otherwise run on code the JIT has not compiled yet
      failOpen(invite, origin, "proxy warming up", CallMetrics.Refusal.WARMING_UP, arrived);
      return;
    }
    if (inFlight.get() >= context.settings().maxCallsInFlight()) {
      failOpen(invite, origin, "proxy overloaded", CallMetrics.Refusal.CALLS_IN_FLIGHT, arrived);
      return;
    }
    if (!admission.withinFairShare(sourceOf(origin)) && shedder.shouldShed()) {
      shedder.shedOne();
      failOpen(invite, origin, "proxy overloaded", CallMetrics.Refusal.OVERLOAD, arrived);
      return;
    }
    // over UDP the 100 Trying goes now, from the reading thread: the switch stops retransmitting
    // at once, even while the call waits for a thread (retransmissions of calls queued behind
    // an overload would otherwise double the load)
    byte[] trying = null;
    if (!origin.transport().isStream()) {
      trying = SipResponses.create(invite, 100, "Trying", null, List.of());
      origin.reply(trying);
    }
    spawnerOf(key).tell(new Spawn(invite, origin, key, arrived, trying));
  }

  /** The spawner of the calls with this key: one for all of a key's messages, in order. */
  private ActorRef<SpawnerCommand> spawnerOf(String key) {
    return spawners[(key.hashCode() & 0x7fffffff) % spawners.length];
  }

  /** Who a call comes from, for fairness: an address over UDP, a connection over TCP/TLS. */
  private static Object sourceOf(Origin origin) {
    return origin.transport().isStream() ? origin : origin.remote().getAddress();
  }

  /** Refuses a new INVITE at once: 503, with Retry-After when configured. */
  private void failOpen(SipRequest invite, Origin origin, String why,
      CallMetrics.Refusal reason, long arrived) {
    CallOutcome outcome = CallOutcome.FAIL_OPEN_OVERLOAD;
    context.metrics().callStarted();
    context.metrics().refused(reason);
    // never on ClearIP's own 503 ("no action"): only this proxy's load asks the switch to wait
    long retryAfter = context.settings().overloadRetryAfter().toSeconds();
    List<SipResponses.Header> extra = List.of(new SipResponses.Header("Reason",
        "SIP;cause=503;text=\"" + why + "\""));
    if (retryAfter > 0) {
      extra = List.of(extra.get(0), new SipResponses.Header("Retry-After",
          Long.toString(retryAfter)));
    }
    byte[] refusal503 = SipResponses.create(invite, 503, SipResponses.reasonPhrase(503),
        toTag(invite, origin), extra);
    long answered = context.now() - arrived;
    context.metrics().finalSent(outcome, 503, answered);
    origin.reply(refusal503);
    context.metrics().callEnded(outcome, 503, 0, -1, answered);
  }

  @Override
  public void onResponse(SipResponse response, Origin origin) {
    // ClearIP's responses come on the upstream connection; these are from inline destinations,
    // found in the same table, on the listeners' return path
    String branch = response.topViaBranch();
    if (clientTransactions.route(branch, response, clientTransactions.listeners())) return;
    if (recordRoutes() && dialogs.isOurs(response)) {
      dialogs.forwardResponse(response);
      return;
    }
    if (response.isSuccess() && branch != null && branch.startsWith(attemptBranchPrefix)) {
      // a 2xx retransmission for an inline call already answered: relayed statelessly (RFC
      // 6026), so finished calls need not stay in memory for it
      dialogs.forwardResponse(response);
      return;
    }
    log.debug("dropping response {} from {} {}: no client transaction", response.statusCode(),
        origin.transport(), origin.remote());
  }

  private void respond(SipRequest request, Origin origin, int status, String why) {
    List<SipResponses.Header> extra = status == 405 || status == 501
        ? List.of(new SipResponses.Header("Allow", ALLOW))
        : why == null ? List.of()
        : List.of(new SipResponses.Header("Reason",
            "SIP;cause=" + status + ";text=\"" + why + "\""));
    origin.reply(SipResponses.create(request, status, SipResponses.reasonPhrase(status),
        toTag(request, origin), extra));
  }

  private static String toTag(SipRequest request, Origin origin) {
    return "cip" + Integer.toHexString(key(request, origin).hashCode());
  }

  /**
   * The server transaction key: the top Via branch (RFC 3261 magic cookie) plus the source
   * address, or for RFC 2543 clients the Call-ID, CSeq number and From tag plus the source.
   */
  static String key(SipRequest r, Origin origin) {
    String source = origin.remote().getAddress().getHostAddress();
    String branch = r.topViaBranch();
    if (branch != null && branch.startsWith("z9hG4bK") && branch.length() > 7) {
      return branch + "|" + source;
    }
    return "2543|" + r.callId() + "|" + r.cseqNumber() + "|" + r.fromTag() + "|" + source;
  }
}
