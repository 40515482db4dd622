package clearip.proxy.streams.upstream;

import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.codec.SipStreamFramer;
import clearip.proxy.sip.header.Via;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.streams.framing.SipFramingStage;
import clearip.proxy.streams.transport.ClientEngineFactory;
import clearip.proxy.streams.transport.ClientTransactions;
import clearip.proxy.streams.transport.MessageTap;
import clearip.proxy.streams.transport.MessageTaps;
import clearip.proxy.streams.transport.Offer;
import clearip.proxy.streams.transport.RateLimitedLog;
import clearip.proxy.streams.transport.Transport;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One materialised connection to ClearIP: a bounded outbound queue feeding a TCP or TLS
 * connection. Its requests in flight are entries of the proxy's {@link ClientTransactions}, on
 * this connection's own return path: ClearIP's answers read here find their call there, by the
 * Via branch this proxy inserted, and a lost connection tells every call waiting on it at once.
 */
public final class UpstreamLink {
  private static final Logger log = LoggerFactory.getLogger(UpstreamLink.class);
  private static final ByteString PING = ByteString.fromString("\r\n\r\n");
  private static final long BATCH_BYTES = 16 * 1024; // one TLS record's worth

  private final InetSocketAddress address;
  private final boolean tls;
  private final BoundedSourceQueue<ByteString> queue;
  private final UniqueKillSwitch killSwitch;
  private final CompletableFuture<Done> established = new CompletableFuture<>();
  private final CompletionStage<Done> terminated;
  private final ClientTransactions transactions;
  private final ClientTransactions.ReturnPath path;
  private final SipDecoder decoder;
  private final MessageTaps taps;
  private final AtomicInteger consecutiveTimeouts = new AtomicInteger();
  private final AtomicLong unusable = new AtomicLong();
  private final UpstreamAnswers answers;
  private final RateLimitedLog unusableLog = new RateLimitedLog(log, 10, TimeUnit.SECONDS);
  private final AtomicLong lastResponseNanos = new AtomicLong(System.nanoTime());
  private volatile boolean closed;
  private volatile boolean answered;
  private volatile InetSocketAddress localAddress;
  private volatile String sentBy;

  private UpstreamLink(ClassicActorSystemProvider system, InetSocketAddress address, String serverName,
      ClientEngineFactory engines, UpstreamLinkSettings settings, UpstreamAnswers answers,
      ClientTransactions transactions) {
    this.address = address;
    this.answers = answers;
    this.transactions = transactions;
    this.path = ClientTransactions.ReturnPath.connection("ClearIP " + address);
    this.tls = engines != null;
    this.decoder = new SipDecoder(settings.limits());
    this.taps = MessageTaps.get(system);
    Optional<java.time.Duration> idle = settings.idleTimeout().isZero()
        ? Optional.empty() : Optional.of(settings.idleTimeout());
    Flow<ByteString, ByteString, CompletionStage<Tcp.OutgoingConnection>> connection = tls
        ? Tcp.get(system).outgoingConnectionWithTls(address,
            () -> engines.newEngine(serverName, address.getPort()), Optional.empty(), List.of(),
            Optional.of(settings.connectTimeout()), idle,
            session -> {
              established.complete(Done.getInstance()); // the handshake is complete here
              return Optional.empty();
            },
            TLSClosing.eagerClose())
        : Tcp.get(system).outgoingConnection(address, Optional.empty(), List.of(), true,
            Optional.of(settings.connectTimeout()), idle);
    Pair<Pair<Pair<BoundedSourceQueue<ByteString>, CompletionStage<Tcp.OutgoingConnection>>,
        UniqueKillSwitch>, CompletionStage<Done>> mat =
        Source.<ByteString>queue(settings.queueSize())
            .map(this::tapOut)
            // while the connection is busy, queued messages are joined, so TLS seals them in
            // few large records instead of one record (and one AES-GCM setup) per message
            .batchWeighted(BATCH_BYTES, bs -> (long) bs.size(), bs -> bs, ByteString::concat)
            .viaMat(connection, Keep.both())
            .viaMat(KillSwitches.single(), Keep.both())
            .via(SipFramingStage.flow(settings.limits()))
            .toMat(Sink.foreach(this::onFrame), Keep.both())
            .run(system);
    this.queue = mat.first().first().first();
    this.killSwitch = mat.first().second();
    this.terminated = mat.second();
    mat.first().first().second().whenComplete((c, e) -> {
      if (c != null) localAddress = c.localAddress();
      if (e != null) {
        established.completeExceptionally(e);
      } else if (!tls) {
        established.complete(Done.getInstance());
      }
    });
    terminated.whenComplete((d, e) -> {
      closed = true;
      established.completeExceptionally(
          e != null ? e : new IllegalStateException("connection closed"));
      transactions.lose(path,
          e == null ? "ClearIP connection closed" : "ClearIP connection lost: " + reason(e));
      // ClearIP closed its side (plain TCP is half-closable): close ours too, or the socket
      // stays open, half-closed, for as long as the process runs
      killSwitch.shutdown();
      close();
    });
  }

