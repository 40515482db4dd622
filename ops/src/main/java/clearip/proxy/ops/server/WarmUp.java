package clearip.proxy.ops.server;

import clearip.proxy.actors.admission.LoadShedder;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.config.WarmUpSettings;
import clearip.proxy.ops.metrics.ProxyMetrics;
import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.header.HeaderName;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.message.SipResponses;
import clearip.proxy.streams.tls.LoopbackTls;
import clearip.proxy.streams.transport.AccessList;
import clearip.proxy.streams.transport.BoundAddresses;
import clearip.proxy.streams.transport.InboundHandler;
import clearip.proxy.streams.transport.ListenerSettings;
import clearip.proxy.streams.transport.MessageTap;
import clearip.proxy.streams.transport.MessageTaps;
import clearip.proxy.streams.transport.Origin;
import clearip.proxy.streams.transport.Transport;
import clearip.proxy.streams.transport.TransportEndpoints;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warms a freshly started proxy: runs calls through a second, private copy of it on loopback
 * (the real listeners, decoder, call actors, TLS connection to "ClearIP" and, in-line, the
 * sender to destinations), with the switch, ClearIP and the destinations played in-process,
 * until the JIT has compiled what those calls run ({@link LoadShedder#JIT_BUSY_MILLIS}, the
 * measure the overload control uses for "still compiling") or the time is up. The code is
 * shared with the real proxy, so it is compiled for it too; the copy's meters, call log and
 * actor system are its own and are thrown away. Nothing leaves 127.0.0.1: every address is a
 * loopback literal, and a tap on every message counts any other.
 */
public final class WarmUp {
  private static final Logger log = LoggerFactory.getLogger(WarmUp.class);
  /** Calls the switch keeps in flight at once. */
  private static final int WINDOW = 100;
  /** A call without its answers for this long is given up (a datagram lost). */
  private static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(4);
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  /**
   * What the warm-up did.
   *
   * @param calls calls completed through the private copy
   * @param quiet whether it ended because the JIT went quiet (rather than at max-time)
   * @param nonLoopback messages seen to or from an address that is not loopback (always 0)
   * @param unanswered calls given up on (their answers lost or never sent)
   */
  public record Result(long calls, Duration took, boolean quiet, long nonLoopback,
      long unanswered) {}

  private final ProxyConfig real;
  private final WarmUpSettings settings;
  private final MessageTap observer;
  private final AtomicLong nonLoopback = new AtomicLong();
  private volatile boolean cancelled;

  /**
   * @param observer sees every message of the copy and its peers, or {@link MessageTap#NONE}
   *     (a tap costs the real proxy a recompilation of every tap point once it takes calls, so
   *     only tests watch)
   */
  WarmUp(ProxyConfig real, WarmUpSettings settings, MessageTap observer) {
    this.real = real;
    this.settings = settings;
    this.observer = observer;
  }

  /** Ends the warm-up at its next step (the proxy is stopping). */
  void cancel() {
    cancelled = true;
  }

  /** Counts every message whose peer is not a loopback address, and shows it to the observer. */
  private void guard(MessageTap.Direction direction, Transport transport,
      InetSocketAddress local, InetSocketAddress remote, byte[] message) {
    if (remote != null && !remote.getAddress().isLoopbackAddress()) {
      nonLoopback.incrementAndGet();
    }
    observer.onMessage(direction, transport, local, remote, message);
  }

  /** Runs the warm-up on the calling thread; every part it started is stopped when it returns. */
  Result run() throws Exception {
    long start = System.nanoTime();
    boolean inline = real.mode() == ProxyConfig.Mode.INLINE;
    LoopbackTls tls = LoopbackTls.create();
    ActorSystem<Void> peers = ActorSystem.create(Behaviors.empty(), "clearip-proxy-warmup-peers",
        ConfigFactory.parseString("pekko.loglevel = WARNING\npekko.log-dead-letters = 0\n"
            + "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]")
            .withFallback(ConfigFactory.load()));
    boolean watched = observer != MessageTap.NONE;
    MessageTap guard = this::guard;
    if (watched) MessageTaps.get(peers).install(guard);
    List<TransportEndpoints> fakes = new ArrayList<>();
    ProxyServer copy = null;
    ProxyMetrics metrics = new ProxyMetrics();
    try {
      int destinationPort = 0;
      if (inline) {
        TransportEndpoints udp = endpoints(peers, new Destination(),
            List.of(new InetSocketAddress(LOOPBACK, 0)), List.of(), List.of(), null);
        fakes.add(udp);
        destinationPort = udp.start().toCompletableFuture().get(10, TimeUnit.SECONDS).udp().get(0)
            .getPort();
      }
      TransportEndpoints clearIp = endpoints(peers, new ClearIp(inline, destinationPort),
          List.of(), List.of(), List.of(new InetSocketAddress(LOOPBACK, 0)), tls);
      fakes.add(clearIp);
      int clearIpPort = clearIp.start().toCompletableFuture().get(10, TimeUnit.SECONDS).tls()
          .get(0).getPort();

      ProxyConfig config = real.with(ConfigFactory.parseString(overrides(clearIpPort)));
      copy = ProxyServer.startCopy(config, metrics, tls.client(),
          watched ? guard : MessageTap.NONE)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      if (!copy.awaitUpstream(Duration.ofSeconds(10))) {
        throw new IOException("the warm-up's loopback ClearIP did not connect");
      }
      InetSocketAddress proxy = copy.bound().udp().get(0);
      return drive(proxy, inline, start);
    } finally {
      if (copy != null) stopQuietly(copy.stop());
      for (TransportEndpoints f : fakes) stopQuietly(f.stop());
      peers.terminate();
      stopQuietly(peers.getWhenTerminated());
      metrics.close();
      settle();
    }
  }

  /**
   * Lets the JIT finish what the teardown gave it (at most a second), so that its compilations
   * do not take the CPU from the first real calls.
   */
  private static void settle() {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    if (jit == null || !jit.isCompilationTimeMonitoringSupported()) return;
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    long before = jit.getTotalCompilationTime();
    while (System.nanoTime() - end < 0) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      long now = jit.getTotalCompilationTime();
      if (now - before < LoadShedder.JIT_BUSY_MILLIS / 10) return; // under 5 ms in 100 ms
      before = now;
    }
  }

  /**
   * The copy's configuration: the real one (mode, limits, timers, in-line settings) on loopback
   * only, talking to the loopback ClearIP, with no admin endpoint, no traces and no overload
   * control (its calls are the load).
   */
  static String overrides(int clearIpPort) {
    return String.join("\n",
        "clearip-proxy.listen.udp = [\"127.0.0.1:0\"]",
        "clearip-proxy.listen.tcp = []",
        "clearip-proxy.listen.tls = []",
        "clearip-proxy.listen.advertise = \"127.0.0.1\"",
        "clearip-proxy.access.allow = [\"127.0.0.0/8\"]",
        "clearip-proxy.upstream.uri = \"sip:127.0.0.1:" + clearIpPort + ";transport=tls\"",
        "clearip-proxy.admin.listen = \"\"",
        // in-line: to destinations over UDP (INVITEs over TCP stalled the copy's calls, see
        // docs/perf/log.md); the TCP path to destinations is not warmed
        "clearip-proxy.inline.udp-max-size = 0",
        "clearip-proxy.trace.enabled = off",
        "clearip-proxy.trace.hep.collector = \"\"",
        "clearip-proxy.calls.max-dispatch-delay = 0",
        "clearip-proxy.warmup.enabled = off");
  }

  private static TransportEndpoints endpoints(ActorSystem<Void> system, InboundHandler handler,
      List<InetSocketAddress> udp, List<InetSocketAddress> tcp, List<InetSocketAddress> tlsAt,
      LoopbackTls tls) {
    TransportEndpoints.Builder b = TransportEndpoints.builder(system, handler)
        .listeners(ListenerSettings.defaults().withAddresses(udp, tcp, tlsAt))
        .accessList(AccessList.LOOPBACK_ONLY);
    if (tls != null) b.tlsServer(tls.server()::newEngine);
    return b.build();
  }

  private static void stopQuietly(java.util.concurrent.CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.debug("warm-up part did not stop cleanly: {}", e.toString());
    }
  }

  // ---- the switch ---------------------------------------------------------------------------

  /** Calls through the copy, WINDOW at a time, until warm or out of time. */
  private Result drive(InetSocketAddress proxy, boolean inline, long start) throws IOException {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
    long minEnd = start + settings.minTime().toNanos();
    long maxEnd = start + settings.maxTime().toNanos();
    SipDecoder decoder = new SipDecoder();
    Map<Long, Long> inFlight = new HashMap<>();
    long next = 0;
    long done = 0;
    long unanswered = 0;
    long sampledAt = System.nanoTime();
    long compiledThen = timed ? jit.getTotalCompilationTime() : 0;
    boolean quiet = false;
    boolean quietBefore = false;
    byte[] buf = new byte[65_535];
    try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
      socket.setSoTimeout(20);
      // not connected: the copy's keep-alives beside its UDP sends come from other ports, and a
      // connected socket would have the kernel answer them "port unreachable"
      Switch sw = new Switch(socket, proxy, inline);
      while (!cancelled && nonLoopback.get() == 0) {
        long now = System.nanoTime();
        if (now - maxEnd >= 0) break;
        if (now - sampledAt >= 1_000_000_000L) {
          long compiled = timed ? jit.getTotalCompilationTime() : 0;
          log.debug("warm-up: {} calls done, {} in flight, {} unanswered, JIT {} ms in the last "
              + "second", done, inFlight.size(), unanswered, compiled - compiledThen);
          boolean busy = (compiled - compiledThen) * 1_000_000_000L
              > LoadShedder.JIT_BUSY_MILLIS * (now - sampledAt);
          // quiet two seconds in a row: one quiet second may be a pause between tiers
          if (!busy && quietBefore && now - minEnd >= 0) {
            quiet = true;
            break;
          }
          quietBefore = !busy;
          int before = inFlight.size();
          inFlight.values().removeIf(sent -> now - sent > GIVE_UP_NANOS);
          unanswered += before - inFlight.size();
          sampledAt = now;
          compiledThen = compiled;
        }
        while (inFlight.size() < WINDOW) {
          sw.invite(next);
          inFlight.put(next++, now);
        }
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
          socket.receive(p);
        } catch (SocketTimeoutException e) {
          continue;
        }
        Decoded d = decoder.decode(java.util.Arrays.copyOf(buf, p.getLength()));
        if (!(d instanceof Decoded.Ok ok)
            || !(ok.message() instanceof SipResponse r)) {
          continue;
        }
        long n = Switch.callNumber(r.callId());
        if (n < 0 || !inFlight.containsKey(n)) continue;
        if (sw.onResponse(n, r)) {
          inFlight.remove(n);
          done++;
        }
      }
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    return new Result(done, took, quiet, nonLoopback.get(), unanswered);
  }

  /** The switch's side of each call: INVITE, then ACK, and in-line ACK and BYE after a 200. */
  private static final class Switch {
    private final DatagramSocket socket;
    private final InetSocketAddress proxy;
    private final String local;
    private final String target;
    private final String number;

    Switch(DatagramSocket socket, InetSocketAddress proxy, boolean inline) {
      this.socket = socket;
      this.proxy = proxy;
      this.local = "127.0.0.1:" + socket.getLocalPort();
      this.number = inline ? "12125550100" : "5125550100";
      this.target = "sip:" + number + "@127.0.0.1:" + proxy.getPort();
    }

    static long callNumber(String callId) {
      if (callId == null || !callId.startsWith("warmup-")) return -1;
      int at = callId.indexOf('@');
      try {
        return Long.parseLong(callId.substring(7, at < 0 ? callId.length() : at));
      } catch (NumberFormatException e) {
        return -1;
      }
    }

    /**
     * The INVITE of call {@code n}, in one of a few shapes switches send (with or without rport,
     * extra headers, compact names), so that the compiled decoder expects more than one.
     */
    void invite(long n) throws IOException {
      int shape = (int) (n & 7);
      String sdp = "v=0\r\no=switch 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\n"
          + "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 16000 RTP/AVP 0 18 101\r\n"
          + "a=rtpmap:0 PCMU/8000\r\na=rtpmap:18 G729/8000\r\n"
          + "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n";
      StringBuilder m = new StringBuilder(1024);
      m.append("INVITE ").append(target).append(" SIP/2.0\r\n")
          .append(shape == 7 ? "v: " : "Via: ").append("SIP/2.0/UDP ").append(local)
          .append(";branch=z9hG4bKwarm").append(n).append((n & 1) == 0 ? ";rport" : "")
          .append("\r\n")
          .append("From: \"Warm-up\" <sip:13125550199@").append(local).append(">;tag=w")
          .append(n).append("\r\n")
          .append("To: <").append(target).append(">\r\n")
          .append(shape == 7 ? "i: " : "Call-ID: ").append("warmup-").append(n)
          .append("@127.0.0.1\r\n")
          .append("CSeq: 1 INVITE\r\n")
          .append("Contact: <sip:13125550199@").append(local)
          .append((n & 2) == 0 ? ";transport=udp>" : ">").append("\r\n")
          .append("Max-Forwards: 70\r\n");
      if (shape >= 4) {
        m.append("User-Agent: warm-up\r\n")
            .append("Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE\r\n")
            .append("Supported: timer, 100rel\r\n")
            .append("Session-Expires: 1800\r\n");
      }
      m.append("P-Asserted-Identity: <sip:+13125550199@127.0.0.1;user=phone>\r\n");
      if (shape == 3) {
        m.append("Content-Length: 0\r\n\r\n");
      } else {
        m.append(shape == 7 ? "c: " : "Content-Type: ").append("application/sdp\r\n")
            .append(shape == 7 ? "l: " : "Content-Length: ").append(sdp.length())
            .append("\r\n\r\n").append(sdp);
      }
      send(m.toString());
    }

    /** Handles one response of call {@code n}; true when the call is over for the switch. */
    boolean onResponse(long n, SipResponse r) throws IOException {
      if (!r.isFinal()) return false;
      if (r.cseqMethodIs("BYE")) return true;
      if (!r.cseqMethodIs("INVITE")) return false;
      String to = r.header(HeaderName.TO);
      if (!r.isSuccess()) {
        send("ACK " + target + " SIP/2.0\r\n"
            + "Via: SIP/2.0/UDP " + local + ";branch=z9hG4bKwarm" + n + ";rport\r\n"
            + "From: \"Warm-up\" <sip:13125550199@" + local + ">;tag=w" + n + "\r\n"
            + "To: " + to + "\r\n"
            + "Call-ID: warmup-" + n + "@127.0.0.1\r\n"
            + "CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
        return true;
      }
      // a 2xx: ACK and BYE along the route set (the proxy's Record-Route) to the Contact
      String contact = r.header(HeaderName.CONTACT);
      if (contact == null) return true;
      int lt = contact.indexOf('<');
      int gt = contact.indexOf('>');
      String uri = lt >= 0 && gt > lt ? contact.substring(lt + 1, gt) : contact.trim();
      StringBuilder routes = new StringBuilder();
      List<String> rr = new ArrayList<>(r.headers(HeaderName.RECORD_ROUTE));
      java.util.Collections.reverse(rr);
      for (String route : rr) routes.append("Route: ").append(route).append("\r\n");
      for (String method : new String[] {"ACK", "BYE"}) {
        send(method + " " + uri + " SIP/2.0\r\n"
            + "Via: SIP/2.0/UDP " + local + ";branch=z9hG4bKwarm" + method + n + ";rport\r\n"
            + routes
            + "From: \"Warm-up\" <sip:13125550199@" + local + ">;tag=w" + n + "\r\n"
            + "To: " + to + "\r\n"
            + "Call-ID: warmup-" + n + "@127.0.0.1\r\n"
            + "CSeq: " + (method.equals("ACK") ? "1 ACK" : "2 BYE") + "\r\n"
            + "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
      }
      return false; // over with the BYE's 200
    }

    private void send(String message) throws IOException {
      byte[] b = message.getBytes(StandardCharsets.US_ASCII);
      socket.send(new DatagramPacket(b, b.length, proxy));
    }
  }

  // ---- ClearIP and the destinations, as far as the copy can tell ----------------------------

  /** A stand-in for the PASSporT ClearIP adds: about the size of a real one. */
  private static final String IDENTITY = "eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3"
      + "Nwb3J0IiwieDV1IjoiaHR0cHM6Ly8xMjcuMC4wLjEvY2VydC5wZW0ifQ."
      + "eyJhdHRlc3QiOiJBIiwiZGVzdCI6eyJ0biI6WyIxMjEyNTU1MDEwMCJdfSwiaWF0IjoxNzAwMDAwMDAwLCJvcmln"
      + "Ijp7InRuIjoiMTMxMjU1NTAxOTkifSwib3JpZ2lkIjoiMTIzZTQ1NjctZTg5Yi0xMmQzLWE0NTYtNDI2NjE0MTc0"
      + "MDAwIn0.MEUCIQDwarmupwarmupwarmupwarmupwarmupwarmupwarmupwarmupwAIgwarmupwarmupwarmupwarm"
      + "upwarmupwarmupwarmupwarmupwarmup;info=<https://127.0.0.1/cert.pem>;alg=ES256;ppt=shaken";

  /** Answers like ClearIP: mostly 503 (no action), some 302 and 603; in-line mostly 302. */
  private static final class ClearIp implements InboundHandler {
    private final boolean inline;
    private final int destinationPort;

    ClearIp(boolean inline, int destinationPort) {
      this.inline = inline;
      this.destinationPort = destinationPort;
    }

    @Override
    public void onRequest(SipRequest request, Origin origin) {
      if (request.isAck() || request.isCancel()) return;
      if (!request.isInvite()) {
        origin.reply(SipResponses.create(request, 200, "OK", "cip", List.of()));
        return;
      }
      long n = Switch.callNumber(request.callId());
      int kind = (int) Math.floorMod(n, 20);
      String tag = "ci" + n;
      if (!inline && kind < 16 || inline && kind == 19) {
        origin.reply(SipResponses.create(request, 503, "Service Unavailable", tag, List.of()));
      } else if (!inline && kind == 18) {
        origin.reply(SipResponses.create(request, 603, "Decline", tag, List.of()));
      } else {
        int port = inline ? destinationPort : 5060;
        List<SipResponses.Header> h = new ArrayList<>();
        if (inline && kind == 17) {
          // the first destination fails: the search moves on to the second
          h.add(new SipResponses.Header("Contact",
              "<sip:busy@127.0.0.1:" + port + ">;q=0.9"));
        }
        h.add(new SipResponses.Header("Contact",
            "<sip:+12125550100@127.0.0.1:" + port + ">;q=0.5"));
        h.add(new SipResponses.Header("Identity", IDENTITY));
        origin.reply(SipResponses.create(request, 302, "Moved Temporarily", tag, h));
      }
    }

    @Override
    public void onResponse(SipResponse response, Origin origin) {}
  }

  /** A destination that rings and answers at once ("busy" answers 503); BYE gets its 200. */
  private static final class Destination implements InboundHandler {
    @Override
    public void onRequest(SipRequest request, Origin origin) {
      if (request.isAck()) return;
      String tag = "d" + Integer.toHexString(request.callId().hashCode());
      if (!request.isInvite()) {
        origin.reply(SipResponses.create(request, 200, "OK", tag, List.of()));
        return;
      }
      if (request.requestUri().startsWith("sip:busy@")) {
        origin.reply(SipResponses.create(request, 503, "Service Unavailable", tag, List.of()));
        return;
      }
      // as a UAS does: 100, 180 and a 200 with SDP, both naming the dialog's route and contact
      origin.reply(SipResponses.create(request, 100, "Trying", null, List.of()));
      List<SipResponses.Header> h = new ArrayList<>();
      for (String rr : request.headers(HeaderName.RECORD_ROUTE)) {
        h.add(new SipResponses.Header("Record-Route", rr));
      }
      h.add(new SipResponses.Header("Contact",
          "<sip:dest@" + origin.local().getAddress().getHostAddress() + ":"
              + origin.local().getPort() + ";transport=udp>"));
      origin.reply(SipResponses.create(request, 180, "Ringing", tag, h));
      origin.reply(withSdp(SipResponses.create(request, 200, "OK", tag, h)));
    }

    private static final String SDP = "v=0\r\no=dest 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
        + "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0 101\r\n"
        + "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n";

    /** The response with an SDP answer in place of its empty body. */
    private static byte[] withSdp(byte[] response) {
      String r = new String(response, StandardCharsets.US_ASCII);
      int cl = r.lastIndexOf("Content-Length: 0\r\n\r\n");
      if (cl < 0) return response;
      return (r.substring(0, cl) + "Content-Type: application/sdp\r\nContent-Length: "
          + SDP.length() + "\r\n\r\n" + SDP).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void onResponse(SipResponse response, Origin origin) {}
  }
}
