package clearip.proxy.streams.transport;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import org.apache.pekko.io.Inet;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Sender}: UDP from a listening socket of the destination's address family; TCP and
 * TLS over connections opened on demand and reused per (transport, destination, server name),
 * closed after an idle timeout. Messages arriving on these connections go to the intake like any
 * other, with the connection as their {@link Origin}.
 */
final class OutboundConnections implements Sender {
  private static final Logger log = LoggerFactory.getLogger(OutboundConnections.class);

  private record Key(Transport transport, InetSocketAddress destination, String serverName) {}

  private final StreamConnection.Context ctx;
  private final SenderSettings settings;
  private final ClientEngineFactory clientEngines;
  private final Supplier<List<UdpListener>> udp;
  private final TransportMetrics metrics;
  private final Consumer<StreamConnection> onOpen;
  private final Consumer<StreamConnection> onEnd;
  private final ConcurrentHashMap<Key, StreamConnection> connections = new ConcurrentHashMap<>();
  /** Null when UDP sends are not watched for port-unreachable. */
  private final PortUnreachableWatch unreachable;
  private volatile boolean stopped;

  OutboundConnections(StreamConnection.Context ctx, SenderSettings settings,
      ClientEngineFactory clientEngines, Supplier<List<UdpListener>> udp,
      Consumer<StreamConnection> onOpen, Consumer<StreamConnection> onEnd) {
    this.ctx = ctx;
    this.settings = settings;
    this.clientEngines = clientEngines;
    this.udp = udp;
    this.metrics = ctx.metrics();
    this.onOpen = onOpen;
    this.onEnd = onEnd;
    this.unreachable = settings.unreachableWatch() ? openWatch(settings, metrics) : null;
  }

  private static PortUnreachableWatch openWatch(SenderSettings settings,
      TransportMetrics metrics) {
    try {
      return new PortUnreachableWatch(settings.maxConnections(), metrics);
    } catch (java.io.IOException e) {
      log.warn("UDP destinations are not watched for port-unreachable (no selector: {}); "
          + "no-answer timers still apply", e.toString());
      return null;
    }
  }

  @Override
  public void send(Transport transport, InetSocketAddress destination, String serverName,
      byte[] message, Consumer<SendResult> result) {
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(destination, "destination");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(result, "result");
    if (destination.isUnresolved()) {
      fail(transport, result, "destination " + destination + " is not resolved");
      return;
    }
    if (stopped) {
      fail(transport, result, "transports are stopped");
      return;
    }
    if (transport == Transport.UDP) {
      sendUdp(destination, message, result);
      return;
    }
    if (transport == Transport.TLS && clientEngines == null) {
      fail(transport, result, "no TLS client configuration");
      return;
    }
    Key key = new Key(transport, destination, serverName);
    Outgoing o = new Outgoing(ByteString.fromArrayUnsafe(message), r -> {
      if (r instanceof SendResult.Failed) metrics.sendFailed(transport);
      result.accept(r);
    });
    String lastReason = "connection closed";
    boolean neverUp = false;
    for (int attempt = 0; attempt < 2; attempt++) {
      StreamConnection c = connections.get(key);
      if (c == null && connections.size() >= settings.maxConnections()) {
        // a bound on what destinations can make this proxy hold open
        o.complete(new SendResult.Failed("too many outbound connections ("
            + settings.maxConnections() + "); none opened to " + destination));
        return;
      }
      try {
        if (c == null) c = connections.computeIfAbsent(key, this::connect);
      } catch (RuntimeException e) {
        o.complete(new SendResult.Failed("cannot open " + transport + " connection to "
            + destination + ": " + e.getMessage(), true));
        return;
      }
      switch (c.offer(o)) {
        case ENQUEUED:
          return;
        case FULL:
          o.complete(new SendResult.Failed("send queue of the " + transport + " connection to "
              + destination + " is full"));
          return;
        case CLOSED:
        default:
          // raced with the connection's end: forget it and try a fresh one once
          connections.remove(key, c);
          if (c.endReason() != null) lastReason = c.endReason();
          neverUp = !c.wasEstablished();
      }
    }
    o.complete(new SendResult.Failed(lastReason, neverUp));
  }

  private void sendUdp(InetSocketAddress destination, byte[] message,
      Consumer<SendResult> result) {
    for (UdpListener l : udp.get()) {
      if (l.isBound() && l.canReach(destination)) {
        PortUnreachableWatch watch = unreachable;
        if (watch == null) {
          l.send(message, destination, result);
        } else {
          l.send(message, destination, r -> {
            result.accept(r);
            if (r == SendResult.Sent.INSTANCE) watch.watch(destination, result);
          });
        }
        return;
      }
    }
    fail(Transport.UDP, result, "no UDP listening socket for the address family of "
        + destination);
  }

  private void fail(Transport transport, Consumer<SendResult> result, String reason) {
    metrics.sendFailed(transport);
    Callbacks.run(result, new SendResult.Failed(reason));
  }

  private StreamConnection connect(Key key) {
    InetSocketAddress dest = key.destination();
    Supplier<SSLEngine> engine = null;
    if (key.transport() == Transport.TLS) {
      String peerHost = key.serverName() != null ? key.serverName()
          : dest.getAddress().getHostAddress();
      engine = () -> clientEngines.newEngine(peerHost, dest.getPort());
    }
    var tcp = Tcp.get(ctx.system()).outgoingConnection(dest, Optional.empty(),
        List.<Inet.SocketOption>of(), false, Optional.of(settings.connectTimeout()),
        Optional.of(settings.idleTimeout()));
    boolean plain = engine == null;
    StreamConnection c = StreamConnection.open(ctx, tcp, key.transport(), engine, dest, null, true,
        (conn, connected) -> connected.whenComplete((oc, failure) -> {
          if (oc != null) {
            conn.setLocal(oc.localAddress());
            if (plain) conn.onEstablished();
          }
        }),
        ended -> {
          connections.remove(key, ended);
          onEnd.accept(ended);
        });
    onOpen.accept(c);
    return c;
  }

  /** Stops opening connections; those open are closed by their owner. */
  void stop() {
    stopped = true;
    if (unreachable != null) unreachable.close();
  }

  int openConnections() {
    return connections.size();
  }
}
