package clearip.proxy.streams.transport;

import clearip.proxy.sip.codec.SipDecoder;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.io.Inet;
import org.apache.pekko.io.Udp;
import org.apache.pekko.io.UdpMessage;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One UDP listening socket, on Pekko classic IO: a handler actor owns the socket, checks each
 * datagram's source against the allow-list before parsing, and hands it to the intake. Replies
 * and {@link Sender} datagrams leave from this socket (RFC 3261 section 18.2.2 and the NAT
 * bindings of RFC 3581 depend on it).
 *
 * <p>Why classic IO and not a raw {@code DatagramChannel}: it shares Pekko's selector and
 * buffer pool, needs no thread of its own, and its one-pending-write rule is already a bounded
 * send queue with a named overflow ({@code CommandFailed}, counted as queue-full). UDP cannot be
 * backpressured on the wire anyway; the escape hatch if one selector becomes the limit is several
 * sockets with SO_REUSEPORT, measured first.
 */
final class UdpListener {
  private static final Logger log = LoggerFactory.getLogger(UdpListener.class);
  private static final AtomicInteger ids = new AtomicInteger();

  private final TransportMetrics metrics;
  private final MessageTaps taps;
  private final CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
  private final CompletableFuture<Void> unbound = new CompletableFuture<>();
  private final ActorRef handler;
  private volatile ActorRef socket;
  private volatile InetSocketAddress local;

  private UdpListener(ClassicActorSystemProvider system, InetSocketAddress address,
      int receiveBufferSize, MessageIntake intake, Supplier<AccessList> accessList,
      TransportMetrics metrics) {
    this.metrics = metrics;
    this.taps = MessageTaps.get(system);
    ExtendedActorSystem classic = (ExtendedActorSystem) system.classicSystem();
    // a system actor: works under both classic and typed systems (no user guardian needed)
    this.handler = classic.systemActorOf(
        Props.create(Handler.class,
            () -> new Handler(this, address, receiveBufferSize, intake, accessList)),
        "sip-udp-" + ids.incrementAndGet());
  }

  static UdpListener bind(ClassicActorSystemProvider system, InetSocketAddress address,
      int receiveBufferSize, MessageIntake intake, Supplier<AccessList> accessList,
      TransportMetrics metrics) {
    return new UdpListener(system, address, receiveBufferSize, intake, accessList, metrics);
  }

  CompletionStage<InetSocketAddress> bound() {
    return bound;
  }

  InetSocketAddress localAddress() {
    return local;
  }

  boolean isBound() {
    return socket != null && !unbound.isDone();
  }

  /** True when this socket can send to {@code target}'s address family. */
  boolean canReach(InetSocketAddress target) {
    InetSocketAddress l = local;
    if (l == null) return false;
    boolean v6Target = target.getAddress() instanceof Inet6Address;
    boolean v6Local = l.getAddress() instanceof Inet6Address;
    // an IPv6 wildcard socket is dual-stack on the platforms we run on
    return v6Target == v6Local || (v6Local && l.getAddress().isAnyLocalAddress());
  }

  /** Sends a datagram without a result (replies, stateless responses). */
  boolean send(byte[] message, InetSocketAddress target) {
    ActorRef s = socket;
    if (s == null || unbound.isDone()) return false;
    tapOut(message, target);
    s.tell(UdpMessage.send(ByteString.fromArrayUnsafe(message), target), handler);
    metrics.datagramOut();
    metrics.messageOut(Transport.UDP);
    return true;
  }

  /** Sends a datagram and reports Sent once the socket wrote it, Failed if it could not. */
  void send(byte[] message, InetSocketAddress target, Consumer<SendResult> result) {
    ActorRef s = socket;
    if (s == null || unbound.isDone()) {
      metrics.sendFailed(Transport.UDP);
      Callbacks.run(result, new SendResult.Failed("UDP socket not bound"));
      return;
    }
    tapOut(message, target);
    s.tell(UdpMessage.send(ByteString.fromArrayUnsafe(message), target, new Ack(result)),
        handler);
    metrics.datagramOut();
    metrics.messageOut(Transport.UDP);
  }

  /**
   * Before the datagram goes to the socket, so that a trace never shows an answer before its
   * request; a datagram the socket then refuses (counted as queue-full) is still traced.
   */
  private void tapOut(byte[] message, InetSocketAddress target) {
    MessageTap tap = taps.current();
    if (tap != MessageTap.NONE) {
      tap.onMessage(MessageTap.Direction.OUT, Transport.UDP, local, target, message);
    }
  }

