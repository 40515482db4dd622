package clearip.proxy.actors.upstream;

import clearip.proxy.sip.message.SipRequests;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.streams.transport.ClientEngineFactory;
import clearip.proxy.streams.transport.ClientTransactions;
import clearip.proxy.streams.transport.Durations;
import clearip.proxy.streams.transport.Transport;
import clearip.proxy.streams.upstream.UpstreamChannel;
import clearip.proxy.streams.upstream.UpstreamLink;
import clearip.proxy.streams.upstream.UpstreamSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Keeps the connection(s) to ClearIP up and publishes them in an {@link UpstreamChannel}:
 * resolves every address of the host, connects with connect and handshake timeouts, moves to the
 * next address on failure, backs off (exponential, jittered, bounded) when all failed, sends
 * CRLF keep-alives and OPTIONS pings, recycles a wedged connection, and switches target at run
 * time by opening the new connection before draining the old.
 */
public final class UpstreamConnection extends AbstractBehavior<UpstreamConnection.Command> {

  /** How long a link must have been silent before timeouts count as a wedge. */
  static final Duration WEDGE_SILENCE = Duration.ofSeconds(2);

  public sealed interface Command {}

  /** Switch to another URI (address or transport); calls in flight on the old link finish. */
  public record Retarget(String uri) implements Command {}

  /** Replies with the current {@link Status}. */
  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /**
   * What operators see of the upstream (JMX, logs).
   *
   * @param failuresInRow connection attempts in a row, over all slots, that ended without a
   *     useful exchange (refused, failed handshake, closed before any answer); 0 when healthy
   */
  public record Status(String uri, String state, String connectedAddress, long connects,
      long reconnects, String lastError, int queueDepth, int inflight, long lastPingRttMicros,
      int failuresInRow) {}

  // facts from futures and timers, keyed by the slot and its attempt so stale ones are ignored
  private record Resolved(int slot, long attempt, List<InetAddress> addresses) implements Command {}

  private record ResolveFailed(int slot, long attempt, String reason) implements Command {}

  private record Established(int slot, long attempt, UpstreamLink link) implements Command {}

  private record ConnectFailed(int slot, long attempt, String reason) implements Command {}

  private record Terminated(int slot, long attempt, String reason) implements Command {}

  private record RetryTimer(int slot, long attempt) implements Command {}

  private record HandshakeTimer(int slot, long attempt) implements Command {}

  private record PingAnswered(int slot, long attempt, long rttNanos) implements Command {}

  private record PingTimer(int slot, long attempt) implements Command {}

  private enum KeepAliveTick implements Command { INSTANCE }

  private enum HealthTick implements Command { INSTANCE }

  private enum DrainTick implements Command { INSTANCE }

  /**
   * A link that answered, or lasted this long, was useful: when it ends, the same address is
   * tried again at once. Any other end counts as a failure and backs off.
   */
  static final Duration USEFUL_AFTER = Duration.ofSeconds(10);

  /** One connection slot of the current target. */
  private static final class Slot {
    final int index;
    long attempt;
    List<InetAddress> addresses = List.of();
    int addressIndex;
    int failuresInRow;
    UpstreamLink link; // set while connecting or up
    boolean up;
    long upSinceNanos;
    long pingSentNanos;

    Slot(int index) {
      this.index = index;
    }
  }

  /** A link replaced by a retarget, finishing its calls. */
  private record Draining(UpstreamLink link, long deadlineNanos) {}

