package clearip.proxy.streams.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import org.apache.pekko.io.Inet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP or TLS listening socket: checks each accepted connection against the allow-list and the
 * connection limits (closing it at once when refused), then runs it as a {@link
 * StreamConnection}. TLS is layered per connection (rather than with {@code bindWithTls}) so that
 * each connection knows when its own handshake finished, for the handshake timeout.
 */
final class StreamListener {
  private static final Logger log = LoggerFactory.getLogger(StreamListener.class);

  private final Transport transport;
  private final StreamConnection.Context ctx;
  private final Supplier<SSLEngine> engines;
  private final Supplier<AccessList> accessList;
  private final ConnectionLimiter limiter;
  /** Closes the quietest inbound connection from a source (null: any); true when it did. */
  private final Predicate<InetAddress> makeRoom;
  private final Consumer<StreamConnection> onOpen;
  private final Consumer<StreamConnection> onEnd;
  private volatile Tcp.ServerBinding binding;
  private final RateLimitedLog notAllowed = new RateLimitedLog(log, 10, TimeUnit.SECONDS);
  private final RateLimitedLog overLimit = new RateLimitedLog(log, 10, TimeUnit.SECONDS);

  StreamListener(Transport transport, StreamConnection.Context ctx, Supplier<SSLEngine> engines,
      Supplier<AccessList> accessList, ConnectionLimiter limiter,
      Predicate<InetAddress> makeRoom, Consumer<StreamConnection> onOpen,
      Consumer<StreamConnection> onEnd) {
    this.makeRoom = makeRoom;
    this.transport = transport;
    this.ctx = ctx;
    this.engines = engines;
    this.accessList = accessList;
    this.limiter = limiter;
    this.onOpen = onOpen;
    this.onEnd = onEnd;
  }

  CompletionStage<InetSocketAddress> bind(InetSocketAddress address, int backlog,
      Duration idleTimeout) {
    Source<Tcp.IncomingConnection, CompletionStage<Tcp.ServerBinding>> connections =
        Tcp.get(ctx.system()).bind(address.getAddress().getHostAddress(), address.getPort(),
            backlog, List.<Inet.SocketOption>of(), false, Optional.of(idleTimeout));
    return connections.to(Sink.foreach(this::accept)).withAttributes(ctx.attributes())
        .run(ctx.system())
        .thenApply(b -> {
          binding = b;
          // the proxy says where it listens in one line, when all its listeners are bound
          log.debug("Listening for SIP over {} on {}", transport, b.localAddress());
          return b.localAddress();
        })
        .exceptionallyCompose(e -> java.util.concurrent.CompletableFuture.failedFuture(
            new ListenerBindException(transport, address, e)));
  }

  CompletionStage<?> unbind() {
    Tcp.ServerBinding b = binding;
    if (b == null) return java.util.concurrent.CompletableFuture.completedFuture(null);
    return b.unbind();
  }

  private void accept(Tcp.IncomingConnection conn) {
    InetSocketAddress remote = conn.remoteAddress();
    InetAddress source = remote.getAddress();
    if (!accessList.get().allows(source)) {
      ctx.metrics().droppedByAccessList(transport);
      ctx.metrics().connectionRefused(transport, TransportMetrics.Refusal.ACCESS_LIST);
      notAllowed.warn("Refused a " + transport + " connection from " + remote
          + ": not on the allow-list", source);
      refuse(conn);
      return;
    }
    TransportMetrics.Refusal refusal = limiter.tryAcquire(source);
    if (refusal == TransportMetrics.Refusal.PER_SOURCE_LIMIT && makeRoom.test(source)) {
      // a switch's own new connection is not refused because its slots are held by quiet ones
      limiter.acquireInPlaceOf(source);
      refusal = null;
    } else if (refusal == TransportMetrics.Refusal.TOTAL_LIMIT && makeRoom.test(null)) {
      // nor because quiet connections from anywhere fill the proxy
      refusal = limiter.tryAcquireInPlaceOfAny(source);
    }
    if (refusal != null) {
      ctx.metrics().connectionRefused(transport, refusal);
      overLimit.warn("Refused a " + transport + " connection from " + remote + ": " + refusal,
          source);
      refuse(conn);
      return;
    }
    ctx.metrics().connectionAccepted(transport);
    try {
      StreamConnection c = StreamConnection.open(ctx, conn.flow(), transport, engines, remote,
          conn.localAddress(), false, null, ended -> {
            limiter.release(source);
            onEnd.accept(ended);
          });
      onOpen.accept(c);
    } catch (RuntimeException e) {
      log.warn("Could not start {} connection from {}: {}", transport, remote, e.toString());
    }
  }

  private void refuse(Tcp.IncomingConnection conn) {
    conn.handleWith(Flow.fromSinkAndSource(Sink.<ByteString>cancelled(),
        Source.<ByteString>empty()), ctx.system());
  }
}
