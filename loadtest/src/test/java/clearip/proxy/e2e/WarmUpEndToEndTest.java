package clearip.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.actors.call.CallMetrics;
import clearip.proxy.emulator.ClearIpEmulator;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.server.ProxyServer;
import clearip.proxy.ops.server.WarmUp;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.streams.tls.TestPki;
import clearip.proxy.streams.transport.MessageTap;
import clearip.proxy.streams.transport.TransportMetrics;
import com.typesafe.config.ConfigFactory;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A freshly started proxy warms up before it takes calls: meanwhile a switch's OPTIONS ping gets
 * 503 "warming up" (it keeps its calls on the other proxies), afterwards 200; the warm-up's own
 * calls stay on loopback and never reach ClearIP.
 */
class WarmUpEndToEndTest {
  @TempDir Path work;

  @Test
  void answersOptions503WhileWarmingUpThen200AndNeverLeavesLoopback() throws Exception {
    TestPki pki = TestPki.create(work.resolve("pki"));
    TestPki.Leaf leaf = pki.issue("clearip", TestPki.KeyType.EC_P256, "127.0.0.1");
    ActorSystem<Void> sys = ActorSystem.create(Behaviors.empty(), "e2e-warmup-emulator");
    ClearIpEmulator emulator = E2e.emulator(sys, """
        clearip-emulator { listen { udp = [], tcp = [], tls = ["127.0.0.1:0"] } }
        """, leaf);
    Set<InetSocketAddress> peers = ConcurrentHashMap.newKeySet();
    AtomicLong messages = new AtomicLong();
    MessageTap observer = (direction, transport, local, remote, message) -> {
      messages.incrementAndGet();
      if (remote != null) peers.add(remote);
    };
    ProxyServer proxy = null;
    try {
      ProxyConfig config = ProxyConfig.from(E2e.with(ConfigFactory.parseString(String.join("\n",
          "clearip-proxy.mode = inline",
          "clearip-proxy.inline.record-route = on",
          "clearip-proxy.listen.udp = [\"127.0.0.1:0\"]",
          "clearip-proxy.listen.tcp = []",
          "clearip-proxy.listen.tls = []",
          // what the proxy tells the world; the warm-up's copy must not use it
          "clearip-proxy.listen.advertise = \"192.0.2.10\"",
          "clearip-proxy.admin.listen = \"\"",
          "clearip-proxy.warmup.min-time = 2s",
          "clearip-proxy.warmup.max-time = 6s",
          "clearip-proxy.upstream.uri = \"sip:127.0.0.1:"
              + emulator.bound().tls().get(0).getPort() + ";transport=tls\"")),
          "clearip-proxy.upstream.tls.ca-file", pki.caCertificate()));
      proxy = ProxyServer.startWarmingUp(config, CallMetrics.NONE, TransportMetrics.NONE,
          observer).toCompletableFuture().get(30, TimeUnit.SECONDS);
      InetSocketAddress udp = proxy.bound().udp().get(0);

      // listening, warming up for at least min-time: the switch's ping is told to go elsewhere
      assertTrue(proxy.isWarmingUp());
      SipResponse during = TlsProxyEndToEndTest.udpExchange(udp, "OPTIONS", "ping");
      assertEquals(503, during.statusCode());
      assertEquals("warming up", during.reasons().get(0).text());
      SipResponse invite = TlsProxyEndToEndTest.udpExchange(udp, "INVITE", "12125550100");
      assertEquals(503, invite.statusCode());
      assertEquals("proxy warming up", invite.reasons().get(0).text());

      WarmUp.Result r = proxy.warmedUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertNotNull(r, "the warm-up ran");
      assertTrue(r.calls() > 0, r.toString());
      assertTrue(!proxy.isWarmingUp());
      assertTrue(proxy.awaitUpstream(java.time.Duration.ofSeconds(10)));
      assertEquals(200, TlsProxyEndToEndTest.udpExchange(udp, "OPTIONS", "ping").statusCode());

      assertEquals(0, r.nonLoopback(), r.toString());
      assertTrue(messages.get() > r.calls(), "the observer saw the warm-up's messages");
      for (InetSocketAddress p : peers) {
        assertTrue(p.getAddress().isLoopbackAddress(), "warm-up talked to " + p);
      }
      long clearIpAnswers = 0;
      for (int status : new int[] {302, 403, 404, 503, 603}) {
        clearIpAnswers += emulator.handler().answered(status);
      }
      assertEquals(0, clearIpAnswers, "no warm-up call reached the real ClearIP");
    } finally {
      if (proxy != null) proxy.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
      emulator.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
      sys.terminate();
    }
  }
}