  CompletionStage<Void> unbind() {
    handler.tell(Unbind.INSTANCE, ActorRef.noSender());
    return unbound;
  }

  /** The socket's confirmation that a datagram was written. */
  private record Ack(Consumer<SendResult> result) implements Udp.Event {}

  private enum Unbind { INSTANCE }

  /** Owns the socket; runs on the default dispatcher, never on the selector thread. */
  static final class Handler extends AbstractActor {
    private final UdpListener listener;
    private final InetSocketAddress address;
    private final int receiveBufferSize;
    private final MessageIntake intake;
    private final Supplier<AccessList> accessList;

    Handler(UdpListener listener, InetSocketAddress address, int receiveBufferSize,
        MessageIntake intake, Supplier<AccessList> accessList) {
      this.listener = listener;
      this.address = address;
      this.receiveBufferSize = receiveBufferSize;
      this.intake = intake;
      this.accessList = accessList;
    }

    @Override
    public void preStart() {
      List<Inet.SocketOption> options = receiveBufferSize > 0
          ? List.of(org.apache.pekko.io.UdpSO.receiveBufferSize(receiveBufferSize)) : List.of();
      Udp.get(getContext().getSystem()).getManager()
          .tell(UdpMessage.bind(getSelf(), address, options), getSelf());
    }

    @Override
    public void postStop() {
      listener.unbound.complete(null);
      listener.bound.completeExceptionally(new BindException("UDP listener stopped"));
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(Udp.Received.class, this::onDatagram)
          .match(Ack.class, a -> Callbacks.run(a.result(), SendResult.Sent.INSTANCE))
          .match(Udp.Bound.class, b -> {
            listener.socket = getSender();
            listener.local = b.localAddress();
            log.info("Listening for SIP over UDP on {}", b.localAddress());
            listener.bound.complete(b.localAddress());
          })
          .match(Udp.CommandFailed.class, this::onCommandFailed)
          .match(Unbind.class, u -> {
            ActorRef s = listener.socket;
            if (s == null) {
              getContext().stop(getSelf());
            } else {
              s.tell(UdpMessage.unbind(), getSelf());
            }
          })
          .match(Udp.Unbound.class, u -> getContext().stop(getSelf()))
          .build();
    }

    private void onDatagram(Udp.Received r) {
      listener.metrics.datagramIn();
      InetSocketAddress source = r.sender();
      if (!accessList.get().allows(source.getAddress())) {
        listener.metrics.droppedByAccessList(Transport.UDP);
        if (log.isDebugEnabled()) log.debug("Dropped UDP datagram from {}: not on the allow-list",
            source);
        return;
      }
      byte[] b = r.data().toArrayUnsafe();
      if (SipDecoder.isKeepAlive(b, 0, b.length)) return; // RFC 5626 CRLF keep-alive
      MessageTap tap = listener.taps.current();
      if (tap != MessageTap.NONE) {
        tap.onMessage(MessageTap.Direction.IN, Transport.UDP, listener.local, source, b);
      }
      intake.onMessage(b, 0, b.length, SipDecoder.Framing.DATAGRAM,
          new UdpOrigin(listener, source));
    }

    private void onCommandFailed(Udp.CommandFailed f) {
      if (f.cmd() instanceof Udp.Bind) {
        listener.bound.completeExceptionally(
            new BindException("cannot bind UDP " + address));
        getContext().stop(getSelf());
      } else if (f.cmd() instanceof Udp.Send s) {
        // the socket's single pending write is busy: the datagram is dropped
        listener.metrics.queueFull(Transport.UDP);
        if (s.ack() instanceof Ack a) {
          listener.metrics.sendFailed(Transport.UDP);
          Callbacks.run(a.result(), new SendResult.Failed("UDP socket send buffer full"));
        }
      }
    }
  }

  /** Where a datagram came from; replies go back from the same socket. */
  private record UdpOrigin(UdpListener listener, InetSocketAddress remote) implements Origin {
    @Override
    public Transport transport() {
      return Transport.UDP;
    }

    @Override
    public InetSocketAddress local() {
      return listener.local;
    }

    @Override
    public boolean reply(byte[] message) {
      return listener.send(message, remote);
    }

    @Override
    public boolean isOpen() {
      return listener.isBound();
    }
  }
}
