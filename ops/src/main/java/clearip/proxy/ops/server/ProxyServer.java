package clearip.proxy.ops.server;

import clearip.proxy.actors.call.Call;
import clearip.proxy.actors.call.CallMetrics;
import clearip.proxy.actors.call.SenderDestinations;
import clearip.proxy.actors.call.txn.CallSettings;
import clearip.proxy.actors.routing.CallRegistry;
import clearip.proxy.actors.upstream.UpstreamConnection;
import clearip.proxy.ops.admin.ManagedProxy;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.config.WarmUpSettings;
import clearip.proxy.ops.metrics.ProxyMetrics;
import clearip.proxy.ops.trace.TraceController;
import clearip.proxy.streams.tls.ClientEngines;
import clearip.proxy.streams.tls.ServerEngines;
import clearip.proxy.streams.tls.TlsMaterialException;
import clearip.proxy.streams.transport.AccessList;
import clearip.proxy.streams.transport.BoundAddresses;
import clearip.proxy.streams.transport.ClientTransactions;
import clearip.proxy.streams.transport.Durations;
import clearip.proxy.streams.transport.MessageTap;
import clearip.proxy.streams.transport.MessageTaps;
import clearip.proxy.streams.transport.TransportEndpoints;
import clearip.proxy.streams.transport.TransportMetrics;
import clearip.proxy.streams.upstream.UpstreamChannel;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running proxy: its actor system, the upstream connection to ClearIP, the call registry
 * and the listeners, started in that order (so the first call finds ClearIP connecting, not
 * absent) and stopped in reverse. What operators act on goes through {@link ManagedProxy}.
 */
public final class ProxyServer implements ManagedProxy {
  private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

  private final ActorSystem<Void> system;
  private final ProxyConfig config;
  private final UpstreamChannel upstream;
  private final ActorRef<UpstreamConnection.Command> upstreamActor;
  private final CallRegistry registry;
  private final TransportEndpoints endpoints;
  private final BoundAddresses bound;
  private final Call.Context callContext;
  private final TraceController traces;
  private final TlsMaterial tls;
  private final WarmUp warmUp;
  private final CompletableFuture<WarmUp.Result> warmedUp = new CompletableFuture<>();

  private ProxyServer(ActorSystem<Void> system, ProxyConfig config, UpstreamChannel upstream,
      ActorRef<UpstreamConnection.Command> upstreamActor, CallRegistry registry,
      TransportEndpoints endpoints, BoundAddresses bound, Call.Context callContext,
      TraceController traces, TlsMaterial tls, WarmUp warmUp) {
    this.system = system;
    this.config = config;
    this.upstream = upstream;
    this.upstreamActor = upstreamActor;
    this.registry = registry;
    this.endpoints = endpoints;
    this.bound = bound;
    this.callContext = callContext;
    this.traces = traces;
    this.tls = tls;
    this.warmUp = warmUp;
    if (warmUp == null) warmedUp.complete(null);
  }

  /** What the guardian creates inside the actor system. */
  private record Parts(UpstreamChannel upstream, ActorRef<UpstreamConnection.Command> actor,
      CallRegistry registry, SenderDestinations destinations, Call.Context context) {}

  /** The name of the warm-up's private copy's actor system (its log lines are told apart by it). */
  public static final String WARM_UP_SYSTEM = "clearip-proxy-warmup";

  /** Where switches' and destinations' TCP/TLS connection streams run: not on the call threads. */
  static final String CONNECTION_DISPATCHER = "clearip.connection-dispatcher";

