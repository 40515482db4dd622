package clearip.proxy.actors.call;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.actors.call.txn.CallOutcome;
import clearip.proxy.actors.call.txn.CallSettings;
import clearip.proxy.actors.call.txn.Destination;
import clearip.proxy.actors.call.txn.InlineSettings;
import clearip.proxy.actors.upstream.FakeClearIp;
import clearip.proxy.actors.upstream.UpstreamConnection;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.message.SipResponses;
import clearip.proxy.sip.testing.SipFixtures;
import clearip.proxy.streams.transport.ClientTransactions;
import clearip.proxy.streams.transport.Origin;
import clearip.proxy.streams.transport.SendResult;
import clearip.proxy.streams.transport.Transport;
import clearip.proxy.streams.upstream.UpstreamChannel;
import clearip.proxy.streams.upstream.UpstreamLink;
import clearip.proxy.streams.upstream.UpstreamLinkSettings;
import clearip.proxy.streams.upstream.UpstreamSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One call's actor, against a fake ClearIP on loopback: every command and the stop signal. The
 * call's timers run on Pekko's manual clock: a test moves time on once the actor has started
 * the timer (a retransmitted INVITE, answered in order after the batch that started it, tells).
 */
public class CallTest {
  static final ActorTestKit kit = ActorTestKit.create(
      ManualTime.config().withFallback(ConfigFactory.load()));
  static final ManualTime time = ManualTime.get(kit.system());

  final List<ActorRef<?>> connections = new CopyOnWriteArrayList<>();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @AfterEach
  void stopConnections() {
    for (ActorRef<?> c : connections) kit.stop(c);
  }

  /** A switch's side of the call: what the proxy sends back, in order. */
  public record SwitchOrigin(Transport transport, BlockingQueue<byte[]> sent) implements Origin {
    public SwitchOrigin(Transport transport) {
      this(transport, new LinkedBlockingQueue<>());
    }

    @Override
    public InetSocketAddress remote() {
      return new InetSocketAddress(InetAddress.getLoopbackAddress(), 5060);
    }

    @Override
    public InetSocketAddress local() {
      return new InetSocketAddress(InetAddress.getLoopbackAddress(), 5070);
    }

