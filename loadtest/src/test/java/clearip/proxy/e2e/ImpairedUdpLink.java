package clearip.proxy.e2e;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A lossy, slow UDP path between a switch and the proxy, on loopback, for tests where the kernel
 * has no {@code tc netem}: the switch sends to {@link #switchSide()}, the proxy sees the link's
 * other socket as the switch. Every datagram is delivered after {@code delay}; the first copy of
 * every {@code dropEvery}-th distinct message of each direction (told apart by its first line, Call-ID and CSeq) is
 * dropped, never a retransmission of it, so whatever the timing each message gets through by its
 * second copy and a test cannot fail by chance. ACKs always pass: SIPp forgets a call once it has
 * sent its ACK, so it could not answer the proxy's retransmitted final with another ACK as a
 * switch does (the proxy's side of that is in the call tests).
 */
final class ImpairedUdpLink implements AutoCloseable {
  private final DatagramChannel switchSide;
  private final DatagramChannel proxySide;
  private final InetSocketAddress proxy;
  private final long delayMillis;
  private final int dropEvery;
  private final ScheduledThreadPoolExecutor later = new ScheduledThreadPoolExecutor(1);
  private final Set<String> seen = new HashSet<>();
  private final AtomicInteger distinctToProxy = new AtomicInteger();
  private final AtomicInteger distinctToSwitch = new AtomicInteger();
  private final AtomicInteger droppedToProxy = new AtomicInteger();
  private final AtomicInteger droppedToSwitch = new AtomicInteger();
  private volatile SocketAddress switchAddress;
  private volatile boolean closed;

  ImpairedUdpLink(InetSocketAddress proxy, long delayMillis, int dropEvery) throws IOException {
    this.proxy = proxy;
    this.delayMillis = delayMillis;
    this.dropEvery = dropEvery;
    InetAddress lo = InetAddress.getLoopbackAddress();
    switchSide = DatagramChannel.open().bind(new InetSocketAddress(lo, 0));
    proxySide = DatagramChannel.open().bind(new InetSocketAddress(lo, 0));
    later.setMaximumPoolSize(1);
    start("link-to-proxy", switchSide, true);
    start("link-to-switch", proxySide, false);
  }

  InetSocketAddress switchSide() throws IOException {
    return (InetSocketAddress) switchSide.getLocalAddress();
  }

  int droppedToProxy() {
    return droppedToProxy.get();
  }

  int droppedToSwitch() {
    return droppedToSwitch.get();
  }

  private void start(String name, DatagramChannel in, boolean toProxy) {
    Thread t = new Thread(() -> {
      ByteBuffer buf = ByteBuffer.allocate(65_536);
      while (!closed) {
        try {
          buf.clear();
          SocketAddress from = in.receive(buf);
          if (toProxy) switchAddress = from;
          buf.flip();
          byte[] datagram = new byte[buf.remaining()];
          buf.get(datagram);
          if (drop(datagram, toProxy)) {
            (toProxy ? droppedToProxy : droppedToSwitch).incrementAndGet();
            continue;
          }
          later.schedule(() -> forward(datagram, toProxy), delayMillis, TimeUnit.MILLISECONDS);
        } catch (IOException e) {
          return; // closed
        }
      }
    }, name);
    t.setDaemon(true);
    t.start();
  }

  private void forward(byte[] datagram, boolean toProxy) {
    try {
      if (toProxy) {
        proxySide.send(ByteBuffer.wrap(datagram), proxy);
      } else if (switchAddress != null) {
        switchSide.send(ByteBuffer.wrap(datagram), switchAddress);
      }
    } catch (IOException e) {
      // closed
    }
  }

  /** The first copy of every dropEvery-th distinct message of a direction. */
  private synchronized boolean drop(byte[] datagram, boolean toProxy) {
    String text = new String(datagram, StandardCharsets.ISO_8859_1);
    int eol = text.indexOf("\r\n");
    if (eol < 0) return false;
    String key = text.substring(0, eol) + "|" + header(text, "Call-ID") + "|"
        + header(text, "CSeq");
    if (key.startsWith("ACK ")) return false; // see the class comment
    if (!seen.add(key)) return false; // a retransmission always passes
    int n = (toProxy ? distinctToProxy : distinctToSwitch).incrementAndGet();
    return n % dropEvery == 0;
  }

  private static String header(String text, String name) {
    int i = text.indexOf("\r\n" + name + ":");
    if (i < 0) return "";
    int end = text.indexOf("\r\n", i + 2);
    return text.substring(i + name.length() + 3, end < 0 ? text.length() : end).trim();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    later.shutdownNow();
    switchSide.close();
    proxySide.close();
  }
}
