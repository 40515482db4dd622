package clearip.proxy.actors.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.testing.SipFixtures;
import clearip.proxy.streams.tls.ClientEngines;
import clearip.proxy.streams.tls.ClientTlsSettings;
import clearip.proxy.streams.tls.ServerEngines;
import clearip.proxy.streams.tls.ServerTlsSettings;
import clearip.proxy.streams.tls.TestPki;
import clearip.proxy.streams.tls.TlsContexts;
import clearip.proxy.streams.transport.ClientTransactions;
import clearip.proxy.streams.transport.Offer;
import clearip.proxy.streams.upstream.UpstreamChannel;
import clearip.proxy.streams.upstream.UpstreamLink;
import clearip.proxy.streams.upstream.UpstreamLinkSettings;
import clearip.proxy.streams.upstream.UpstreamSettings;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The upstream connection against a fake ClearIP on real loopback sockets. Its timers (back-off,
 * handshake, pings) run on Pekko's manual clock, which a test moves on; the sockets' I/O runs in
 * real time.
 */
class UpstreamConnectionTest {
  static final ActorTestKit kit = ActorTestKit.create(
      ManualTime.config().withFallback(ConfigFactory.load()));
  static final ManualTime time = ManualTime.get(kit.system());
  static final Duration STEP = Duration.ofMillis(50);
  static TestPki pki;
  static ServerEngines serverTls;
  static ServerEngines wrongNameTls;
  static ClientEngines clientTls;

  @BeforeAll
  static void pki() throws Exception {
    Path dir = Files.createTempDirectory("upstream-pki");
    pki = TestPki.create(dir);
    TestPki.Leaf good = pki.issue("clearip", TestPki.KeyType.EC_P256, "127.0.0.1", "localhost");
    TestPki.Leaf wrong = pki.issue("other", TestPki.KeyType.EC_P256, "other.example.test");
    serverTls = TlsContexts.server(ServerTlsSettings.of(good.chain(), good.privateKey()));
    wrongNameTls = TlsContexts.server(ServerTlsSettings.of(wrong.chain(), wrong.privateKey()));
    clientTls = TlsContexts.client(ClientTlsSettings.defaults().withCaBundle(pki.caCertificate()));
  }

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  /** Forwards listener events to a probe. */
  record Event(SipResponse response, String unavailable) {}

  static ClientTransactions.Callback listener(TestProbe<Event> probe) {
    return new ClientTransactions.Callback() {
      @Override
      public void onResponse(SipResponse response) {
        probe.getRef().tell(new Event(response, null));
      }

      @Override
      public void onUnavailable(String reason) {
        probe.getRef().tell(new Event(null, reason));
      }
    };
  }

  static UpstreamSettings settings(String uri) {
    return UpstreamSettings.fromUri(uri)
        .withTimers(Duration.ZERO, Duration.ZERO, Duration.ofSeconds(1))
        .withBackoff(Duration.ofMillis(50), Duration.ofMillis(200), 0.2)
        .withLink(new UpstreamLinkSettings(64, Duration.ofSeconds(1), Duration.ofMillis(500),
            Duration.ZERO, clearip.proxy.sip.codec.ParseLimits.DEFAULT));
  }

  private record Running(UpstreamChannel channel, ActorRef<UpstreamConnection.Command> actor) {}

  private Running start(UpstreamSettings s) {
    UpstreamChannel channel = new UpstreamChannel();
    ActorRef<UpstreamConnection.Command> ref =
        kit.spawn(UpstreamConnection.create(s, clientTls::newEngine, channel));
    return new Running(channel, ref);
  }

  private void awaitUp(Running r) {
    advancingUntil(() -> assertTrue(r.channel().isUp(), "upstream not up"));
  }

