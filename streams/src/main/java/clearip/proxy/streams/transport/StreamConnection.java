package clearip.proxy.streams.transport;

import clearip.proxy.sip.codec.ParseLimits;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.codec.SipStreamFramer.Frame;
import clearip.proxy.streams.framing.MessageTimeoutException;
import clearip.proxy.streams.framing.SipFramingStage;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.TLS;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP or TLS connection, inbound or outbound: its framing, its bounded outbound queue (the
 * way back for {@link Origin#reply}) and its end. The stream graph per connection is
 *
 * <pre>
 *   TCP ⇄ kill switch ⇄ [TLS] ⇄ (framing → intake)  and  (bounded queue → TCP)
 * </pre>
 *
 * <p>The queue is materialised before the graph, so the connection can be replied to from the
 * first frame on. Sends with a callback are tracked until the stream takes them on an established
 * connection (Sent) or the connection ends first (Failed, with the reason it ended).
 */
final class StreamConnection implements Origin {
  private static final Logger log = LoggerFactory.getLogger(StreamConnection.class);
  private static final ByteString PONG = ByteString.fromString("\r\n");

  private final Transport transport;
  private final InetSocketAddress remote;
  private final boolean outbound;
  private final TransportMetrics metrics;
  private final BoundedSourceQueue<Outgoing> queue;
  private final SharedKillSwitch killSwitch;
  private final MessageTaps taps;
  private final Set<Outgoing> pending = ConcurrentHashMap.newKeySet();
  /** Sends reported Sent lately, told if the connection ends soon after (outbound only). */
  private final java.util.ArrayDeque<Outgoing> watched = new java.util.ArrayDeque<>();
  private static final int MAX_WATCHED = 256;
  private MessageIntake intake;
  private volatile InetSocketAddress local;
  private volatile boolean open = true;
  private volatile boolean established;
  private volatile String endReason;
  private volatile Cancellable handshakeTimer;
  /** When the last whole message arrived, or the connection opened. */
  private volatile long lastMessageNanos = System.nanoTime();
  /** Traced messages queued before an outbound connection knew its local address. */
  private List<byte[]> tappedBeforeConnect;

  private StreamConnection(Transport transport, InetSocketAddress remote, InetSocketAddress local,
      boolean outbound, TransportMetrics metrics, BoundedSourceQueue<Outgoing> queue,
      SharedKillSwitch killSwitch, MessageTaps taps) {
    this.transport = transport;
    this.remote = remote;
    this.local = local;
    this.outbound = outbound;
    this.metrics = metrics;
    this.queue = queue;
    this.killSwitch = killSwitch;
    this.taps = taps;
  }

  /** What a connection needs besides its socket. */
  record Context(ClassicActorSystemProvider system, MessageIntake intake, ParseLimits limits,
      int queueSize, Duration handshakeTimeout, Duration firstMessageTimeout,
      Duration messageTimeout, TransportMetrics metrics, Attributes attributes) {}

  /**
   * Materialises the connection over {@code tcp}.
   *
   * @param engine the SSL engine factory for TLS, null for plain TCP
   * @param local our address, or null when known only once connected (outbound)
   * @param onEnd called once when the connection has ended
   * @param <M> the socket flow's materialised value, handed to {@code onSocket}
   */
  static <M> StreamConnection open(Context ctx, Flow<ByteString, ByteString, M> tcp,
      Transport transport, Supplier<SSLEngine> engine, InetSocketAddress remote,
      InetSocketAddress local, boolean outbound, BiConsumer<StreamConnection, M> onSocket,
      Consumer<StreamConnection> onEnd) {
    Pair<BoundedSourceQueue<Outgoing>, Source<Outgoing, NotUsed>> q =
        Source.<Outgoing>queue(ctx.queueSize()).withAttributes(ctx.attributes())
            .preMaterialize(ctx.system());
    SharedKillSwitch ks = KillSwitches.shared("sip-" + transport.viaToken().toLowerCase()
        + "-" + remote.getAddress().getHostAddress() + "-" + remote.getPort());
    StreamConnection c = new StreamConnection(transport, remote, local, outbound, ctx.metrics(),
        q.first(), ks, MessageTaps.get(ctx.system()));
    c.intake = ctx.intake();
    if (engine == null) c.established = !outbound;

    Flow<ByteString, ByteString, CompletionStage<Done>> app = Flow.fromSinkAndSourceMat(
        SipFramingStage.flow(ctx.limits(), ctx.firstMessageTimeout(), ctx.messageTimeout())
            .toMat(Sink.foreach(c::onFrame), Keep.right()),
        q.second().map(c::emit),
        Keep.left());
    BidiFlow<ByteString, ByteString, ByteString, ByteString, NotUsed> kill =
        BidiFlow.fromFlows(ks.<ByteString>flow(), ks.<ByteString>flow());
    Flow<ByteString, ByteString, M> net;
    if (engine == null) {
      net = kill.join(tcp, Keep.right());
    } else {
      BidiFlow<ByteString, TLSProtocol.SslTlsOutbound, TLSProtocol.SslTlsInbound, ByteString,
          NotUsed> plain = BidiFlow.fromFlows(
              Flow.<ByteString>create().map(TLSProtocol.SendBytes::new),
              Flow.<TLSProtocol.SslTlsInbound>create()
                  .filter(i -> i instanceof TLSProtocol.SessionBytes)
                  .map(i -> ((TLSProtocol.SessionBytes) i).bytes()));
      net = plain.atop(TLS.create(engine, session -> c.onHandshake(), TLSClosing.eagerClose()))
          .atop(kill).join(tcp, Keep.right());
    }
    ctx.metrics().connectionOpened(transport, outbound);
    Pair<M, CompletionStage<Done>> mat;
    try {
      mat = net.joinMat(app, Keep.both()).withAttributes(ctx.attributes()).run(ctx.system());
    } catch (RuntimeException e) {
      c.queue.fail(e);
      if (c.ended(e)) {
        onEnd.accept(c);
        ctx.metrics().connectionClosed(transport, outbound);
      }
      throw e;
    }
    if (engine != null) {
      c.handshakeTimer = ctx.system().classicSystem().scheduler().scheduleOnce(
          ctx.handshakeTimeout(),
          () -> {
            if (!c.established) {
              c.abort(new TransportException("TLS handshake not finished within "
                  + ctx.handshakeTimeout().toMillis() + " ms"));
            }
          },
          ctx.system().classicSystem().dispatcher());
    }
    if (onSocket != null) onSocket.accept(c, mat.first());
    mat.second().whenComplete((done, failure) -> {
      if (c.ended(failure)) {
        onEnd.accept(c);
        ctx.metrics().connectionClosed(transport, outbound);
      }
    });
    return c;
  }

  // ---- Origin ------------------------------------------------------------------------------

  @Override
  public Transport transport() {
    return transport;
  }

  @Override
  public InetSocketAddress remote() {
    return remote;
  }

  @Override
  public InetSocketAddress local() {
    return local;
  }

  @Override
  public boolean reply(byte[] message) {
    return offerUntracked(ByteString.fromArrayUnsafe(message));
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() {
    closeAfterFlush();
  }

  void setLocal(InetSocketAddress local) {
    List<byte[]> held;
    synchronized (this) {
      this.local = local;
      held = tappedBeforeConnect;
      tappedBeforeConnect = null;
    }
    MessageTap tap = taps.current();
    if (held != null && tap != MessageTap.NONE) {
      for (byte[] m : held) tap.onMessage(MessageTap.Direction.OUT, transport, local, remote, m);
    }
  }

  boolean isOutbound() {
    return outbound;
  }

  /** Why the connection ended, once it has. */
  String endReason() {
    return endReason;
  }

  /** When the last whole message arrived (or the connection opened, before any). */
  long lastMessageNanos() {
    return lastMessageNanos;
  }

  /** The TCP connect (plain TCP) or the TLS handshake finished at some point. */
  boolean wasEstablished() {
    return established;
  }

  @Override
  public String toString() {
    return transport + (outbound ? " connection to " : " connection from ") + remote;
  }

  // ---- sending -----------------------------------------------------------------------------

  private boolean offerUntracked(ByteString bytes) {
    if (!open) return false;
    QueueOfferResult r = queue.offer(new Outgoing(bytes, null));
    if (r == QueueOfferResult.enqueued()) {
      metrics.messageOut(transport);
      return true;
    }
    if (r == QueueOfferResult.dropped()) metrics.queueFull(transport);
    return false;
  }

  /**
   * Queues a send whose callback must hear exactly once how it went; on ENQUEUED the connection
   * owns the callback, otherwise the caller does.
   */
  Offer offer(Outgoing o) {
    if (!open) return Offer.CLOSED;
    pending.add(o);
    QueueOfferResult r = queue.offer(o);
    if (r == QueueOfferResult.enqueued()) {
      metrics.messageOut(transport);
      // the connection may have ended between add and offer: nobody else will fail it then
      if (!open && pending.remove(o)) {
        o.complete(new SendResult.Failed(reasonOrClosed(), !established));
      }
      return Offer.ENQUEUED;
    }
    pending.remove(o);
    if (r == QueueOfferResult.dropped()) {
      metrics.queueFull(transport);
      return Offer.FULL;
    }
    return Offer.CLOSED;
  }

  /**
   * Reports a message the stream takes towards the socket to the tap. An outbound connection
   * learns its local address only once connected: messages taken before are held until then
   * (and never reported if it fails, since they never reached the wire).
   */
  private void tapOut(MessageTap tap, byte[] message) {
    InetSocketAddress l = local;
    if (l == null) {
      synchronized (this) {
        l = local;
        if (l == null) {
          if (tappedBeforeConnect == null) tappedBeforeConnect = new ArrayList<>();
          if (tappedBeforeConnect.size() < 1024) tappedBeforeConnect.add(message);
          return;
        }
      }
    }
    tap.onMessage(MessageTap.Direction.OUT, transport, l, remote, message);
  }

  /** The stream took the message towards the socket. */
  private ByteString emit(Outgoing o) {
    if (o.tracked()) {
      o.emitted = true;
      if (established && pending.remove(o)) sent(o);
    }
    MessageTap tap = taps.current();
    if (tap != MessageTap.NONE && o.bytes != PONG) tapOut(tap, o.bytes.toArrayUnsafe());
    return o.bytes;
  }

  /** The TCP connect (plain TCP) or the TLS handshake finished. */
  void onEstablished() {
    established = true;
    Cancellable t = handshakeTimer;
    if (t != null) t.cancel();
    for (Outgoing o : pending) {
      if (o.emitted && pending.remove(o)) sent(o);
    }
  }

  private void sent(Outgoing o) {
    if (!o.complete(SendResult.Sent.INSTANCE) || !outbound) return;
    long now = System.nanoTime();
    o.sentNanos = now;
    synchronized (watched) {
      while (!watched.isEmpty() && (watched.size() >= MAX_WATCHED
          || now - watched.peekFirst().sentNanos > SendResult.WATCH_NANOS)) {
        watched.pollFirst();
      }
      watched.addLast(o);
    }
  }

  private void onHandshake() {
    onEstablished();
  }

  /** Sends the queued messages, then closes. */
  void closeAfterFlush() {
    try {
      queue.complete();
    } catch (RuntimeException e) {
      // already completed or failed
    }
  }

  /** Closes at once, discarding what is queued. */
  void abort(Throwable cause) {
    killSwitch.abort(cause);
  }

  // ---- receiving ---------------------------------------------------------------------------

  private void onFrame(Frame f) {
    if (f instanceof Frame.Message m) {
      lastMessageNanos = System.nanoTime();
      byte[] b = m.bytes();
      MessageTap tap = taps.current();
      if (tap != MessageTap.NONE) {
        tap.onMessage(MessageTap.Direction.IN, transport, local, remote, b);
      }
      intake.onMessage(b, 0, b.length, SipDecoder.Framing.STREAM, this);
    } else if (f == Frame.Ping.INSTANCE) {
      offerUntracked(PONG); // RFC 5626 section 4.4.1: CRLF pong on the same connection
    } else if (f instanceof Frame.Error e) {
      intake.onFramingError(e, this);
      closeAfterFlush();
    }
  }

  // ---- end ---------------------------------------------------------------------------------

  /** Marks the end and fails what is still pending; false when it had ended already. */
  private boolean ended(Throwable failure) {
    if (!open) return false;
    endReason = describe(failure);
    open = false;
    Cancellable t = handshakeTimer;
    if (t != null) t.cancel();
    closeAfterFlush();
    for (Outgoing o : pending) {
      if (pending.remove(o)) {
        metrics.sendFailed(transport);
        o.complete(new SendResult.Failed(endReason, !established));
      }
    }
    if (failure != null) { // an abrupt end (reset, lost), not a close: tell the recent sends
      long now = System.nanoTime();
      Outgoing[] recent;
      synchronized (watched) {
        recent = watched.toArray(new Outgoing[0]);
        watched.clear();
      }
      for (Outgoing o : recent) {
        if (now - o.sentNanos <= SendResult.WATCH_NANOS) o.lose(endReason);
      }
    }
    if (log.isDebugEnabled()) log.debug("{} ended: {}", this, endReason);
    return true;
  }

  private String reasonOrClosed() {
    String r = endReason;
    return r != null ? r : "connection closed";
  }

  /** A short, trace-free description of why a connection ended, for logs and Failed reasons. */
  static String describe(Throwable failure) {
    if (failure == null) return "connection closed";
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof TransportException || t instanceof MessageTimeoutException) {
        return t.getMessage();
      }
      if (t instanceof ConnectException) return "connection refused (" + t.getMessage() + ")";
      if (t instanceof SSLException) return "TLS handshake failed: " + t.getMessage();
    }
    String m = failure.getMessage() == null ? "" : failure.getMessage();
    if (m.contains("Connect timeout")) return "connect timed out: " + m;
    if (failure instanceof TimeoutException) return "idle timeout: " + m;
    if (m.contains("Connection refused")) return "connection refused: " + m;
    return "connection lost: " + failure.getClass().getSimpleName() + (m.isEmpty() ? "" : ": " + m);
  }
}
