package clearip.proxy.actors.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.actors.call.Call;
import clearip.proxy.actors.call.CallMetrics;
import clearip.proxy.actors.call.CallTest.SwitchOrigin;
import clearip.proxy.actors.call.txn.CallSettings;
import clearip.proxy.actors.upstream.FakeClearIp;
import clearip.proxy.actors.upstream.UpstreamConnection;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.testing.SipFixtures;
import clearip.proxy.streams.transport.Transport;
import clearip.proxy.streams.upstream.UpstreamChannel;
import clearip.proxy.streams.upstream.UpstreamLinkSettings;
import clearip.proxy.streams.upstream.UpstreamSettings;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** While the proxy warms up it takes no call: OPTIONS and new INVITEs get 503 "warming up". */
class CallRegistryWarmUpTest {
  static final ActorTestKit kit = ActorTestKit.create();

  FakeClearIp clearIp;
  CallRegistry registry;
  /** What the registry reported, in order. */
  final java.util.List<String> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
  final CallMetrics metrics = new CallMetrics() {
    @Override
    public void callStarted() {
      reported.add("started");
    }

    @Override
    public void refused(Refusal reason) {
      reported.add("refused " + reason);
    }

    @Override
    public void finalSent(clearip.proxy.actors.call.txn.CallOutcome outcome, int status,
        long answerNanos) {
      reported.add("sent " + outcome + " " + status);
    }

    @Override
    public void callEnded(clearip.proxy.actors.call.txn.CallOutcome outcome, int finalStatus,
        int clearIpStatus, long clearIpRttNanos, long answerNanos) {
      reported.add("ended " + outcome);
    }
  };

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  /** A registry whose ClearIP connection is up, so that OPTIONS get 200 when it takes calls. */
  @BeforeEach
  void start() throws Exception {
    clearIp = new FakeClearIp(FakeClearIp.Mode.ANSWER, null);
    UpstreamChannel channel = new UpstreamChannel();
    UpstreamSettings s = UpstreamSettings.fromUri("sip:127.0.0.1:" + clearIp.port()
        + ";transport=tcp")
        .withTimers(Duration.ZERO, Duration.ZERO, Duration.ofSeconds(1))
        .withLink(new UpstreamLinkSettings(64, Duration.ofSeconds(1), Duration.ofMillis(500),
            Duration.ZERO, clearip.proxy.sip.codec.ParseLimits.DEFAULT));
    kit.spawn(UpstreamConnection.create(s, null, channel));
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(channel.isUp(), "upstream not up");
      return null;
    });
    Call.Context context = new Call.Context(CallSettings.defaults(), channel, metrics);
    CompletableFuture<CallRegistry> made = new CompletableFuture<>();
    kit.spawn(Behaviors.setup(ctx -> {
      made.complete(CallRegistry.create(ctx, context, 2));
      return Behaviors.empty();
    }));
    registry = made.get(5, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    clearIp.close();
  }

  static SipRequest options() {
    return SipFixtures.request("OPTIONS sip:127.0.0.1:5060 SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bKping1\r\n"
        + "From: <sip:switch@127.0.0.1>;tag=p1\r\n"
        + "To: <sip:127.0.0.1:5060>\r\n"
        + "Call-ID: ping-1\r\n"
        + "CSeq: 1 OPTIONS\r\n"
        + "Max-Forwards: 70\r\n"
        + "Content-Length: 0\r\n\r\n");
  }

  @Test
  void answersOptions503WhileWarmingUpAnd200After() throws Exception {
    registry.holdForWarmUp();
    assertTrue(registry.isWarmingUp());
    SwitchOrigin sw = new SwitchOrigin(Transport.UDP);
    registry.onRequest(options(), sw);
    SipResponse r = sw.next();
    assertEquals(503, r.statusCode());
    assertTrue(r.header("Reason").contains("warming up"), r.header("Reason"));

    registry.serve();
    assertFalse(registry.isWarmingUp());
    registry.onRequest(options(), sw);
    assertEquals(200, sw.next().statusCode());
  }

  @Test
  void answersOptions503DrainingWhileItDrains() throws Exception {
    SwitchOrigin sw = new SwitchOrigin(Transport.UDP);
    registry.drain();
    registry.onRequest(options(), sw);
    SipResponse r = sw.next();
    assertEquals(503, r.statusCode());
    assertTrue(r.header("Reason").contains("\"draining\""), r.header("Reason"));
  }

  @Test
  void answersNewInvites503WithRetryAfterWhileWarmingUpAndNeverAsksClearIp() throws Exception {
    registry.holdForWarmUp();
    SwitchOrigin sw = new SwitchOrigin(Transport.UDP);
    registry.onRequest(SipFixtures.request(SipFixtures.invite("warm-1", "z9hG4bKw1")), sw);
    SipResponse r = sw.next();
    assertEquals(503, r.statusCode());
    assertTrue(r.header("Reason").contains("proxy warming up"), r.header("Reason"));
    assertEquals("1", r.header("Retry-After"));
    assertEquals(0, registry.inFlight());
    assertEquals(java.util.List.of("started", "refused WARMING_UP", "sent FAIL_OPEN_OVERLOAD 503",
        "ended FAIL_OPEN_OVERLOAD"), reported, "the refusal is reported with its reason, the 503 as sent");
    assertEquals(null, clearIp.received.poll(200, TimeUnit.MILLISECONDS));
  }

  @Test
  void takesCallsOnceServing() throws Exception {
    registry.holdForWarmUp();
    registry.serve();
    SwitchOrigin sw = new SwitchOrigin(Transport.UDP);
    registry.onRequest(SipFixtures.request(SipFixtures.invite("warm-2", "z9hG4bKw2")), sw);
    assertEquals(100, sw.next().statusCode());
    assertNotNull(clearIp.received.poll(5, TimeUnit.SECONDS), "the INVITE reached ClearIP");
  }
}