  public static Behavior<Command> create(UpstreamSettings settings, ClientEngineFactory engines,
      UpstreamChannel channel) {
    Behavior<Command> b = Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new UpstreamConnection(ctx, timers, settings, engines, channel)));
    // a bug here must not leave calls without upstream: restart, links are closed on PreRestart
    return Behaviors.supervise(b).onFailure(Exception.class,
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
  }

  private final TimerScheduler<Command> timers;
  private final UpstreamChannel channel;
  private final ClientEngineFactory engines;
  private final Executor blocking;
  private UpstreamSettings settings;
  private Slot[] slots;
  private final List<Draining> draining = new ArrayList<>();
  private long attemptCounter;
  private long connects;
  private long reconnects;
  private String lastError = "";
  private long lastPingRttNanos = -1;
  private long pingSeq;

  private UpstreamConnection(ActorContext<Command> ctx, TimerScheduler<Command> timers,
      UpstreamSettings settings, ClientEngineFactory engines, UpstreamChannel channel) {
    super(ctx);
    this.timers = timers;
    this.settings = settings;
    this.engines = engines;
    this.channel = channel;
    // DNS resolution blocks: keep it off the actor dispatcher
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    this.slots = newSlots(settings.connections());
    for (Slot s : slots) resolve(s);
    if (!settings.keepAliveInterval().isZero()) {
      timers.startTimerWithFixedDelay(KeepAliveTick.INSTANCE, settings.keepAliveInterval());
    }
    timers.startTimerWithFixedDelay(HealthTick.INSTANCE, Duration.ofMillis(500));
    // the proxy's start-up line names ClearIP's URI
    ctx.getLog().debug("ClearIP upstream {} ({} connection(s))", settings.uri(),
        settings.connections());
  }

  private static Slot[] newSlots(int n) {
    Slot[] s = new Slot[n];
    for (int i = 0; i < n; i++) s[i] = new Slot(i);
    return s;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Resolved.class, this::onResolved)
        .onMessage(ResolveFailed.class, this::onResolveFailed)
        .onMessage(Established.class, this::onEstablished)
        .onMessage(ConnectFailed.class, this::onConnectFailed)
        .onMessage(Terminated.class, this::onTerminated)
        .onMessage(RetryTimer.class, this::onRetry)
        .onMessage(HandshakeTimer.class, this::onHandshakeTimer)
        .onMessage(PingAnswered.class, this::onPingAnswered)
        .onMessage(PingTimer.class, this::onPingTimer)
        .onMessage(KeepAliveTick.class, m -> onKeepAlive())
        .onMessage(HealthTick.class, m -> onHealth())
        .onMessage(DrainTick.class, m -> onDrainTick())
        .onMessage(Retarget.class, this::onRetarget)
        .onMessage(GetStatus.class, this::onGetStatus)
        .onSignal(PostStop.class, s -> closeAll())
        .onSignal(PreRestart.class, s -> closeAll())
        .build();
  }

  private Slot current(int slot, long attempt) {
    if (slot >= slots.length) return null;
    Slot s = slots[slot];
    return s.attempt == attempt ? s : null;
  }

  // ---- connecting ----

  private void resolve(Slot s) {
    long attempt = s.attempt = ++attemptCounter;
    String host = settings.host();
    int slot = s.index;
    CompletableFuture.supplyAsync(() -> {
      try {
        return Arrays.asList(InetAddress.getAllByName(host));
      } catch (UnknownHostException e) {
        throw new IllegalStateException("cannot resolve " + host, e);
      }
    }, blocking).whenComplete((addrs, e) -> getContext().getSelf().tell(e == null
        ? new Resolved(slot, attempt, addrs)
        : new ResolveFailed(slot, attempt, "cannot resolve " + host)));
  }

  private Behavior<Command> onResolved(Resolved m) {
    Slot s = current(m.slot(), m.attempt());
    if (s == null) return this;
    // spread parallel connections over the addresses
    s.addresses = m.addresses();
    s.addressIndex = s.index % m.addresses().size();
    connect(s);
    return this;
  }

  private Behavior<Command> onResolveFailed(ResolveFailed m) {
    Slot s = current(m.slot(), m.attempt());
    if (s == null) return this;
    failed(s, m.reason());
    return this;
  }

  private void connect(Slot s) {
    long attempt = s.attempt = ++attemptCounter;
    InetSocketAddress address = new InetSocketAddress(s.addresses.get(s.addressIndex),
        settings.port());
    ClientEngineFactory tls = settings.transport() == Transport.TLS ? engines : null;
    UpstreamLink link = UpstreamLink.open(getContext().getSystem(), address, settings.host(), tls,
        settings.link(), channel.answers(), channel.clientTransactions());
    s.link = link;
    int slot = s.index;
    ActorRef<Command> self = getContext().getSelf();
    link.established().whenComplete((d, e) -> self.tell(e == null
        ? new Established(slot, attempt, link)
        : new ConnectFailed(slot, attempt, describe(e))));
    link.terminated().whenComplete((d, e) -> self.tell(
        new Terminated(slot, attempt, e == null ? "closed by peer" : describe(e))));
    timers.startSingleTimer(new HandshakeTimerKey(slot), new HandshakeTimer(slot, attempt),
        settings.link().handshakeTimeout());
    getContext().getLog().debug("connecting to ClearIP {} over {}", address,
        settings.transport());
  }

  private record HandshakeTimerKey(int slot) {}

  private record RetryTimerKey(int slot) {}

  private record PingTimerKey(int slot) {}

  private Behavior<Command> onHandshakeTimer(HandshakeTimer m) {
    Slot s = current(m.slot(), m.attempt());
    if (s == null || s.up || s.link == null) return this;
    s.link.abort("no " + (settings.transport() == Transport.TLS ? "TLS handshake" : "connection")
        + " within " + Durations.text(settings.link().handshakeTimeout()));
    return this;
  }

  private Behavior<Command> onEstablished(Established m) {
    Slot s = current(m.slot(), m.attempt());
    if (s == null) {
      m.link().close();
      return this;
    }
    timers.cancel(new HandshakeTimerKey(s.index));
    s.up = true;
    s.upSinceNanos = System.nanoTime();
    // the back-off is reset only by a link that proves useful (see onTerminated): a ClearIP that
    // completes the handshake and closes at once must not be reconnected to in a tight loop
    connects++;
    getContext().getLog().info("connected to ClearIP {} over {} (local {})",
        m.link().address(), settings.transport(), m.link().localAddress());
    publish();
    if (!settings.pingInterval().isZero()) {
      // the first ping at once: it proves the new connection end to end (an RTT before the
      // first call), and a ClearIP that closes connections silent after their handshake does
      // not cut this one while it waits for its first call
      getContext().getSelf().tell(new PingTimer(s.index, s.attempt));
    }
    return this;
  }

  private Behavior<Command> onConnectFailed(ConnectFailed m) {
    Slot s = current(m.slot(), m.attempt());
    if (s == null) return this;
    timers.cancel(new HandshakeTimerKey(s.index));
    failed(s, m.reason());
    return this;
  }

  private Behavior<Command> onTerminated(Terminated m) {
    Slot s = current(m.slot(), m.attempt());
    if (s == null) return this;
    boolean useful = s.up && (s.link.answered()
        || System.nanoTime() - s.upSinceNanos >= USEFUL_AFTER.toNanos());
    if (useful) {
      reconnects++;
      getContext().getLog().warn("connection to ClearIP {} lost: {}; reconnecting",
          s.link.address(), m.reason());
      s.up = false;
      s.link = null;
      s.failuresInRow = 0;
      publish();
      lastError = m.reason();
      // the link was good: try the same address again at once, back off only if that fails
      connect(s);
    } else {
      if (s.up) reconnects++;
      failed(s, s.up ? "connection ended before any answer (" + m.reason() + ")" : m.reason());
    }
    return this;
  }

  /** A connection attempt failed: next address at once, or back off when all were tried. */
  private void failed(Slot s, String reason) {
    lastError = reason;
    if (s.link != null) {
      s.link.abort(reason);
      s.link = null;
    }
    s.up = false;
    publish();
    s.failuresInRow++;
    String where = s.addresses.isEmpty() ? settings.host()
        : s.addresses.get(s.addressIndex).getHostAddress() + ":" + settings.port();
    if (!s.addresses.isEmpty() && s.failuresInRow % s.addresses.size() != 0) {
      s.addressIndex = (s.addressIndex + 1) % s.addresses.size();
      getContext().getLog().warn("ClearIP {} unreachable ({}); trying the next address", where,
          reason);
      connect(s);
      return;
    }
    Duration delay = backoff(s.failuresInRow / Math.max(1, s.addresses.size()));
    getContext().getLog().warn("ClearIP {} unreachable ({}); retrying in {}", where, reason,
        Durations.text(delay.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)));
    long attempt = s.attempt = ++attemptCounter;
    timers.startSingleTimer(new RetryTimerKey(s.index), new RetryTimer(s.index, attempt), delay);
  }

  private Duration backoff(int rounds) {
    double base = settings.backoffMin().toMillis() * Math.pow(2, Math.min(20, rounds - 1));
    double capped = Math.min(base, settings.backoffMax().toMillis());
    double jitter = 1 + settings.backoffJitter() * ThreadLocalRandom.current().nextDouble();
    return Duration.ofMillis((long) (capped * jitter));
  }

  private Behavior<Command> onRetry(RetryTimer m) {
    Slot s = current(m.slot(), m.attempt());
    if (s == null) return this;
    resolve(s);
    return this;
  }

  private void publish() {
    List<UpstreamLink> up = new ArrayList<>(slots.length);
    for (Slot s : slots) {
      if (s.up && s.link != null) up.add(s.link);
    }
    if (up.isEmpty() && !draining.isEmpty() && anyConnecting()) {
      // retarget in progress: old links keep taking calls until a new one is up
      return;
    }
    channel.setActive(up);
    if (!up.isEmpty()) startDraining();
  }

  private boolean anyConnecting() {
    for (Slot s : slots) {
      if (!s.up) return true;
    }
    return false;
  }

  // ---- health ----

  private Behavior<Command> onKeepAlive() {
    for (Slot s : slots) {
      if (s.up) s.link.keepAlive();
    }
    return this;
  }

  private Behavior<Command> onHealth() {
    int max = settings.maxConsecutiveTimeouts();
    if (max <= 0) return this;
    // wedged = calls time out in a row AND nothing at all came back for a while; timeouts alone
    // also happen when this proxy itself is overloaded, and recycling would make that worse
    long silence = Math.max(settings.pingTimeout().toNanos(), WEDGE_SILENCE.toNanos());
    for (Slot s : slots) {
      if (s.up && s.link.consecutiveTimeouts() >= max
          && s.link.nanosSinceLastResponse() > silence) {
        getContext().getLog().warn("ClearIP {}: {} calls in a row got no answer; recycling the "
            + "connection", s.link.address(), s.link.consecutiveTimeouts());
        s.link.abort("connection stopped answering");
      }
    }
    return this;
  }

  private Behavior<Command> onPingTimer(PingTimer m) {
    Slot s = current(m.slot(), m.attempt());
    if (s == null || !s.up) return this;
    if (s.pingSentNanos != 0) {
      getContext().getLog().warn("ClearIP {}: OPTIONS ping unanswered for {} ms; recycling the "
          + "connection", s.link.address(), settings.pingTimeout().toMillis());
      s.pingSentNanos = 0;
      s.link.abort("OPTIONS ping unanswered");
      return this;
    }
    String branch = "z9hG4bKping" + Long.toHexString(++pingSeq) + "x" + s.index;
    String sentBy = s.link.viaSentBy();
    String via = "SIP/2.0/" + settings.transport().viaToken() + " " + sentBy + ";branch=" + branch;
    byte[] options = SipRequests.options(settings.uri(), via, "sip:ping@" + sentBy,
        Long.toHexString(pingSeq), "ping-" + branch, pingSeq);
    long sent = System.nanoTime();
    s.pingSentNanos = sent;
    int slot = s.index;
    long attempt = s.attempt;
    ActorRef<Command> self = getContext().getSelf();
    s.link.send(branch, options, new ClientTransactions.Callback() {
      @Override
      public void onResponse(SipResponse response) {
        if (response.isFinal()) self.tell(new PingAnswered(slot, attempt, System.nanoTime() - sent));
      }

      @Override
      public void onUnavailable(String reason) {
        // the link's end reaches this actor as Terminated
      }
    });
    timers.startSingleTimer(new PingTimerKey(slot), new PingTimer(slot, attempt),
        settings.pingTimeout());
    return this;
  }

  private Behavior<Command> onPingAnswered(PingAnswered m) {
    Slot s = current(m.slot(), m.attempt());
    if (s == null || !s.up) return this;
    s.pingSentNanos = 0;
    lastPingRttNanos = m.rttNanos();
    timers.startSingleTimer(new PingTimerKey(s.index), new PingTimer(s.index, s.attempt),
        settings.pingInterval());
    return this;
  }

  // ---- retarget and drain ----

  private Behavior<Command> onRetarget(Retarget m) {
    UpstreamSettings next;
    try {
      next = settings.withTarget(m.uri());
    } catch (IllegalArgumentException e) {
      getContext().getLog().warn("ignoring upstream change: {}", e.getMessage());
      return this;
    }
    getContext().getLog().info("switching ClearIP upstream from {} to {}", settings.uri(),
        next.uri());
    for (Slot s : slots) {
      timers.cancel(new HandshakeTimerKey(s.index));
      timers.cancel(new RetryTimerKey(s.index));
      timers.cancel(new PingTimerKey(s.index));
      if (s.up) {
        draining.add(new Draining(s.link,
            System.nanoTime() + settings.drainTimeout().toNanos()));
      } else if (s.link != null) {
        s.link.abort("upstream retargeted");
      }
      s.attempt = -1;
    }
    settings = next;
    slots = newSlots(next.connections());
    for (Slot s : slots) resolve(s);
    timers.startTimerWithFixedDelay(DrainTick.INSTANCE, Duration.ofMillis(100));
    return this;
  }

  /** A new link is up: old links stop taking calls and close once idle. */
  private void startDraining() {
    for (Draining d : draining) {
      if (d.link().inflight() == 0) d.link().close();
    }
    draining.removeIf(d -> d.link().inflight() == 0);
  }

  private Behavior<Command> onDrainTick() {
    if (!channel.active().isEmpty() && channel.active().stream().noneMatch(
        l -> draining.stream().anyMatch(d -> d.link() == l))) {
      long now = System.nanoTime();
      draining.removeIf(d -> {
        if (d.link().inflight() == 0) {
          d.link().close();
          return true;
        }
        if (now - d.deadlineNanos() > 0) {
          d.link().abort("drain deadline passed");
          return true;
        }
        return false;
      });
    }
    if (draining.isEmpty()) timers.cancel(DrainTick.INSTANCE);
    return this;
  }

  private Behavior<Command> onGetStatus(GetStatus m) {
    UpstreamLink first = null;
    int up = 0;
    int inflight = 0;
    int failures = 0;
    for (Slot s : slots) {
      failures += s.failuresInRow;
      if (s.up) {
        up++;
        inflight += s.link.inflight();
        if (first == null) first = s.link;
      }
    }
    String state = up == slots.length ? "CONNECTED" : up > 0 ? "DEGRADED" : "CONNECTING";
    m.replyTo().tell(new Status(settings.uri(), state,
        first == null ? "" : first.address().toString(), connects, reconnects, lastError,
        channel.queueDepth(), inflight, lastPingRttNanos < 0 ? -1 : lastPingRttNanos / 1000,
        failures));
    return this;
  }

  private Behavior<Command> closeAll() {
    channel.setActive(List.of());
    for (Slot s : slots) {
      if (s.link != null) s.link.abort("upstream stopped");
    }
    for (Draining d : draining) d.link().abort("upstream stopped");
    return this;
  }

  private static String describe(Throwable e) {
    // a certificate problem is explained best by the outermost CertificateException
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof java.security.cert.CertificateException && t.getMessage() != null) {
        return t.getMessage();
      }
    }
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    String msg = c.getMessage();
    return msg == null ? c.getClass().getSimpleName() : msg;
  }
}