  /**
   * Checks until {@code check} holds, moving the manual clock on by {@link #STEP} before each
   * try (10 s of real time at most, for the sockets).
   */
  private static void advancingUntil(Runnable check) {
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      time.timePasses(STEP);
      check.run();
      return null;
    });
  }

  private static byte[] invite(UpstreamLink link, String branch) {
    return SipFixtures.request(SipFixtures.invite(branch + "@test", "z9hG4bKsw" + branch)).edit()
        .pushVia("SIP/2.0/TCP " + link.viaSentBy() + ";branch=" + branch)
        .decrementMaxForwards()
        .toBytes();
  }

  private UpstreamConnection.Status status(Running r) {
    TestProbe<UpstreamConnection.Status> p = kit.createTestProbe();
    r.actor().tell(new UpstreamConnection.GetStatus(p.getRef()));
    return p.receiveMessage();
  }

  @Test
  void relaysRequestsAndMatchesResponsesByBranch() throws Exception {
    try (FakeClearIp fake = new FakeClearIp(FakeClearIp.Mode.ANSWER, null)) {
      Running r = start(settings("sip:127.0.0.1:" + fake.port() + ";transport=tcp"));
      awaitUp(r);
      TestProbe<Event> a = kit.createTestProbe();
      TestProbe<Event> b = kit.createTestProbe();
      UpstreamLink link = r.channel().pick("z9hG4bKa1");
      assertEquals(Offer.ENQUEUED, link.send("z9hG4bKa1", invite(link, "z9hG4bKa1"), listener(a)));
      assertEquals(Offer.ENQUEUED, link.send("z9hG4bKb1", invite(link, "z9hG4bKb1"), listener(b)));
      assertEquals("z9hG4bKa1", a.receiveMessage().response().topViaBranch());
      assertEquals("z9hG4bKb1", b.receiveMessage().response().topViaBranch());
      assertEquals(0, link.inflight(), "finals remove the call from the in-flight map");
      kit.stop(r.actor());
    }
  }

  @Test
  void anAnswerBeyondTheLimitsFailsItsCallAtOnceAndKeepsTheConnection() throws Exception {
    try (FakeClearIp fake = new FakeClearIp(FakeClearIp.Mode.ANSWER, null)) {
      fake.contacts = 600; // one Contact header line of ~24 KB, past the 16 KB line limit
      Running r = start(settings("sip:127.0.0.1:" + fake.port() + ";transport=tcp"));
      awaitUp(r);
      UpstreamLink link = r.channel().pick("z9hG4bKbig");
      TestProbe<Event> big = kit.createTestProbe();
      link.send("z9hG4bKbig", invite(link, "z9hG4bKbig"), listener(big));
      Event e = big.receiveMessage();
      assertTrue(e.unavailable().startsWith("ClearIP answer unusable:"), e.toString());
      assertEquals(1, link.unusableAnswers());
      fake.contacts = 0;
      TestProbe<Event> next = kit.createTestProbe();
      link.send("z9hG4bKnext", invite(link, "z9hG4bKnext"), listener(next));
      assertEquals(302, next.receiveMessage().response().statusCode(), "the same connection");
      assertTrue(link.isOpen());
      assertEquals(1, fake.connections.get());
      kit.stop(r.actor());
    }
  }

  @Test
  void whenClearIpClosesItsSideTheProxyClosesItsOwn() throws Exception {
    // NO_READ: the fake's own thread leaves the socket to this test
    try (FakeClearIp fake = new FakeClearIp(FakeClearIp.Mode.NO_READ, null)) {
      Running r = start(settings("sip:127.0.0.1:" + fake.port() + ";transport=tcp"));
      awaitUp(r);
      java.net.Socket server = fake.accepted.poll(5, java.util.concurrent.TimeUnit.SECONDS);
      assertTrue(server != null);
      server.shutdownOutput(); // ClearIP's FIN, as when it closes the connection
      server.setSoTimeout(10_000);
      java.io.InputStream in = server.getInputStream();
      // the proxy closes in turn, by FIN or reset (not a socket left half-open for good); the
      // read times out, and the test fails, if it does not
      try {
        while (in.read() >= 0) {
          // what the proxy sent before: discarded
        }
      } catch (java.net.SocketException reset) {
        assertTrue(String.valueOf(reset.getMessage()).contains("reset"), reset.toString());
      }
      kit.stop(r.actor());
    }
  }

  @Test
  void parallelConnectionsShareTheCalls() throws Exception {
    try (FakeClearIp fake = new FakeClearIp(FakeClearIp.Mode.ANSWER, null)) {
      Running r = start(settings("sip:127.0.0.1:" + fake.port() + ";transport=tcp")
          .withConnections(3));
      advancingUntil(() -> assertEquals(3, r.channel().active().size()));
      assertEquals(3, fake.connections.get());
      java.util.Set<UpstreamLink> used = new java.util.HashSet<>();
      TestProbe<Event> p = kit.createTestProbe();
      for (int i = 0; i < 60; i++) {
        String b = "z9hG4bKp" + i;
        UpstreamLink link = r.channel().pick(b);
        used.add(link);
        link.send(b, invite(link, b), listener(p));
      }
      for (int i = 0; i < 60; i++) assertEquals(302, p.receiveMessage().response().statusCode());
      assertEquals(3, used.size(), "calls spread over every connection");
      kit.stop(r.actor());
    }
  }

  @Test
  void connectsOverTlsWithVerifiedHostname() throws Exception {
    try (FakeClearIp fake = new FakeClearIp(FakeClearIp.Mode.ANSWER, serverTls.sslContext())) {
      Running r = start(settings("sip:127.0.0.1:" + fake.port() + ";transport=tls"));
      awaitUp(r);
      TestProbe<Event> a = kit.createTestProbe();
      UpstreamLink link = r.channel().pick("z9hG4bKt1");
      assertTrue(link.isTls());
      link.send("z9hG4bKt1", invite(link, "z9hG4bKt1"), listener(a));
      assertEquals(302, a.receiveMessage().response().statusCode());
      assertEquals("CONNECTED", status(r).state());
      kit.stop(r.actor());
    }
  }

  @Test
  void refusesCertificateForAnotherName() throws Exception {
    try (FakeClearIp fake = new FakeClearIp(FakeClearIp.Mode.ANSWER, wrongNameTls.sslContext())) {
      Running r = start(settings("sip:127.0.0.1:" + fake.port() + ";transport=tls"));
      advancingUntil(() -> {
        String err = status(r).lastError();
        assertTrue(err.contains("rejected") || err.contains("127.0.0.1"), err);
      });
      assertTrue(!r.channel().isUp());
      assertEquals(null, r.channel().pick("x"));
      kit.stop(r.actor());
    }
  }

  @Test
  void lostConnectionFailsCallsInFlightAtOnceAndReconnects() throws Exception {
    try (FakeClearIp fake = new FakeClearIp(FakeClearIp.Mode.SILENT, null)) {
      Running r = start(settings("sip:127.0.0.1:" + fake.port() + ";transport=tcp"));
      awaitUp(r);
      TestProbe<Event> a = kit.createTestProbe();
      UpstreamLink link = r.channel().pick("z9hG4bKl1");
      link.send("z9hG4bKl1", invite(link, "z9hG4bKl1"), listener(a));
      assertNotNull(fake.received.poll(5, java.util.concurrent.TimeUnit.SECONDS));
      fake.dropConnections();
      Event e = a.receiveMessage(Duration.ofSeconds(5));
      assertNotNull(e.unavailable(), "call told at once");
      advancingUntil(() -> {
        assertEquals(2, fake.connections.get());
        assertTrue(r.channel().isUp());
      });
      kit.stop(r.actor());
    }
  }

  @Test
  void tlsHandshakeThatNeverCompletesTimesOut() throws Exception {
    try (FakeClearIp fake = new FakeClearIp(FakeClearIp.Mode.NO_HANDSHAKE, null)) {
      Running r = start(settings("sip:127.0.0.1:" + fake.port() + ";transport=tls"));
      advancingUntil(() -> {
        assertTrue(status(r).lastError().contains("TLS handshake"), status(r).lastError());
        assertTrue(fake.connections.get() >= 2, "it keeps retrying");
      });
      assertTrue(!r.channel().isUp());
      kit.stop(r.actor());
    }
  }

  @Test
  void stalledUpstreamFillsTheBoundedQueueAndIsRecycled() throws Exception {
    try (FakeClearIp fake = new FakeClearIp(FakeClearIp.Mode.NO_READ, null)) {
      Running r = start(settings("sip:127.0.0.1:" + fake.port() + ";transport=tcp"));
      awaitUp(r);
      UpstreamLink link = r.channel().pick("z9hG4bKs0");
      TestProbe<Event> p = kit.createTestProbe();
      Offer o = Offer.ENQUEUED;
      int sent = 0;
      byte[] msg = invite(link, "z9hG4bKs0");
      // socket buffers take a few MB first; the queue (64) then fills and offers are refused
      for (; sent < 200_000 && o == Offer.ENQUEUED; sent++) {
        o = link.send("z9hG4bKs" + sent, msg, listener(p));
      }
      assertEquals(Offer.FULL, o, "after " + sent + " messages");
      assertTrue(link.queueDepth() <= 64);
      // calls that time out in a row mark the connection as wedged
      for (int i = 0; i < 5; i++) link.timedOut("z9hG4bKs" + i);
      advancingUntil(() -> assertTrue(fake.connections.get() >= 2, "recycled"));
      kit.stop(r.actor());
    }
  }

  @Test
  void aClearIpThatClosesEveryConnectionAtOnceIsRetriedWithBackOff() throws Exception {
    try (FakeClearIp fake = new FakeClearIp(FakeClearIp.Mode.CLOSE_AT_ONCE, null)) {
      // a minute between rounds: were such a close taken for a good link's end, the proxy
      // would reconnect at once, again and again
      // connect and handshake clocks longer than the jumps below: the actor starts them on
      // its own thread while the test is still moving the clock on
      Running r = start(settings("sip:127.0.0.1:" + fake.port() + ";transport=tcp")
          .withBackoff(Duration.ofMinutes(1), Duration.ofMinutes(2), 0.2)
          .withLink(new UpstreamLinkSettings(64, Duration.ofMinutes(10), Duration.ofMinutes(10),
              Duration.ZERO, clearip.proxy.sip.codec.ParseLimits.DEFAULT)));
      advancingUntil(() -> {
        UpstreamConnection.Status st = status(r);
        assertEquals(1, st.failuresInRow(), st.toString());
        assertTrue(st.lastError().startsWith("connection ended before any answer"),
            st.lastError());
      });
      time.timePasses(Duration.ofSeconds(40)); // under the shortest back-off with its jitter
      assertEquals(1, status(r).failuresInRow(), "backing off, not reconnecting");
      assertEquals(1, fake.connections.get(), "backing off, not reconnecting");
      time.timePasses(Duration.ofMinutes(3)); // past the longest
      advancingUntil(() -> assertEquals(2, fake.connections.get(), "tried again"));
      kit.stop(r.actor());
    }
  }

  @Test
  void unansweredPingRecyclesAndAnsweredPingMeasuresRtt() throws Exception {
    try (FakeClearIp fake = new FakeClearIp(FakeClearIp.Mode.ANSWER, null)) {
      Running r = start(settings("sip:127.0.0.1:" + fake.port() + ";transport=tcp")
          .withTimers(Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(300)));
      advancingUntil(() -> assertTrue(status(r).lastPingRttMicros() >= 0));
      fake.mode = FakeClearIp.Mode.SILENT;
      advancingUntil(
          () -> assertTrue(fake.connections.get() >= 2, "recycled after an unanswered ping"));
      kit.stop(r.actor());
    }
  }

  @Test
  void theFirstPingLeavesAsSoonAsTheConnectionIsUp() throws Exception {
    // a ping interval of an hour, and the manual clock moved on by seconds only: the RTT can
    // only come from a ping sent at connect time (before the first call, which proves the
    // connection end to end, and so that a ClearIP closing silent connections does not cut it)
    try (FakeClearIp fake = new FakeClearIp(FakeClearIp.Mode.ANSWER, null)) {
      Running r = start(settings("sip:127.0.0.1:" + fake.port() + ";transport=tcp")
          .withTimers(Duration.ZERO, Duration.ofHours(1), Duration.ofSeconds(5)));
      advancingUntil(() -> assertTrue(status(r).lastPingRttMicros() >= 0, "no ping answered"));
      assertEquals(1, fake.connections.get());
      kit.stop(r.actor());
    }
  }

  @Test
  void retargetOpensTheNewConnectionFirstAndDrainsTheOld() throws Exception {
    try (FakeClearIp a = new FakeClearIp(FakeClearIp.Mode.SILENT, null);
        FakeClearIp b = new FakeClearIp(FakeClearIp.Mode.ANSWER, null)) {
      Running r = start(settings("sip:127.0.0.1:" + a.port() + ";transport=tcp"));
      awaitUp(r);
      UpstreamLink old = r.channel().pick("z9hG4bKr1");
      TestProbe<Event> p1 = kit.createTestProbe();
      old.send("z9hG4bKr1", invite(old, "z9hG4bKr1"), listener(p1));
      r.actor().tell(new UpstreamConnection.Retarget("sip:127.0.0.1:" + b.port()
          + ";transport=tcp"));
      advancingUntil(() -> {
        UpstreamLink l = r.channel().pick("z9hG4bKr2");
        assertTrue(l != null && l.address().getPort() == b.port());
      });
      assertTrue(old.isOpen(), "the old connection still carries its call");
      UpstreamLink fresh = r.channel().pick("z9hG4bKr2");
      TestProbe<Event> p2 = kit.createTestProbe();
      fresh.send("z9hG4bKr2", invite(fresh, "z9hG4bKr2"), listener(p2));
      assertEquals(302, p2.receiveMessage().response().statusCode());
      old.forget("z9hG4bKr1"); // the call finished
      advancingUntil(() -> assertTrue(old.terminated().toCompletableFuture().isDone(),
          "the drained connection closes"));
      p1.expectNoMessage(Duration.ofMillis(100));
      kit.stop(r.actor());
    }
  }
}
