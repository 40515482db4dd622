package clearip.proxy.streams.transport;

import clearip.proxy.sip.codec.SipDecoder;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One UDP listening socket. A reader thread of its own receives each datagram, checks its source
 * against the allow-list before parsing, and hands it to the intake on that same thread (decode,
 * then the inbound handler, which never blocks). Replies and {@link Sender} datagrams leave from
 * this socket (RFC 3261 section 18.2.2 and the NAT bindings of RFC 3581 depend on it), written by
 * the caller's thread with a non-blocking send: a full socket buffer drops the datagram and counts
 * it as queue-full, as UDP would on the wire.
 *
 * <p>Why a thread and not Pekko classic IO: under overload the proxy must read and answer (or
 * refuse) every datagram before the kernel's receive buffer overflows, and every dropped INVITE
 * costs the switch a 500 ms retransmission. Through classic IO each datagram crossed the selector
 * thread and an actor mailbox, competing with the calls for dispatcher time; the kernel dropped
 * datagrams at twice the sustainable rate. A thread that only reads, decodes and routes keeps pace
 * and costs two actor hops less per message. Its only blocking call is
 * {@link Selector#select()}, on its own thread, never on a dispatcher.
 *
 * <p>Overload control asks how long datagrams wait in the kernel before the reader takes them:
 * {@link #probeIntake} sends the socket numbered probe datagrams from a loopback socket of its
 * own, which the reader recognises by their source and counts nowhere ({@link IntakeProbes}).
 */
final class UdpListener {
  private static final Logger log = LoggerFactory.getLogger(UdpListener.class);
  private static final AtomicInteger ids = new AtomicInteger();
  /** Larger than any UDP payload, so a datagram is never truncated. */
  private static final int MAX_DATAGRAM = 65_536;

  private final TransportMetrics metrics;
  private final MessageTaps taps;
  private final MessageIntake intake;
  private final Supplier<AccessList> accessList;
  private final CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
  private final CompletableFuture<Void> unbound = new CompletableFuture<>();
  private final RateLimitedLog sendErrors = new RateLimitedLog(log, 10, TimeUnit.SECONDS);
  private final RateLimitedLog readErrors = new RateLimitedLog(log, 10, TimeUnit.SECONDS);
  private final RateLimitedLog notAllowed = new RateLimitedLog(log, 10, TimeUnit.SECONDS);
  private volatile DatagramChannel channel;
  private volatile Selector selector;
  private volatile InetSocketAddress local;
  /** Where the intake probes come from (set once the first is sent), and their socket. */
  private volatile InetSocketAddress probeFrom;
  private volatile DatagramChannel probeChannel;
  private volatile boolean closing;
  private final IntakeProbes probes = new IntakeProbes();

  private UdpListener(ClassicActorSystemProvider system, MessageIntake intake,
      Supplier<AccessList> accessList, TransportMetrics metrics) {
    this.metrics = metrics;
    this.taps = MessageTaps.get(system);
    this.intake = intake;
    this.accessList = accessList;
  }

  /**
   * Binds the socket now and starts its reader; {@link #bound()} fails with a
   * {@link BindException} when the address cannot be bound. The socket is closed when the actor
   * system terminates, if not before.
   */
  static UdpListener bind(ClassicActorSystemProvider system, InetSocketAddress address,
      int receiveBufferSize, MessageIntake intake, Supplier<AccessList> accessList,
      TransportMetrics metrics) {
    UdpListener l = new UdpListener(system, intake, accessList, metrics);
    l.open(address, receiveBufferSize);
    if (l.bound.isDone() && !l.bound.isCompletedExceptionally()) {
      system.classicSystem().registerOnTermination(l::unbind);
    }
    return l;
  }

  private void open(InetSocketAddress address, int receiveBufferSize) {
    DatagramChannel ch = null;
    try {
      ch = DatagramChannel.open();
      if (receiveBufferSize > 0) ch.setOption(StandardSocketOptions.SO_RCVBUF, receiveBufferSize);
      ch.bind(address);
      ch.configureBlocking(false);
      Selector sel = Selector.open();
      ch.register(sel, SelectionKey.OP_READ);
      channel = ch;
      selector = sel;
      local = (InetSocketAddress) ch.getLocalAddress();
    } catch (IOException | RuntimeException e) {
      closeQuietly(ch);
      unbound.complete(null);
      bound.completeExceptionally(new ListenerBindException(Transport.UDP, address, e));
      return;
    }
    int rcvbuf = receiveBufferOf(channel);
    // the proxy says where it listens in one line, when all its listeners are bound
    log.debug("Listening for SIP over UDP on {} (receive buffer {} bytes)", local, rcvbuf);
    if (receiveBufferSize > 0 && rcvbuf < receiveBufferSize) {
      // Linux caps SO_RCVBUF at net.core.rmem_max without saying so
      log.warn("UDP receive buffer on {} is {} bytes, {} were asked for: raise "
          + "net.core.rmem_max to absorb bursts", local, rcvbuf, receiveBufferSize);
    }
    Thread reader = new Thread(this::readLoop, "sip-udp-" + ids.incrementAndGet() + "-"
        + local.getPort());
    reader.setDaemon(true);
    reader.start();
    bound.complete(local);
  }

  private static int receiveBufferOf(DatagramChannel ch) {
    try {
      return ch.getOption(StandardSocketOptions.SO_RCVBUF);
    } catch (IOException e) {
      return -1;
    }
  }

  CompletionStage<InetSocketAddress> bound() {
    return bound;
  }

  InetSocketAddress localAddress() {
    return local;
  }

  boolean isBound() {
    return channel != null && !closing;
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
    return write(message, target) == null;
  }

  /** Sends a datagram and reports Sent once the socket took it, Failed if it could not. */
  void send(byte[] message, InetSocketAddress target, Consumer<SendResult> result) {
    String failure = write(message, target);
    if (failure == null) {
      Callbacks.run(result, SendResult.Sent.INSTANCE);
    } else {
      metrics.sendFailed(Transport.UDP);
      Callbacks.run(result, new SendResult.Failed(failure));
    }
  }

  /** Writes one datagram; null when the socket took it, else why not. */
  private String write(byte[] message, InetSocketAddress target) {
    DatagramChannel ch = channel;
    if (ch == null || closing) return "UDP socket not bound";
    tapOut(message, target);
    try {
      if (ch.send(ByteBuffer.wrap(message), target) == 0) {
        metrics.queueFull(Transport.UDP);
        return "UDP socket send buffer full";
      }
    } catch (ClosedChannelException e) {
      return "UDP socket closed";
    } catch (IOException | RuntimeException e) {
      // e.g. no route to an address the switch gave us: the caller decides, we only count
      sendErrors.warn("UDP send from " + local + " to " + target + " failed: " + e);
      return "UDP send failed: " + e.getMessage();
    }
    metrics.datagramOut();
    metrics.messageOut(Transport.UDP);
    return null;
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

  /**
   * Sends one probe datagram to this socket from a loopback socket of its own. It queues behind
   * whatever waits in the kernel's receive buffer, so the time until the reader takes it is the
   * time a new INVITE waits there now; see {@link #intakeWaitNanos}.
   */
  void probeIntake(long now) {
    if (!isBound()) return;
    probes.send(now, this::sendProbe);
  }

  /**
   * How long new datagrams wait in the kernel before the reader takes them: the age of the oldest
   * probe not yet read, 0 when none is outstanding.
   */
  long intakeWaitNanos(long now) {
    return probes.waitNanos(now);
  }

  private boolean sendProbe(ByteBuffer payload) {
    try {
      DatagramChannel ch = probeChannel;
      if (ch == null) {
        InetSocketAddress l = local;
        java.net.InetAddress to = l.getAddress().isAnyLocalAddress()
            ? java.net.InetAddress.getLoopbackAddress() : l.getAddress();
        ch = DatagramChannel.open();
        ch.bind(new InetSocketAddress(to, 0));
        ch.connect(new InetSocketAddress(to, l.getPort()));
        ch.configureBlocking(false);
        probeFrom = (InetSocketAddress) ch.getLocalAddress();
        probeChannel = ch;
      }
      return ch.write(payload) > 0;
    } catch (IOException | RuntimeException e) {
      // without probes the wait reads 0: overload control then rests on the dispatcher alone
      readErrors.warn("UDP intake probe to " + local + " failed: " + e);
      return false;
    }
  }

  /** Stops reading and closes the socket; completes once the reader has ended. */
  CompletionStage<Void> unbind() {
    closing = true;
    Selector sel = selector;
    if (sel != null) sel.wakeup();
    return unbound;
  }

  private void readLoop() {
    DatagramChannel ch = channel;
    Selector sel = selector;
    ByteBuffer buf = ByteBuffer.allocateDirect(MAX_DATAGRAM);
    try {
      while (!closing) {
        SocketAddress from;
        try {
          buf.clear();
          from = ch.receive(buf);
        } catch (ClosedChannelException e) {
          break;
        } catch (IOException e) {
          readErrors.warn("UDP receive on " + local + " failed: " + e);
          continue;
        }
        if (from == null) {
          probes.drained(); // nothing queued: a probe not read by now was dropped
          sel.select(); // wait for the next datagram or unbind's wakeup
          sel.selectedKeys().clear();
          continue;
        }
        buf.flip();
        if (from.equals(probeFrom)) {
          probes.received(buf);
          continue;
        }
        onDatagram(buf, (InetSocketAddress) from);
      }
    } catch (IOException | RuntimeException | Error e) {
      log.error("UDP reader on {} stopped: {}", local, e.toString(), e);
    } finally {
      closing = true;
      closeQuietly(sel);
      closeQuietly(ch);
      closeQuietly(probeChannel);
      log.debug("Stopped listening for SIP over UDP on {}", local);
      unbound.complete(null);
      bound.completeExceptionally(new BindException("UDP listener stopped"));
    }
  }

  private void onDatagram(ByteBuffer buf, InetSocketAddress source) {
    metrics.datagramIn();
    if (!accessList.get().allows(source.getAddress())) {
      metrics.droppedByAccessList(Transport.UDP);
      notAllowed.warn("Dropped a UDP datagram from " + source + ": not on the allow-list",
          source.getAddress());
      return;
    }
    byte[] b = new byte[buf.remaining()]; // the message owns its bytes from here on
    buf.get(b);
    if (SipDecoder.isKeepAlive(b, 0, b.length)) return; // RFC 5626 CRLF keep-alive
    MessageTap tap = taps.current();
    if (tap != MessageTap.NONE) {
      tap.onMessage(MessageTap.Direction.IN, Transport.UDP, local, source, b);
    }
    try {
      intake.onMessage(b, 0, b.length, SipDecoder.Framing.DATAGRAM, new UdpOrigin(this, source));
    } catch (RuntimeException e) {
      // a bug, not bad input: one datagram is lost, the socket keeps reading
      readErrors.warn("UDP datagram from " + source + " could not be handled: " + e);
      log.debug("UDP datagram handling failed", e);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) return;
    try {
      c.close();
    } catch (Exception e) {
      log.debug("close failed", e);
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
