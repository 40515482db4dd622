package clearip.proxy.ops.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.streams.transport.MessageTap;
import com.typesafe.config.ConfigFactory;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The warm-up runs calls through a private copy of the proxy, on loopback only. */
class WarmUpTest {

  /** A proxy configured to advertise, listen and reach ClearIP on addresses that are not loopback. */
  private static ProxyConfig config(String mode) throws Exception {
    return ProxyConfig.from(ConfigFactory.parseString(String.join("\n",
        "clearip-proxy.mode = " + mode,
        "clearip-proxy.listen.udp = [\"0.0.0.0:5060\"]",
        "clearip-proxy.listen.advertise = \"192.0.2.10\"",
        "clearip-proxy.upstream.uri = \"sip:192.0.2.1:5061;transport=tls\"",
        "clearip-proxy.inline.record-route = on",
        "clearip-proxy.trace.hep.collector = \"192.0.2.99:9060\"",
        "clearip-proxy.warmup.min-time = 1s",
        // room for a loaded machine (the copy's start is counted): it ends once the JIT is quiet
        "clearip-proxy.warmup.max-time = 15s")));
  }

  private static void runsCallsOnLoopbackOnly(String mode) throws Exception {
    Set<InetSocketAddress> peers = ConcurrentHashMap.newKeySet();
    AtomicLong messages = new AtomicLong();
    MessageTap observer = (direction, transport, local, remote, message) -> {
      messages.incrementAndGet();
      if (remote != null) peers.add(remote);
    };
    ProxyConfig c = config(mode);
    WarmUp.Result r = new WarmUp(c, c.warmUp(), observer).run();
    assertTrue(r.calls() > 100, "calls through the copy: " + r);
    assertEquals(0, r.nonLoopback(), r.toString());
    assertTrue(messages.get() > r.calls(), "messages seen: " + messages.get());
    for (InetSocketAddress p : peers) {
      assertTrue(p.getAddress().isLoopbackAddress(), "sent to or received from " + p);
    }
    assertTrue(r.unanswered() * 100 <= r.calls(), "calls unanswered: " + r);
  }

  @Test
  void tlsProxyModeWarmsUpOnLoopbackOnly() throws Exception {
    runsCallsOnLoopbackOnly("tls-proxy");
  }

  @Test
  void inlineModeWarmsUpOnLoopbackOnly() throws Exception {
    runsCallsOnLoopbackOnly("inline");
  }

  @Test
  void theCopysConfigurationKeepsToLoopback() throws Exception {
    ProxyConfig copy = config("inline").with(ConfigFactory.parseString(WarmUp.overrides(5071)));
    assertEquals("127.0.0.1", copy.advertise());
    assertEquals("sip:127.0.0.1:5071;transport=tls", copy.upstream().uri());
    assertTrue(copy.listeners().tcp().isEmpty() && copy.listeners().tls().isEmpty());
    assertTrue(copy.listeners().udp().stream().allMatch(a -> a.getAddress().isLoopbackAddress()));
    assertEquals(null, copy.adminListen());
    assertTrue(!copy.trace().enabled());
    assertTrue(!copy.warmUp().enabled());
  }
}