  /**
   * Starts connecting; watch {@link #established()} and {@link #terminated()}.
   *
   * @param engines null for plain TCP
   */
  public static UpstreamLink open(ClassicActorSystemProvider system, InetSocketAddress address,
      String serverName, ClientEngineFactory engines, UpstreamLinkSettings settings) {
    return open(system, address, serverName, engines, settings, new UpstreamAnswers(),
        new ClientTransactions());
  }

  /**
   * As above, counting the answers that reach no call in {@code answers}, its requests' entries
   * in {@code transactions}.
   */
  public static UpstreamLink open(ClassicActorSystemProvider system, InetSocketAddress address,
      String serverName, ClientEngineFactory engines, UpstreamLinkSettings settings,
      UpstreamAnswers answers, ClientTransactions transactions) {
    return new UpstreamLink(system, address, serverName, engines, settings, answers,
        transactions);
  }

  /** Completes when the link can carry requests: TCP connected, or TLS handshake done. */
  public CompletionStage<Done> established() {
    return established;
  }

  /** Completes (normally or not) when the connection is gone. */
  public CompletionStage<Done> terminated() {
    return terminated;
  }

  public InetSocketAddress address() {
    return address;
  }

  /** Our end of the connection, once connected; its host:port is the Via sent-by upstream. */
  public InetSocketAddress localAddress() {
    return localAddress;
  }

  /** {@code host:port} of our end, IPv6 in brackets, for the Via we insert; null until connected. */
  public String viaSentBy() {
    String cached = sentBy;
    if (cached != null) return cached;
    InetSocketAddress a = localAddress;
    if (a == null) return null;
    String h = a.getAddress().getHostAddress();
    if (h.indexOf(':') >= 0) {
      int pct = h.indexOf('%');
      h = "[" + (pct < 0 ? h : h.substring(0, pct)) + "]";
    }
    return sentBy = h + ":" + a.getPort(); // built once per connection, read by every call
  }

  public boolean isTls() {
    return tls;
  }

  private Transport transport() {
    return tls ? Transport.TLS : Transport.TCP;
  }

  public boolean isOpen() {
    return !closed && established.isDone() && !established.isCompletedExceptionally();
  }

  /** True once ClearIP has sent a response on this link (the link proved it works). */
  public boolean answered() {
    return answered;
  }

  /** Requests waiting for a final answer on this link. */
  public int inflight() {
    return path.waiting();
  }

  public int queueDepth() {
    return queue.size();
  }

  /** Requests in a row that timed out without any response arriving in between. */
  public int consecutiveTimeouts() {
    return consecutiveTimeouts.get();
  }

  public long nanosSinceLastResponse() {
    return System.nanoTime() - lastResponseNanos.get();
  }

  /**
   * Queues a request; its responses go to {@code callback} until {@link #forget} or a final
   * response to an INVITE or non-INVITE with that branch.
   */
  public Offer send(String branch, byte[] message, ClientTransactions.Callback callback) {
    if (!isOpen()) return Offer.CLOSED;
    // registered before it is queued: the answer can come before offer returns
    transactions.register(branch, path, callback);
    // read after the registration: a link that closed meanwhile may have told its calls before
    // this one was registered, which would then wait for no one; the table outlives the link
    Offer o = closed ? Offer.CLOSED : offer(message);
    if (o != Offer.ENQUEUED) transactions.forget(branch, path);
    return o;
  }

  /** Queues a message that expects no response of its own (ACK), or a CANCEL. */
  public Offer sendWithoutCallback(byte[] message) {
    if (!isOpen()) return Offer.CLOSED;
    return offer(message);
  }

  private Offer offer(byte[] message) {
    QueueOfferResult r = queue.offer(ByteString.fromArrayUnsafe(message));
    if (r == QueueOfferResult.enqueued()) return Offer.ENQUEUED;
    if (r == QueueOfferResult.dropped()) return Offer.FULL;
    return Offer.CLOSED;
  }

  /** Sends a CRLFCRLF keep-alive (RFC 5626 section 4.4.1). */
  public void keepAlive() {
    if (isOpen()) queue.offer(PING);
  }

