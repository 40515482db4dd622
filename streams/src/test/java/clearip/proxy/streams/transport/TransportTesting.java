package clearip.proxy.streams.transport;

import clearip.proxy.sip.message.SipMessage;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.pekko.actor.ActorSystem;

/** Helpers shared by the transport tests: a system, a recording handler, counting metrics. */
final class TransportTesting {
  static final Duration WAIT = Duration.ofSeconds(10);

  private TransportTesting() {}

  static ActorSystem system(String name) {
    return ActorSystem.create(name, ConfigFactory.parseString(
        "pekko.loglevel = WARNING\n"
            + "pekko.stdout-loglevel = WARNING\n"
            + "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]\n"
            + "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"\n")
        .withFallback(ConfigFactory.load()));
  }

  static void shutdown(ActorSystem system) throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static InetSocketAddress v4(int port) {
    return new InetSocketAddress("127.0.0.1", port);
  }

  static InetSocketAddress v6(int port) {
    return new InetSocketAddress("::1", port);
  }

  /** Listeners on ephemeral loopback ports only. */
  static ListenerSettings settings(List<InetSocketAddress> udp, List<InetSocketAddress> tcp,
      List<InetSocketAddress> tls) {
    return ListenerSettings.defaults().withAddresses(udp, tcp, tls);
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String options(String transport, String sentBy, boolean rport, String callId) {
    return "OPTIONS sip:proxy@127.0.0.1 SIP/2.0\r\n"
        + "Via: SIP/2.0/" + transport + " " + sentBy + ";branch=z9hG4bK-" + callId
        + (rport ? ";rport" : "") + "\r\n"
        + "Max-Forwards: 70\r\n"
        + "From: <sip:switch@example.com>;tag=f1\r\n"
        + "To: <sip:proxy@example.com>\r\n"
        + "Call-ID: " + callId + "\r\n"
        + "CSeq: 1 OPTIONS\r\n"
        + "Content-Length: 0\r\n"
        + "\r\n";
  }

  static String ok(String callId) {
    return "SIP/2.0 200 OK\r\n"
        + "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-" + callId + "\r\n"
        + "From: <sip:switch@example.com>;tag=f1\r\n"
        + "To: <sip:proxy@example.com>;tag=t1\r\n"
        + "Call-ID: " + callId + "\r\n"
        + "CSeq: 1 OPTIONS\r\n"
        + "Content-Length: 0\r\n"
        + "\r\n";
  }

  /** Reads one SIP message (header section + Content-Length body) from a blocking stream. */
  static String readMessage(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (true) {
      int c = in.read();
      if (c < 0) throw new IOException("closed after " + out.size() + " bytes: " + out);
      out.write(c);
      byte[] b = out.toByteArray();
      int n = b.length;
      if (n >= 4 && b[n - 4] == '\r' && b[n - 3] == '\n' && b[n - 2] == '\r' && b[n - 1] == '\n') {
        break;
      }
    }
    String head = out.toString(StandardCharsets.UTF_8);
    int cl = 0;
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        cl = Integer.parseInt(line.substring(15).trim());
      }
    }
    byte[] body = in.readNBytes(cl);
    return head + new String(body, StandardCharsets.UTF_8);
  }

  /** What the handler received. */
  record Inbound(SipMessage message, Origin origin) {
    SipRequest request() {
      return (SipRequest) message;
    }
  }

  /** Records every message; optionally answers requests through their origin. */
  static final class RecordingHandler implements InboundHandler {
    final LinkedBlockingQueue<Inbound> received = new LinkedBlockingQueue<>();
    final AtomicReference<Consumer<Inbound>> onRequest = new AtomicReference<>(i -> {});

    @Override
    public void onRequest(SipRequest request, Origin origin) {
      Inbound in = new Inbound(request, origin);
      received.add(in);
      onRequest.get().accept(in);
    }

    @Override
    public void onResponse(SipResponse response, Origin origin) {
      received.add(new Inbound(response, origin));
    }

    Inbound next() throws InterruptedException {
      Inbound in = received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      if (in == null) throw new AssertionError("no message within " + WAIT);
      return in;
    }
  }

  /** Counts every metric call; tests wait on a count with a bound. */
  static final class CountingMetrics implements TransportMetrics {
    private final java.util.Map<String, Long> counts = new java.util.HashMap<>();

    synchronized long count(String key) {
      return counts.getOrDefault(key, 0L);
    }

    synchronized void await(String key, long atLeast) throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (count(key) < atLeast) {
        long left = deadline - System.nanoTime();
        if (left <= 0) throw new AssertionError(key + " stayed at " + count(key));
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }

    private synchronized void inc(String key) {
      counts.merge(key, 1L, Long::sum);
      notifyAll();
    }

    @Override public void datagramIn() { inc("datagramIn"); }
    @Override public void datagramOut() { inc("datagramOut"); }
    @Override public void messageIn(Transport t) { inc("messageIn." + t); }
    @Override public void messageOut(Transport t) { inc("messageOut." + t); }
    @Override public void droppedByAccessList(Transport t) { inc("droppedByAccessList." + t); }
    @Override public void malformed(Transport t, boolean request) { inc("malformed." + t); }
    @Override public void connectionAccepted(Transport t) { inc("accepted." + t); }
    @Override public void connectionRefused(Transport t, Refusal r) { inc("refused." + r); }
    @Override public void connectionOpened(Transport t, boolean out) { inc("opened." + t); }
    @Override public void connectionClosed(Transport t, boolean out) { inc("closed." + t); }
    @Override public void queueFull(Transport t) { inc("queueFull." + t); }
    @Override public void sendFailed(Transport t) { inc("sendFailed." + t); }
  }

  /** A send result as a future. */
  static CompletableFuture<SendResult> send(Sender sender, Transport t, InetSocketAddress to,
      String serverName, String message) {
    CompletableFuture<SendResult> f = new CompletableFuture<>();
    sender.send(t, to, serverName, bytes(message), r -> {
      if (!f.complete(r)) throw new AssertionError("result reported twice: " + r);
    });
    return f;
  }
}