  /** Pekko settings the proxy always runs with; other {@code pekko} keys may come from the file. */
  public static Config pekkoConfig(ProxyConfig config) {
    Config ours = ConfigFactory.parseString(String.join("\n",
        "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]",
        "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"",
        "pekko.loglevel = INFO",
        "pekko.log-dead-letters = 0",
        "pekko.log-dead-letters-during-shutdown = off",
        "pekko.coordinated-shutdown.exit-jvm = off",
        // the launcher stops the proxy from its own shutdown hook, in order (drain first)
        "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off",
        // as many threads as cores: more only add hand-offs (and CPU) per call
        "pekko.actor.default-dispatcher.fork-join-executor.parallelism-min = "
            + config.dispatcherThreads(),
        "pekko.actor.default-dispatcher.fork-join-executor.parallelism-max = "
            + config.dispatcherThreads(),
        // Pekko's TCP connection actors on the call threads too: every write to ClearIP and its
        // acknowledgement otherwise hops between two thread pools; they never block. 10 % less
        // CPU per call measured.
        "pekko.io.tcp.worker-dispatcher = pekko.actor.default-dispatcher",
        // The switches' and destinations' connection streams (accept, framing, TLS handshakes,
        // teardown) apart from the calls, on at most half the cores: 256 connections opened and
        // closed at once, or peers handshaking in a loop, made new calls wait 60-175 ms behind
        // them on the call threads (and the overload control refuse some); now calls keep
        // their threads and the churn shares the CPU (loadtest/rig/churn.sh).
        CONNECTION_DISPATCHER + " { type = Dispatcher, executor = fork-join-executor,"
            + " fork-join-executor { parallelism-min = 1, parallelism-max = "
            + Math.max(1, config.dispatcherThreads() / 2) + " }, throughput = 5 }"));
    // ours first: config.raw() already holds every reference default, which would otherwise win
    return ours.withFallback(config.raw()).withFallback(ConfigFactory.load());
  }

  /** Starts everything; completes when the listeners are bound, taking calls at once. */
  public static CompletionStage<ProxyServer> start(ProxyConfig config, CallMetrics metrics,
      TransportMetrics transportMetrics) {
    return start(config, metrics, transportMetrics, false);
  }