  /** True when this link carries the request with that branch. */
  public boolean carries(String branch) {
    return transactions.isWaiting(branch, path);
  }

  /** Stops routing responses for this branch to its callback (call finished or gave up). */
  public void forget(String branch) {
    transactions.forget(branch, path);
  }

  /** The call behind this branch gave up waiting: counts towards recycling a wedged link. */
  public void timedOut(String branch) {
    if (transactions.forget(branch, path)) consecutiveTimeouts.incrementAndGet();
  }

  /** Closes the connection now; calls in flight are told the link is unavailable. */
  public void abort(String reason) {
    closed = true;
    UpstreamClosedException e = new UpstreamClosedException(reason);
    killSwitch.abort(e);
    if (!queue.isCompleted()) {
      try {
        queue.fail(e);
      } catch (IllegalStateException alreadyCompleted) {
        // completed concurrently by the stream: nothing left to fail
      }
    }
  }

  /** Closes gracefully once queued bytes are written. */
  public void close() {
    closed = true;
    if (!queue.isCompleted()) {
      try {
        queue.complete();
      } catch (IllegalStateException alreadyCompleted) {
        // the stream ended on its own
      }
    }
  }

  private void onFrame(SipStreamFramer.Frame f) {
    if (f instanceof SipStreamFramer.Frame.Message m) {
      onMessage(m.bytes());
    } else if (f instanceof SipStreamFramer.Frame.Error e) {
      log.warn("ClearIP connection {}: framing error ({}); reconnecting", address, e.reason());
      abort("framing error from ClearIP: " + e.reason());
    }
    // a ping from ClearIP would be answered by a pong; ClearIP sends pongs, not pings
  }

  /** On the stream, as the bytes go to the connection: a trace keeps requests before answers. */
  private ByteString tapOut(ByteString bytes) {
    MessageTap tap = taps.current();
    if (tap != MessageTap.NONE && bytes != PING) {
      tap.onMessage(MessageTap.Direction.OUT, transport(), localAddress, address,
          bytes.toArrayUnsafe());
    }
    return bytes;
  }

  private void onMessage(byte[] bytes) {
    MessageTap tap = taps.current();
    if (tap != MessageTap.NONE) {
      tap.onMessage(MessageTap.Direction.IN, transport(), localAddress, address, bytes);
    }
    Decoded d = decoder.decode(bytes, 0, bytes.length, SipDecoder.Framing.STREAM);
    if (d instanceof Decoded.Malformed m && !m.request()) {
      onUnusable(m);
      return;
    }
    if (!(d instanceof Decoded.Ok ok) || !(ok.message() instanceof SipResponse response)) {
      log.debug("ClearIP connection {}: ignoring a request", address);
      return;
    }
    lastResponseNanos.set(System.nanoTime());
    consecutiveTimeouts.set(0);
    answered = true;
    String branch = response.topViaBranch();
    if (!transactions.route(branch, response, path)) {
      answers.countUnmatched();
      log.debug("ClearIP connection {}: response {} for unknown branch {}", address,
          response.statusCode(), branch);
    }
  }

  /**
   * A response framed but not decodable (e.g. a 302 with more Contacts than the limits allow):
   * the call it answers gets 503 at once; the connection stays, its framing being sound.
   */
  private void onUnusable(Decoded.Malformed m) {
    unusable.incrementAndGet();
    answers.countUnusable();
    String branch = null;
    List<String> vias = m.context().vias();
    if (!vias.isEmpty()) {
      Via top = Via.parse(vias.get(0));
      if (top != null) branch = top.branch();
    }
    ClientTransactions.Callback l = transactions.take(branch, path);
    unusableLog.warn("ClearIP connection " + address + ": unusable answer (" + m.reason()
        + ")" + (l == null ? "; no call waits for it" : "; its call is answered 503"));
    if (l != null) {
      lastResponseNanos.set(System.nanoTime());
      consecutiveTimeouts.set(0);
      answered = true;
      l.onUnusable("ClearIP answer unusable: " + m.reason());
    }
  }

  /** Answers from ClearIP that could not be used, since this link opened. */
  public long unusableAnswers() {
    return unusable.get();
  }

  private static String reason(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    String m = c.getMessage();
    return m == null ? c.getClass().getSimpleName() : m;
  }

  /** Why a link was closed on purpose. */
  public static final class UpstreamClosedException extends RuntimeException {
    public UpstreamClosedException(String message) {
      super(message, null, false, false);
    }
  }
}