    @Override
    public boolean reply(byte[] message) {
      sent.add(message);
      return true;
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    public SipResponse next() throws InterruptedException {
      byte[] b = sent.poll(5, TimeUnit.SECONDS);
      assertNotNull(b, "nothing sent to the switch");
      return SipFixtures.response(new String(b, java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  record Ended(CallOutcome outcome, int finalStatus, int clearIpStatus) {}

  record Sent(CallOutcome outcome, int finalStatus) {}

  static final class Metrics implements CallMetrics {
    final List<Ended> ended = new CopyOnWriteArrayList<>();
    final List<Sent> sent = new CopyOnWriteArrayList<>();
    final List<Integer> clearIpAnswers = new CopyOnWriteArrayList<>();
    final List<Long> answerNanos = new CopyOnWriteArrayList<>();
    volatile int started;

    @Override
    public void callStarted() {
      started++;
    }

    @Override
    public void finalSent(CallOutcome outcome, int finalStatus, long answerNanos) {
      sent.add(new Sent(outcome, finalStatus));
    }

    @Override
    public void clearIpAnswered(int status, long rttNanos) {
      clearIpAnswers.add(status);
    }

    @Override
    public void callEnded(CallOutcome outcome, int finalStatus, int clearIpStatus,
        long clearIpRttNanos, long answerNanos) {
      ended.add(new Ended(outcome, finalStatus, clearIpStatus));
      this.answerNanos.add(answerNanos);
    }
  }

  static CallSettings settings() {
    return CallSettings.defaults().withTimers(Duration.ofMillis(50), Duration.ofMillis(200))
        .withUpstreamTimeout(Duration.ofMillis(300));
  }

  /** A channel with one plain TCP link to the fake, up. */
  UpstreamChannel upstream(FakeClearIp fake) {
    UpstreamChannel channel = new UpstreamChannel();
    UpstreamSettings s = UpstreamSettings.fromUri("sip:127.0.0.1:" + fake.port()
        + ";transport=tcp")
        .withTimers(Duration.ZERO, Duration.ZERO, Duration.ofSeconds(1))
        .withLink(new UpstreamLinkSettings(64, Duration.ofSeconds(1), Duration.ofMillis(500),
            Duration.ZERO, clearip.proxy.sip.codec.ParseLimits.DEFAULT));
    connections.add(kit.spawn(UpstreamConnection.create(s, null, channel)));
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(channel.isUp(), "upstream not up");
      return null;
    });
    return channel;
  }

  static SipRequest invite(String callId) {
    return SipFixtures.request(SipFixtures.invite(callId, "z9hG4bKsw" + callId));
  }

  static SipRequest cancelOf(SipRequest invite) {
    String text = invite.toString();
    String headers = text.substring(0, text.indexOf("\r\n\r\n"))
        .replaceFirst("^INVITE ", "CANCEL ")
        .replace("CSeq: 201 INVITE", "CSeq: 201 CANCEL")
        .replaceAll("Content-Length: \\d+", "Content-Length: 0")
        .replace("Content-Type: application/sdp\r\n", "");
    return SipFixtures.request(headers + "\r\n\r\n");
  }

  private ActorRef<Call.Command> start(SipRequest invite, Origin origin, Metrics metrics,
      UpstreamChannel channel) {
    return start(invite, origin, metrics, channel, new AtomicLong());
  }

  /** As above, timed by {@code clock}; the INVITE arrives at its time 0. */
  private ActorRef<Call.Command> start(SipRequest invite, Origin origin, Metrics metrics,
      UpstreamChannel channel, AtomicLong clock) {
    Call.Context c = new Call.Context(settings(), channel, metrics)
        .withClock(clock::get);
    ActorRef<Call.Command> call = kit.spawn(Call.create(invite, origin, "k", c, 0));
    call.tell(Call.Start.INSTANCE);
    return call;
  }

  private static void awaitEnded(TestProbe<?> probe, ActorRef<?> call, Metrics metrics,
      Ended expected) {
    probe.expectTerminated(call, Duration.ofSeconds(5));
    assertEquals(List.of(expected), metrics.ended, "the call is reported once, when it ends");
  }

  /** Inline mode's destinations, as the sender would see them: every request, in order. */
  record RecordingDestinations(BlockingQueue<SipRequest> sent) implements Destinations {
    RecordingDestinations() {
      this(new LinkedBlockingQueue<>());
    }

    @Override
    public void send(Destination destination, byte[] message,
        java.util.function.Consumer<SendResult> result) {
      sent.add(SipFixtures.request(new String(message, java.nio.charset.StandardCharsets.UTF_8)));
      result.accept(SendResult.Sent.INSTANCE);
    }

    @Override
    public String localSentBy(Transport transport) {
      return "127.0.0.1:5070";
    }
  }

  @Test
  void aDestinationsAnswerFindsTheCallByItsBranchUntilTheCallEnds() throws Exception {
    try (FakeClearIp fake = new FakeClearIp(FakeClearIp.Mode.ANSWER, null)) {
      fake.contacts = 1;
      UpstreamChannel channel = upstream(fake);
      SwitchOrigin sw = new SwitchOrigin(Transport.TCP);
      Metrics metrics = new Metrics();
      RecordingDestinations destinations = new RecordingDestinations();
      Call.Context c = new Call.Context(settings().withInline(InlineSettings.defaults()),
          channel, metrics, destinations);
      ActorRef<Call.Command> call = kit.spawn(Call.create(invite("inline"), sw, "k",
          c, 0));
      call.tell(Call.Start.INSTANCE);
      assertEquals(100, sw.next().statusCode());
      SipRequest attempt = destinations.sent().poll(5, TimeUnit.SECONDS);
      assertNotNull(attempt, "ClearIP's 302 starts the search");
      String branch = attempt.topViaBranch();
      ClientTransactions table = channel.clientTransactions();
      assertTrue(table.isWaiting(branch, table.listeners()), "registered before it is sent");
      // what a listener reads from the destination goes through the same table as ClearIP's
      SipResponse ok = SipFixtures.response(new String(SipResponses.create(attempt, 200, "OK",
          "dest", List.of()), java.nio.charset.StandardCharsets.UTF_8));
      assertTrue(table.route(branch, ok, table.listeners()));
      assertEquals(200, sw.next().statusCode());
      awaitEnded(kit.createTestProbe(), call, metrics,
          new Ended(CallOutcome.ANSWERED, 200, 302));
      // ClearIP's 302 was counted as it came, though the switch never saw it
      assertEquals(List.of(302), metrics.clearIpAnswers);
      assertEquals(List.of(new Sent(CallOutcome.ANSWERED, 200)), metrics.sent);
      assertFalse(table.isWaiting(branch, table.listeners()), "forgotten when the call ends");
      assertEquals(0, table.size());
    }
  }

  @Test
  void withoutClearIpTheSwitchGets503AtOnce() throws Exception {
    SwitchOrigin sw = new SwitchOrigin(Transport.TCP);
    Metrics metrics = new Metrics();
    ActorRef<Call.Command> call = start(invite("none"), sw, metrics,
        new UpstreamChannel());
    assertEquals(503, sw.next().statusCode());
    awaitEnded(kit.createTestProbe(), call, metrics,
        new Ended(CallOutcome.FAIL_OPEN_UNAVAILABLE, 503, 0));
    assertEquals(List.of(new Sent(CallOutcome.FAIL_OPEN_UNAVAILABLE, 503)), metrics.sent);
    assertTrue(metrics.clearIpAnswers.isEmpty());
    assertEquals(1, metrics.started);
  }

  @Test
  void theCallLineSaysDashForARoundTripThatNeverHappened() throws Exception {
    ch.qos.logback.classic.Logger calls = (ch.qos.logback.classic.Logger)
        org.slf4j.LoggerFactory.getLogger("clearip.proxy.calls");
    ch.qos.logback.classic.Level level = calls.getLevel();
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
        new ch.qos.logback.core.read.ListAppender<>();
    lines.start();
    calls.addAppender(lines);
    calls.setLevel(ch.qos.logback.classic.Level.INFO);
    try {
      SwitchOrigin sw = new SwitchOrigin(Transport.TCP);
      Metrics metrics = new Metrics();
      ActorRef<Call.Command> call = start(invite("no-rtt"), sw, metrics, new UpstreamChannel());
      assertEquals(503, sw.next().statusCode());
      kit.createTestProbe().expectTerminated(call, Duration.ofSeconds(5));
      String line = lines.list.get(0).getFormattedMessage();
      assertTrue(line.contains(": FAIL_OPEN_UNAVAILABLE calling=+14045266060 called=+14016401234"
          + " clearip=- rtt=- tried=- final=503 duration="), line);
    } finally {
      calls.detachAppender(lines);
      calls.setLevel(level);
    }
  }

  @Test
  void redirectIsRelayedAckedUpstreamRetransmittedAndAbsorbsTheSwitchsAck() throws Exception {
    try (FakeClearIp fake = new FakeClearIp(FakeClearIp.Mode.ANSWER, null)) {
      UpstreamChannel channel = upstream(fake);
      SwitchOrigin sw = new SwitchOrigin(Transport.UDP);
      Metrics metrics = new Metrics();
      // the test's clock stands at 7 ms until the switch has the 302, then jumps a second
      AtomicLong clock = new AtomicLong(TimeUnit.MILLISECONDS.toNanos(7));
      ActorRef<Call.Command> call = start(invite("redirect"), sw, metrics, channel, clock);
      assertEquals(100, sw.next().statusCode());
      SipRequest forwarded = fake.received.poll(5, TimeUnit.SECONDS);
      assertNotNull(forwarded);
      assertTrue(forwarded.isInvite());
      SipResponse relayed = sw.next();
      clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
      assertEquals(302, relayed.statusCode());
      // counted as it went to the switch, while the call still waits for the ACK (Timer H)
      assertEquals(List.of(new Sent(CallOutcome.RELAYED, 302)), metrics.sent);
      assertEquals(List.of(302), metrics.clearIpAnswers);
      assertTrue(metrics.ended.isEmpty(), "the call has not ended");
      assertEquals("z9hG4bKswredirect", relayed.topViaBranch(), "our Via is popped");
      // hop by hop: the 302 is ACKed towards ClearIP on the INVITE's branch
      SipRequest ack = fake.received.poll(5, TimeUnit.SECONDS);
      assertNotNull(ack);
      assertTrue(ack.isAck());
      assertEquals(forwarded.topViaBranch(), ack.topViaBranch());
      assertEquals(forwarded.requestUri(), ack.requestUri());
      assertEquals("fake", ack.toTag());
      assertEquals("201 ACK", ack.cseqNumber() + " " + ack.cseqMethod());
      // a retransmitted INVITE gets the 302 again; once it has, Timer G is running
      call.tell(Call.Retransmitted.INSTANCE);
      assertEquals(302, sw.next().statusCode());
      assertNull(sw.sent.poll(), "nothing more before Timer G");
      // UDP: Timer G repeats the final until the switch ACKs
      time.timePasses(settings().t1());
      assertEquals(302, sw.next().statusCode());
      UpstreamLink link = channel.pick(forwarded.topViaBranch());
      assertFalse(link.carries(forwarded.topViaBranch()));
      call.tell(Call.AckReceived.INSTANCE);
      awaitEnded(kit.createTestProbe(), call, metrics, new Ended(CallOutcome.RELAYED, 302, 302));
      assertEquals(1, metrics.sent.size(), "retransmissions of the final are not counted again");
      assertEquals(TimeUnit.MILLISECONDS.toNanos(7), metrics.answerNanos.get(0),
          "the answer time counts to the first 302, not to the ACK");
    }
  }

  @Test
  void cancelBeforeClearIpAnswersGets200And487() throws Exception {
    try (FakeClearIp fake = new FakeClearIp(FakeClearIp.Mode.SILENT, null)) {
      UpstreamChannel channel = upstream(fake);
      SwitchOrigin sw = new SwitchOrigin(Transport.TCP);
      Metrics metrics = new Metrics();
      SipRequest invite = invite("cancel");
      ActorRef<Call.Command> call = start(invite, sw, metrics, channel);
      assertEquals(100, sw.next().statusCode());
      SipRequest forwarded = fake.received.poll(5, TimeUnit.SECONDS);
      assertNotNull(forwarded);
      call.tell(Call.Retransmitted.INSTANCE);
      assertEquals(100, sw.next().statusCode(), "a retransmitted INVITE gets the 100 again");
      SwitchOrigin cancelOrigin = new SwitchOrigin(Transport.TCP);
      call.tell(new Call.CancelReceived(cancelOf(invite), cancelOrigin));
      SipResponse ok = cancelOrigin.next();
      assertEquals(200, ok.statusCode());
      assertTrue(ok.cseqMethodIs("CANCEL"));
      assertEquals(487, sw.next().statusCode());
      awaitEnded(kit.createTestProbe(), call, metrics, new Ended(CallOutcome.CANCELLED, 487, 0));
      assertFalse(channel.pick("x").carries(forwarded.topViaBranch()), "the branch is forgotten");
      // no provisional came from ClearIP, so no CANCEL may go there (RFC 3261 9.1)
      assertNull(fake.received.poll(200, TimeUnit.MILLISECONDS));
    }
  }

  @Test
  void silentClearIpTimesOutAnd503sTheSwitch() throws Exception {
    try (FakeClearIp fake = new FakeClearIp(FakeClearIp.Mode.SILENT, null)) {
      UpstreamChannel channel = upstream(fake);
      SwitchOrigin sw = new SwitchOrigin(Transport.TCP);
      Metrics metrics = new Metrics();
      // the call's clock reads the upstream timeout past the INVITE's arrival throughout
      AtomicLong clock = new AtomicLong(settings().upstreamTimeout().toNanos());
      ActorRef<Call.Command> call = start(invite("timeout"), sw, metrics, channel, clock);
      assertEquals(100, sw.next().statusCode());
      assertNotNull(fake.received.poll(5, TimeUnit.SECONDS));
      call.tell(Call.Retransmitted.INSTANCE);
      assertEquals(100, sw.next().statusCode(), "the upstream timer is running by now");
      time.timePasses(settings().upstreamTimeout().minusMillis(1));
      assertNull(sw.sent.poll(), "no answer before the upstream timeout");
      time.timePasses(Duration.ofMillis(1));
      SipResponse failOpen = sw.next();
      assertEquals(503, failOpen.statusCode());
      assertEquals("ClearIP timeout", failOpen.reasons().get(0).text());
      awaitEnded(kit.createTestProbe(), call, metrics,
          new Ended(CallOutcome.FAIL_OPEN_TIMEOUT, 503, 0));
      assertEquals(settings().upstreamTimeout().toNanos(), metrics.answerNanos.get(0),
          "the answer time is that of the 503");
      assertEquals(1, channel.pick("x").consecutiveTimeouts());
    }
  }
}