  /**
   * Starts everything; completes when the listeners are bound. With {@code warmUp} (and
   * {@code warmup.enabled}), the proxy then warms up ({@link WarmUp}) before it takes calls:
   * until {@link #warmedUp()} completes, new INVITEs and OPTIONS are answered 503 "warming up".
   */
  public static CompletionStage<ProxyServer> start(ProxyConfig config, CallMetrics metrics,
      TransportMetrics transportMetrics, boolean warmUp) {
    ClientEngines clientEngines;
    ServerEngines serverEngines;
    try {
      clientEngines = config.upstreamEngines();
      serverEngines = config.serverEngines();
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
    WarmUpSettings warm = warmUp ? config.warmUp() : WarmUpSettings.off();
    return launch(config, metrics, transportMetrics, clientEngines, serverEngines,
        "clearip-proxy", null, warm.enabled() ? new WarmUp(config, warm, MessageTap.NONE) : null);
  }

  /**
   * As {@link #start(ProxyConfig, CallMetrics, TransportMetrics, boolean)} with the warm-up on
   * (as {@code warmup} says), {@code observer} seeing every message the warm-up's copy and its
   * loopback peers send and receive (for tests: it makes the real proxy recompile its tap
   * points once it takes calls).
   */
  public static CompletionStage<ProxyServer> startWarmingUp(ProxyConfig config,
      CallMetrics metrics, TransportMetrics transportMetrics, MessageTap observer) {
    ClientEngines clientEngines;
    ServerEngines serverEngines;
    try {
      clientEngines = config.upstreamEngines();
      serverEngines = config.serverEngines();
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
    return launch(config, metrics, transportMetrics, clientEngines, serverEngines,
        "clearip-proxy", null, new WarmUp(config, config.warmUp(), observer));
  }

  /**
   * The warm-up's private copy: its own actor system, no call log, ClearIP reached with {@code
   * engines}, every message shown to {@code tap} from the start.
   */
  static CompletionStage<ProxyServer> startCopy(ProxyConfig config, ProxyMetrics metrics,
      ClientEngines engines, MessageTap tap) {
    // the copy is told apart from the real proxy by its name and tap (NONE: not watched)
    return launch(config, metrics.calls(), metrics.transports(), engines, null,
        WARM_UP_SYSTEM, tap, null);
  }

  private static CompletionStage<ProxyServer> launch(ProxyConfig config, CallMetrics metrics,
      TransportMetrics transportMetrics, ClientEngines clientEngines, ServerEngines serverEngines,
      String name, MessageTap copyTap, WarmUp warmUp) {
    boolean copy = copyTap != null;
    TlsMaterial tls = new TlsMaterial(serverEngines, clientEngines);
    CompletableFuture<Parts> parts = new CompletableFuture<>();
    Behavior<Void> guardian = Behaviors.setup(ctx -> {
      if (copy && copyTap != MessageTap.NONE) MessageTaps.get(ctx.getSystem()).install(copyTap);
      // one table for the answers to every request the proxy sends: ClearIP's, read by the
      // upstream links, and destinations', read by the listeners
      UpstreamChannel channel = new UpstreamChannel(new ClientTransactions());
      ActorRef<UpstreamConnection.Command> up = ctx.spawn(
          UpstreamConnection.create(config.upstream(), tls::newClientEngine, channel),
          "upstream");
      SenderDestinations destinations = new SenderDestinations(config.advertise(),
          ctx.getSystem().dispatchers().lookup(
              org.apache.pekko.actor.typed.DispatcherSelector.blocking()));
      Call.Context callContext = new Call.Context(config.calls(), channel, metrics,
          destinations, config.dialogTokens());
      if (copy) callContext = callContext.withoutCallLog();
      // many spawners keep each one's set of live children small (each spawn and stop updates it)
      int shards = 64;
      CallRegistry registry = CallRegistry.create(ctx, callContext, shards);
      // before any listener is bound: no call may slip in ahead of the warm-up
      if (warmUp != null) registry.holdForWarmUp();
      parts.complete(new Parts(channel, up, registry, destinations, callContext));
      return Behaviors.empty();
    });
    ActorSystem<Void> system = ActorSystem.create(guardian, name, pekkoConfig(config));
    TraceController traces = new TraceController(system, config.trace());
    if (!copy) traces.startConfigured();
    return parts.thenCompose(p -> {
      TransportEndpoints.Builder b = TransportEndpoints.builder(system, p.registry())
          .listeners(config.listeners())
          .accessList(config.access())
          .metrics(transportMetrics)
          .sender(config.senderSettings())
          .tlsClient(tls::newClientEngine)
          .connectionDispatcher(CONNECTION_DISPATCHER);
      if (tls.hasListener()) b.tlsServer(tls::newServerEngine);
      TransportEndpoints endpoints = b.build();
      p.destinations().sender(endpoints.sender());
      p.registry().shedder().watchIntake(
          () -> endpoints.udpIntakeWaitNanos(System.nanoTime()),
          () -> endpoints.probeUdpIntake(System.nanoTime()));
      if (serverEngines == null && !copy && !config.raw().getStringList("clearip-proxy.listen.tls")
          .isEmpty()) {
        log.warn("TLS listener off: listen.tls-certificate and listen.tls-private-key are not "
            + "set");
      }
      return endpoints.start().thenApply(bound -> {
        p.destinations().bound(bound);
        ProxyServer s = new ProxyServer(system, config, p.upstream(), p.actor(), p.registry(),
            endpoints, bound, p.context(), traces, tls, warmUp);
        if (!copy) {
          log.info("clearip-proxy {} mode listening on {}; ClearIP at {}", config.mode(),
              describe(bound), config.upstream().uri());
        }
        if (warmUp != null) s.startWarmUp();
        return s;
      }).exceptionallyCompose(e -> {
        traces.stopTrace();
        system.terminate();
        return CompletableFuture.failedFuture(e);
      });
    });
  }

  /** Runs the warm-up on a thread of its own, then takes calls, whatever became of it. */
  private void startWarmUp() {
    WarmUpSettings w = config.warmUp();
    log.info("Warming up before taking calls (at least {}, at most {}): until then new "
        + "INVITEs and OPTIONS are answered 503 \"warming up\"", Durations.text(w.minTime()),
        Durations.text(w.maxTime()));
    Thread t = new Thread(() -> {
      try {
        WarmUp.Result r = warmUp.run();
        if (r.nonLoopback() > 0) {
          log.error("Warm-up stopped: {} messages went to or came from an address that is not "
              + "loopback", r.nonLoopback());
        }
        log.info("Warmed up in {} ({} calls{}); taking calls", Durations.text(r.took()),
            r.calls(), r.quiet() ? ", the JIT is quiet" : ", at warmup.max-time");
        registry.serve();
        warmedUp.complete(r);
      } catch (Throwable e) {
        log.warn("Warm-up failed ({}); taking calls now", e.toString());
        registry.serve();
        warmedUp.complete(null);
      }
    }, "clearip-proxy-warmup");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Completes when the proxy takes calls: at once without a warm-up, else when it is over (with
   * what it did; null when it failed).
   */
  public CompletionStage<WarmUp.Result> warmedUp() {
    return warmedUp;
  }

  /** True while the proxy warms up and answers every new INVITE and OPTIONS 503. */
  @Override
  public boolean isWarmingUp() {
    return registry.isWarmingUp();
  }

  public static String describe(BoundAddresses b) {
    StringBuilder sb = new StringBuilder();
    b.udp().forEach(a -> sb.append("udp ").append(a).append(' '));
    b.tcp().forEach(a -> sb.append("tcp ").append(a).append(' '));
    b.tls().forEach(a -> sb.append("tls ").append(a).append(' '));
    return sb.toString().trim();
  }

  public BoundAddresses bound() {
    return bound;
  }

  public UpstreamChannel upstream() {
    return upstream;
  }

  public ActorRef<UpstreamConnection.Command> upstreamActor() {
    return upstreamActor;
  }

  public CallRegistry registry() {
    return registry;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  @Override
  public ProxyConfig config() {
    return config;
  }

  /** The SIP transports (allow-list, open connections). */
  public TransportEndpoints endpoints() {
    return endpoints;
  }

  /** What every call shares; its settings can be replaced at run time. */
  public Call.Context callContext() {
    return callContext;
  }

  /** Call traces: started on demand (JMX) or by trace.enabled. */
  public TraceController traces() {
    return traces;
  }

  // ---- ManagedProxy: what the operator's actions reach ----

  @Override
  public int callsInFlight() {
    return registry.inFlight();
  }

  @Override
  public int callsAwaitingAnswer() {
    return registry.awaitingAnswer();
  }

  @Override
  public boolean isDraining() {
    return registry.isDraining();
  }

  @Override
  public void drain() {
    registry.drain();
  }

  @Override
  public void stopAllCalls(String reason) {
    registry.stopAll(reason);
  }

  @Override
  public boolean isUpstreamConnected() {
    return upstream.isUp();
  }

  @Override
  public int upstreamQueueDepth() {
    return upstream.queueDepth();
  }

  @Override
  public void retargetUpstream(String uri) {
    upstreamActor.tell(new UpstreamConnection.Retarget(uri));
  }

  @Override
  public CompletionStage<UpstreamConnection.Status> upstreamStatus(Duration timeout) {
    return AskPattern.ask(upstreamActor, UpstreamConnection.GetStatus::new, timeout,
        system.scheduler());
  }

  @Override
  public CallSettings callSettings() {
    return callContext.settings();
  }

  @Override
  public void updateCallSettings(CallSettings settings) {
    callContext.updateSettings(settings);
  }

  @Override
  public String replaceTls(ProxyConfig next) throws TlsMaterialException {
    ServerEngines server = tls.hasListener() ? next.serverEngines() : null;
    ClientEngines client = next.upstreamEngines();
    tls.replace(server, client);
    return tls.hasListener() ? "listener and client certificates re-read"
        : "client certificates re-read";
  }

  @Override
  public void setAccessList(AccessList access) {
    endpoints.setAccessList(access);
  }

  /** Stops listening, then the actor system; completes when all is down. */
  @Override
  public CompletionStage<Done> stop() {
    if (warmUp != null) warmUp.cancel();
    return endpoints.stop()
        .exceptionally(e -> Done.getInstance())
        .thenCompose(d -> {
          traces.stopTrace(); // completes and closes the file
          system.terminate();
          return system.getWhenTerminated();
        });
  }

  /** Blocks until the upstream is connected or the timeout passes; for the demo and tests. */
  public boolean awaitUpstream(Duration timeout) throws InterruptedException {
    try {
      upstream.firstUp().toCompletableFuture().get(timeout.toMillis(),
          java.util.concurrent.TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return false;
    }
  }
}
