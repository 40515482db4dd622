package clearip.proxy.streams.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns at once that a UDP destination has nothing listening on its port, from the ICMP
 * port-unreachable its host returns, so that a call fails over to its next destination instead of
 * waiting for the no-answer timer.
 *
 * <p>The JDK reports ICMP errors only on <em>connected</em> datagram sockets, and the SIP message
 * itself leaves from the listening socket (its source port is the one in the Via). So beside
 * every watched send, a CRLF keep-alive (RFC 5626's form; SIP stacks ignore it) leaves from a
 * socket of this watch connected to the same destination; when the kernel turns that socket's
 * error into a {@link PortUnreachableException}, every send to that destination watched within
 * {@link #WINDOW_NANOS} is reported {@link SendResult.Lost}.
 *
 * <p>Best effort: routers may not send ICMP, and hosts rate-limit it (Linux: about one a second
 * per peer after a short burst, loopback exempt); the no-answer timer still covers every case.
 * Everything runs on one thread with a selector, never on a dispatcher: callers only put a
 * request in a bounded queue. At most {@link #maxSockets} destinations are watched at once.
 */
final class PortUnreachableWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PortUnreachableWatch.class);
  private static final byte[] KEEPALIVE = {'\r', '\n', '\r', '\n'};
  /** How long after a send an ICMP error still fails it: several round trips of any network. */
  static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** A destination's socket not used this long is closed. */
  static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(10);
  /** Two sends this close together share one keep-alive. */
  private static final long PROBE_SPACING_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final long SELECT_MILLIS = 250;
  /**
   * While sends keep coming, the thread takes their requests this often instead of being woken
   * for each: at 1,800 in-line calls/s a wake-up per send was 5 % of a core, nearly all of it
   * the thread's switches in and out. A keep-alive leaves at most this much after its send;
   * failing over that much later is nothing beside the no-answer timer it shortens.
   */
  static final long BATCH_MILLIS = 20;
  /** Sends watched per destination at once (a window's worth at a few thousand calls/s). */
  private static final int MAX_WATCHERS = 8192;

  private record Request(InetSocketAddress destination, Consumer<SendResult> result) {}

  private record Watcher(Consumer<SendResult> result, long until) {}

  /** One watched destination: its connected socket and the sends that wait for its verdict. */
  private static final class Probe {
    final DatagramChannel channel;
    final ArrayDeque<Watcher> watchers = new ArrayDeque<>();
    long lastProbe;
    long lastUse;
    /** When its port was last found closed; 0 never. */
    long lastUnreachable;

    Probe(DatagramChannel channel) {
      this.channel = channel;
    }
  }

  private final int maxSockets;
  private final LongSupplier clock;
  private final TransportMetrics metrics;
  private final ArrayBlockingQueue<Request> requests;
  private final Map<InetSocketAddress, Probe> probes = new HashMap<>();
  private final Selector selector;
  private final Thread thread;
  private final ByteBuffer readBuffer = ByteBuffer.allocate(64);
  private final RateLimitedLog unreachable = new RateLimitedLog(log, 10, TimeUnit.SECONDS);
  private volatile boolean closed;
  /** True while the thread may sleep longer than {@link #BATCH_MILLIS}: a request wakes it. */
  private volatile boolean sleepingLong = true;
  private final java.util.concurrent.atomic.LongAdder wakeups =
      new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.AtomicBoolean started =
      new java.util.concurrent.atomic.AtomicBoolean();

  PortUnreachableWatch(int maxSockets, TransportMetrics metrics) throws IOException {
    this(maxSockets, metrics, System::nanoTime);
  }

  PortUnreachableWatch(int maxSockets, TransportMetrics metrics, LongSupplier clock)
      throws IOException {
    if (maxSockets <= 0) throw new IllegalArgumentException("maxSockets must be > 0");
    this.maxSockets = maxSockets;
    this.metrics = metrics;
    this.clock = clock;
    this.requests = new ArrayBlockingQueue<>(4 * maxSockets);
    this.selector = Selector.open();
    this.thread = new Thread(this::loop, "sip-udp-unreachable-watch");
    thread.setDaemon(true);
  }

  /**
   * Watches a datagram just sent to {@code destination}: {@code result} gets {@link
   * SendResult.Lost} if its port turns out closed. Never blocks; a request that finds the queue
   * full is not watched.
   */
  void watch(InetSocketAddress destination, Consumer<SendResult> result) {
    if (closed) return;
    if (!started.get() && started.compareAndSet(false, true)) thread.start(); // in-line only
    if (requests.offer(new Request(destination, result)) && sleepingLong) {
      sleepingLong = false;
      wakeups.increment();
      selector.wakeup();
    }
  }

  private void loop() {
    try {
      boolean took = false;
      while (!closed) {
        if (took) {
          selector.select(BATCH_MILLIS); // more will come: take them in a batch, unwoken
        } else {
          sleepingLong = true; // before the look at the queue: a request from now on wakes it
          if (!requests.isEmpty()) {
            selector.selectNow();
          } else {
            // asleep while nothing is watched (tls-proxy mode never watches)
            selector.select(probes.isEmpty() ? 0 : SELECT_MILLIS);
          }
        }
        long now = clock.getAsLong();
        Iterator<SelectionKey> ready = selector.selectedKeys().iterator();
        while (ready.hasNext()) {
          SelectionKey k = ready.next();
          ready.remove();
          readable(k, now);
        }
        Request r;
        took = false;
        while ((r = requests.poll()) != null) {
          took = true;
          start(r, now);
        }
        expire(now);
      }
    } catch (ClosedSelectorException e) {
      // closed
    } catch (IOException | RuntimeException e) {
      if (!closed) log.error("UDP port-unreachable watch stopped: {}", e.toString());
    } finally {
      for (Probe p : probes.values()) closeQuietly(p.channel);
      probes.clear();
    }
  }

  private void start(Request r, long now) {
    Probe p = probes.get(r.destination());
    if (p == null) {
      if (probes.size() >= maxSockets) return; // a bound on sockets: this send is not watched
      try {
        DatagramChannel ch = DatagramChannel.open();
        ch.configureBlocking(false);
        ch.connect(r.destination());
        ch.register(selector, SelectionKey.OP_READ, r.destination());
        p = new Probe(ch);
        probes.put(r.destination(), p);
      } catch (IOException | RuntimeException e) {
        return; // the send itself went out; only the early verdict is missing
      }
    }
    p.lastUse = now;
    if (p.lastUnreachable != 0 && now - p.lastUnreachable < PROBE_SPACING_NANOS) {
      // found closed a moment ago, by the keep-alive this send would have shared
      fail(r.destination(), 1);
      Callbacks.run(r.result(), lost(r.destination()));
      return;
    }
    if (p.watchers.size() >= MAX_WATCHERS) p.watchers.pollFirst(); // the oldest is nearly due
    p.watchers.addLast(new Watcher(r.result(), now + WINDOW_NANOS));
    if (now - p.lastProbe >= PROBE_SPACING_NANOS || p.lastProbe == 0) {
      p.lastProbe = now;
      try {
        p.channel.write(ByteBuffer.wrap(KEEPALIVE));
      } catch (PortUnreachableException e) {
        unreachable(r.destination(), p); // an error from an earlier keep-alive, still fresh
      } catch (IOException e) {
        // no route and the like: the send's own path reports what it can
      }
    }
  }

  private void readable(SelectionKey k, long now) {
    InetSocketAddress destination = (InetSocketAddress) k.attachment();
    Probe p = probes.get(destination);
    if (p == null) return;
    try {
      readBuffer.clear();
      p.channel.read(readBuffer); // a destination answering our keep-alive: ignored
    } catch (PortUnreachableException e) {
      unreachable(destination, p);
    } catch (IOException e) {
      // other ICMP errors (host/net unreachable) surface on the send's own socket or timer
    }
  }

  private void unreachable(InetSocketAddress destination, Probe p) {
    long now = clock.getAsLong();
    p.lastUnreachable = now;
    int failed = 0;
    for (Watcher w; (w = p.watchers.pollFirst()) != null; ) {
      if (w.until() - now < 0) continue;
      failed++;
      Callbacks.run(w.result(), lost(destination));
    }
    fail(destination, failed);
  }

  private static SendResult lost(InetSocketAddress destination) {
    return new SendResult.Lost("ICMP port unreachable from " + destination);
  }

  private void fail(InetSocketAddress destination, int failed) {
    if (failed == 0) return;
    for (int i = 0; i < failed; i++) metrics.sendFailed(Transport.UDP);
    unreachable.warn("UDP port " + destination + " is closed (ICMP port unreachable): "
        + failed + " send(s) failed at once", destination.getAddress());
  }

  private void expire(long now) {
    for (Iterator<Map.Entry<InetSocketAddress, Probe>> it = probes.entrySet().iterator();
        it.hasNext(); ) {
      Probe p = it.next().getValue();
      while (!p.watchers.isEmpty() && p.watchers.peekFirst().until() - now < 0) {
        p.watchers.pollFirst();
      }
      if (p.watchers.isEmpty() && now - p.lastUse > IDLE_NANOS) {
        closeQuietly(p.channel);
        it.remove();
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    started.set(true); // never started from now on; a running loop ends on the closed selector
    try {
      selector.close();
    } catch (IOException e) {
      // closing
    }
  }

  /** How often a request has woken the thread so far. */
  long wakeups() {
    return wakeups.sum();
  }

  private static void closeQuietly(DatagramChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // closing
    }
  }
}
