package clearip.proxy.ops.server;

import clearip.proxy.actors.call.CallMetrics;
import clearip.proxy.actors.call.Call;
import clearip.proxy.actors.call.SenderDestinations;
import clearip.proxy.actors.call.txn.CallSettings;
import clearip.proxy.actors.routing.CallRegistry;
import clearip.proxy.actors.upstream.UpstreamConnection;
import clearip.proxy.ops.admin.ManagedProxy;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.trace.TraceController;
import clearip.proxy.streams.tls.ClientEngines;
import clearip.proxy.streams.tls.ServerEngines;
import clearip.proxy.streams.transport.AccessList;
import clearip.proxy.streams.transport.BoundAddresses;
import clearip.proxy.streams.transport.ClientTransactions;
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

  private ProxyServer(ActorSystem<Void> system, ProxyConfig config, UpstreamChannel upstream,
      ActorRef<UpstreamConnection.Command> upstreamActor, CallRegistry registry,
      TransportEndpoints endpoints, BoundAddresses bound, Call.Context callContext,
      TraceController traces) {
    this.system = system;
    this.config = config;
    this.upstream = upstream;
    this.upstreamActor = upstreamActor;
    this.registry = registry;
    this.endpoints = endpoints;
    this.bound = bound;
    this.callContext = callContext;
    this.traces = traces;
  }

  /** What the guardian creates inside the actor system. */
  private record Parts(UpstreamChannel upstream, ActorRef<UpstreamConnection.Command> actor,
      CallRegistry registry, SenderDestinations destinations, Call.Context context) {}

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

  /** Starts everything; completes when the listeners are bound. */
  public static CompletionStage<ProxyServer> start(ProxyConfig config, CallMetrics metrics,
      TransportMetrics transportMetrics) {
    ClientEngines clientEngines;
    ServerEngines serverEngines;
    try {
      clientEngines = config.upstreamEngines();
      serverEngines = config.serverEngines();
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Parts> parts = new CompletableFuture<>();
    Behavior<Void> guardian = Behaviors.setup(ctx -> {
      // one table for the answers to every request the proxy sends: ClearIP's, read by the
      // upstream links, and destinations', read by the listeners
      UpstreamChannel channel = new UpstreamChannel(new ClientTransactions());
      ActorRef<UpstreamConnection.Command> up = ctx.spawn(
          UpstreamConnection.create(config.upstream(), clientEngines::newEngine, channel),
          "upstream");
      SenderDestinations destinations = new SenderDestinations(config.advertise(),
          ctx.getSystem().dispatchers().lookup(
              org.apache.pekko.actor.typed.DispatcherSelector.blocking()));
      Call.Context callContext = new Call.Context(config.calls(), channel, metrics,
          destinations, config.dialogTokens());
      // many spawners keep each one's set of live children small (each spawn and stop updates it)
      int shards = 64;
      CallRegistry registry = CallRegistry.create(ctx, callContext, shards);
      parts.complete(new Parts(channel, up, registry, destinations, callContext));
      return Behaviors.empty();
    });
    ActorSystem<Void> system = ActorSystem.create(guardian, "clearip-proxy", pekkoConfig(config));
    TraceController traces = new TraceController(system, config.trace());
    traces.startConfigured();
    return parts.thenCompose(p -> {
      TransportEndpoints.Builder b = TransportEndpoints.builder(system, p.registry())
          .listeners(config.listeners())
          .accessList(config.access())
          .metrics(transportMetrics)
          .sender(config.senderSettings())
          .tlsClient(clientEngines::newEngine)
          .connectionDispatcher(CONNECTION_DISPATCHER);
      if (serverEngines != null) b.tlsServer(serverEngines::newEngine);
      TransportEndpoints endpoints = b.build();
      p.destinations().sender(endpoints.sender());
      p.registry().shedder().watchIntake(
          () -> endpoints.udpIntakeWaitNanos(System.nanoTime()),
          () -> endpoints.probeUdpIntake(System.nanoTime()));
      if (serverEngines == null && !config.raw().getStringList("clearip-proxy.listen.tls")
          .isEmpty()) {
        log.warn("TLS listener off: listen.tls-certificate and listen.tls-private-key are not "
            + "set");
      }
      return endpoints.start().thenApply(bound -> {
        p.destinations().bound(bound);
        ProxyServer s = new ProxyServer(system, config, p.upstream(), p.actor(), p.registry(),
            endpoints, bound, p.context(), traces);
        log.info("clearip-proxy {} mode listening on {}; ClearIP at {}", config.mode(),
            describe(bound), config.upstream().uri());
        return s;
      }).exceptionallyCompose(e -> {
        traces.stopTrace();
        system.terminate();
        return CompletableFuture.failedFuture(e);
      });
    });
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
  public void setAccessList(AccessList access) {
    endpoints.setAccessList(access);
  }

  /** Stops listening, then the actor system; completes when all is down. */
  @Override
  public CompletionStage<Done> stop() {
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
