package clearip.proxy.streams.transport;

import clearip.proxy.sip.codec.SipDecoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.Attributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All SIP transports of one proxy: the UDP, TCP and TLS listeners of {@link ListenerSettings},
 * the {@link Sender} for outbound messages, the swappable source allow-list, and the open
 * connections, so that {@link #stop()} can close everything.
 *
 * <pre>{@code
 * TransportEndpoints t = TransportEndpoints.builder(system, handler)
 *     .listeners(settings).accessList(AccessList.parse(cidrs)).tlsServer(serverEngines::newEngine)
 *     .build();
 * BoundAddresses bound = t.start().toCompletableFuture().get(10, SECONDS);
 * t.sender().send(Transport.TCP, destination, null, bytes, result -> ...);
 * }</pre>
 */
public final class TransportEndpoints {
  private static final Logger log = LoggerFactory.getLogger(TransportEndpoints.class);

  private final ClassicActorSystemProvider system;
  private final ListenerSettings settings;
  private final Supplier<SSLEngine> serverEngines;
  private final TransportMetrics metrics;
  private final MessageIntake intake;
  private final StreamConnection.Context inboundContext;
  private final ConnectionLimiter limiter;
  private final OutboundConnections outbound;
  private final List<UdpListener> udpListeners = new CopyOnWriteArrayList<>();
  private final List<StreamListener> streamListeners = new CopyOnWriteArrayList<>();
  private final Set<StreamConnection> connections = ConcurrentHashMap.newKeySet();
  private volatile AccessList accessList;
  private volatile boolean started;

  private TransportEndpoints(Builder b) {
    this.system = b.system;
    this.settings = b.listeners;
    this.serverEngines = b.serverEngines;
    this.metrics = b.metrics;
    this.accessList = b.accessList;
    this.intake = new MessageIntake(new SipDecoder(settings.parseLimits()), b.handler, metrics,
        settings.serverName());
    this.inboundContext = new StreamConnection.Context(system, intake, settings.parseLimits(),
        settings.connectionQueueSize(), settings.tlsHandshakeTimeout(),
        settings.firstMessageTimeout(), settings.messageTimeout(), metrics, b.connectionAttributes);
    this.limiter = new ConnectionLimiter(settings.maxConnections(),
        settings.maxConnectionsPerSource());
    // a destination speaks only when spoken to: no first-message clock on our own connections
    StreamConnection.Context outboundContext = new StreamConnection.Context(system, intake,
        settings.parseLimits(), b.sender.queueSize(), b.sender.tlsHandshakeTimeout(), null,
        settings.messageTimeout(), metrics, b.connectionAttributes);
    this.outbound = new OutboundConnections(outboundContext, b.sender, b.clientEngines,
        () -> udpListeners, this::opened, connections::remove);
  }

  public static Builder builder(ClassicActorSystemProvider system, InboundHandler handler) {
    return new Builder(system, handler);
  }

  /**
   * Binds every configured listener. Completes with the bound addresses once all are bound;
   * fails (and unbinds those that did bind) when any cannot be bound.
   */
  public synchronized CompletionStage<BoundAddresses> start() {
    if (started) throw new IllegalStateException("already started");
    started = true;
    if (!settings.tls().isEmpty() && serverEngines == null) {
      return CompletableFuture.failedFuture(new IllegalStateException(
          "TLS listeners are configured but no TLS server material was given"));
    }
    List<CompletableFuture<InetSocketAddress>> udp = new ArrayList<>();
    for (InetSocketAddress a : settings.udp()) {
      UdpListener l = UdpListener.bind(system, a, settings.udpReceiveBufferSize(), intake,
          this::accessList, metrics);
      udpListeners.add(l);
      udp.add(l.bound().toCompletableFuture());
    }
    List<CompletableFuture<InetSocketAddress>> tcp = bindStreams(Transport.TCP, settings.tcp(),
        null);
    List<CompletableFuture<InetSocketAddress>> tls = bindStreams(Transport.TLS, settings.tls(),
        serverEngines);
    List<CompletableFuture<?>> all = new ArrayList<>(udp);
    all.addAll(tcp);
    all.addAll(tls);
    CompletableFuture<BoundAddresses> result = CompletableFuture
        .allOf(all.toArray(CompletableFuture[]::new))
        .thenApply(v -> new BoundAddresses(join(udp), join(tcp), join(tls)));
    return result.whenComplete((bound, failure) -> {
      if (failure != null) {
        // the caller reports it (the launcher: one line naming the address and the key)
        log.debug("Could not bind the SIP listeners: {}", failure.toString());
        stop();
      }
    });
  }

  private List<CompletableFuture<InetSocketAddress>> bindStreams(Transport transport,
      List<InetSocketAddress> addresses, Supplier<SSLEngine> engines) {
    List<CompletableFuture<InetSocketAddress>> out = new ArrayList<>();
    for (InetSocketAddress a : addresses) {
      StreamListener l = new StreamListener(transport, inboundContext, engines, this::accessList,
          limiter, this::makeRoom, this::opened, connections::remove);
      streamListeners.add(l);
      out.add(l.bind(a, settings.backlog(), settings.idleTimeout()).toCompletableFuture());
    }
    return out;
  }

  private static List<InetSocketAddress> join(List<CompletableFuture<InetSocketAddress>> fs) {
    return fs.stream().map(CompletableFuture::join).toList();
  }

  private void opened(StreamConnection c) {
    connections.add(c);
    if (!c.isOpen()) connections.remove(c); // it ended before it was registered
  }

  /** Sends to destinations other than a message's origin; usable once started. */
  public Sender sender() {
    return outbound;
  }

  /** The allow-list in force. */
  public AccessList accessList() {
    return accessList;
  }

  /**
   * Replaces the allow-list (configuration reload). Applies to datagrams and connections from
   * now on; connections already accepted are kept.
   */
  public void setAccessList(AccessList accessList) {
    this.accessList = Objects.requireNonNull(accessList);
    log.info("Source allow-list now {}", accessList);
  }

  /** Open TCP/TLS connections, inbound and outbound. */
  public int openConnections() {
    return connections.size();
  }

  /** How long connections may take to write what is queued on them when the transports stop. */
  static final java.time.Duration FLUSH_BOUND = java.time.Duration.ofSeconds(1);

  /**
   * Unbinds every listener and closes every connection once it has written what is queued on
   * it (a stopping proxy's last 503s and CANCELs), or after {@link #FLUSH_BOUND}, whichever
   * comes first. Completes when the listeners are unbound and the connections closed.
   */
  public CompletionStage<Done> stop() {
    outbound.stop();
    List<CompletableFuture<?>> waits = new ArrayList<>();
    for (UdpListener l : udpListeners) waits.add(l.unbind().toCompletableFuture());
    for (StreamListener l : streamListeners) waits.add(l.unbind().toCompletableFuture());
    for (StreamConnection c : connections) c.closeAfterFlush();
    CompletableFuture<Void> flushed = new CompletableFuture<>();
    Executor later = CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS);
    long deadline = System.nanoTime() + FLUSH_BOUND.toNanos();
    Runnable[] check = new Runnable[1];
    check[0] = () -> {
      if (connections.isEmpty()) {
        flushed.complete(null);
      } else if (System.nanoTime() - deadline >= 0) {
        TransportException shutdown = new TransportException("transports stopped");
        for (StreamConnection c : connections) c.abort(shutdown);
        flushed.complete(null);
      } else {
        later.execute(check[0]);
      }
    };
    check[0].run();
    waits.add(flushed);
    return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new))
        .handle((v, e) -> Done.getInstance());
  }

  /**
   * A source at its connection limit (or anyone, {@code source} null, at the total limit) opens
   * one more: closes the inbound connection from that source (from anywhere) that has been quiet
   * longest, if that one has sent no message for the first-message timeout at least; true when
   * one was closed.
   */
  private boolean makeRoom(InetAddress source) {
    StreamConnection quietest = null;
    for (StreamConnection c : connections) {
      if (c.isOutbound() || !c.isOpen()) continue;
      if (source != null && !c.remote().getAddress().equals(source)) continue;
      if (quietest == null || c.lastMessageNanos() - quietest.lastMessageNanos() < 0) {
        quietest = c;
      }
    }
    if (quietest == null) return false;
    long quietNanos = System.nanoTime() - quietest.lastMessageNanos();
    if (quietNanos < settings.firstMessageTimeout().toNanos()) return false;
    quietest.abort(new TransportException("closed to make room for a new connection"
        + (source == null ? "" : " from the same source") + " (no message for "
        + quietNanos / 1_000_000 + " ms)"));
    return true;
  }

  /** Collects what the endpoints need; only the system and the handler are mandatory. */
  public static final class Builder {
    private final ClassicActorSystemProvider system;
    private final InboundHandler handler;
    private ListenerSettings listeners = ListenerSettings.defaults();
    private SenderSettings sender = SenderSettings.defaults();
    private AccessList accessList = AccessList.LOOPBACK_ONLY;
    private TransportMetrics metrics = TransportMetrics.NONE;
    private Supplier<SSLEngine> serverEngines;
    private ClientEngineFactory clientEngines;
    private Attributes connectionAttributes = Attributes.none();

    private Builder(ClassicActorSystemProvider system, InboundHandler handler) {
      this.system = Objects.requireNonNull(system, "system");
      this.handler = Objects.requireNonNull(handler, "handler");
    }

    public Builder listeners(ListenerSettings settings) {
      this.listeners = Objects.requireNonNull(settings);
      return this;
    }

    public Builder sender(SenderSettings settings) {
      this.sender = Objects.requireNonNull(settings);
      return this;
    }

    public Builder accessList(AccessList accessList) {
      this.accessList = Objects.requireNonNull(accessList);
      return this;
    }

    /**
     * Where the TCP and TLS connections' streams run (accepting, framing, TLS, opening and
     * closing): a dispatcher id, or null for the system's default.
     */
    public Builder connectionDispatcher(String dispatcher) {
      this.connectionAttributes = dispatcher == null ? Attributes.none()
          : ActorAttributes.dispatcher(dispatcher);
      return this;
    }

    public Builder metrics(TransportMetrics metrics) {
      this.metrics = Objects.requireNonNull(metrics);
      return this;
    }

    /** Server-mode engines for the TLS listeners, one per connection (e.g. ServerEngines). */
    public Builder tlsServer(Supplier<SSLEngine> engines) {
      this.serverEngines = engines;
      return this;
    }

    /** Client-mode engines for outbound TLS (e.g. ClientEngines::newEngine). */
    public Builder tlsClient(ClientEngineFactory engines) {
      this.clientEngines = engines;
      return this;
    }

    public TransportEndpoints build() {
      return new TransportEndpoints(this);
    }
  }

  /**
   * Sends each UDP socket its next intake probe; called at a steady pace (overload control's
   * probe interval), from a thread that may not block (the send is non-blocking).
   *
   * @param now {@link System#nanoTime()}
   */
  public void probeUdpIntake(long now) {
    for (UdpListener l : udpListeners) l.probeIntake(now);
  }

  /**
   * How long a datagram arriving now waits in the kernel before a UDP reader takes it, the worst
   * of all UDP sockets (0 when every reader keeps up): the intake's own queue, which overload
   * control counts like a wait. Measured by {@link #probeUdpIntake}'s probes.
   */
  public long udpIntakeWaitNanos(long now) {
    long worst = 0;
    for (UdpListener l : udpListeners) worst = Math.max(worst, l.intakeWaitNanos(now));
    return worst;
  }
}
