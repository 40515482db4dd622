package clearip.proxy.e2e;

import clearip.proxy.actors.call.CallMetrics;
import clearip.proxy.emulator.ClearIpEmulator;
import clearip.proxy.emulator.EmulatorSettings;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.server.ProxyServer;
import clearip.proxy.streams.tls.TestPki;
import clearip.proxy.streams.transport.TransportMetrics;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;

/** Starting the real emulator and proxy for end-to-end tests, in one place. */
final class E2e {
  private E2e() {}

  /**
   * Starts the ClearIP emulator from a {@code clearip-emulator { ... }} block, serving TLS with
   * the given certificate (null: none configured).
   */
  static ClearIpEmulator emulator(ActorSystem<?> system, String hocon, TestPki.Leaf tls)
      throws Exception {
    Config c = ConfigFactory.parseString(hocon);
    if (tls != null) {
      c = with(with(c, "clearip-emulator.tls.certificate", tls.chain()),
          "clearip-emulator.tls.private-key", tls.privateKey());
    }
    c = c.withFallback(ConfigFactory.defaultReference()).resolve();
    return ClearIpEmulator.start(system,
        EmulatorSettings.fromConfig(c.getConfig(EmulatorSettings.SECTION)))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Starts the proxy from configuration overrides (the rest from reference.conf). */
  static ProxyServer proxy(Config c) throws Exception {
    return proxy(c, CallMetrics.NONE, TransportMetrics.NONE);
  }

  /** As {@link #proxy(Config)}, counting into the given metrics. */
  static ProxyServer proxy(Config c, CallMetrics calls, TransportMetrics transports)
      throws Exception {
    return ProxyServer.start(ProxyConfig.from(callFlowsOnly(c)), calls, transports)
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /**
   * These tests assert call flows: a busy test machine (JIT, SIPp, two cores) must not turn one
   * of their calls into an overload 503. Overload control stays on where a test sets it.
   */
  static Config callFlowsOnly(Config c) {
    String key = "clearip-proxy.calls.max-dispatch-delay";
    return c.hasPath(key) ? c : c.withValue(key, ConfigValueFactory.fromAnyRef("0"));
  }

  /**
   * The ClearIP emulator over TLS on loopback and a proxy joined to it, as most end-to-end tests
   * need them: the proxy listens on loopback UDP and TCP (no TLS) unless {@code proxyLines}
   * (HOCON lines, later ones win) say otherwise. Closed in reverse order.
   */
  static final class ProxyOnEmulator implements AutoCloseable {
    final TestPki pki;
    final ActorSystem<Void> emuSystem;
    final ClearIpEmulator emulator;
    final ProxyServer proxy;

    private ProxyOnEmulator(TestPki pki, ActorSystem<Void> emuSystem, ClearIpEmulator emulator,
        ProxyServer proxy) {
      this.pki = pki;
      this.emuSystem = emuSystem;
      this.emulator = emulator;
      this.proxy = proxy;
    }

    static ProxyOnEmulator start(Path work, String emulatorHocon, String... proxyLines)
        throws Exception {
      return start(work, emulatorHocon, CallMetrics.NONE, TransportMetrics.NONE, proxyLines);
    }

    /** As {@link #start(Path, String, String...)}, the proxy counting into these metrics. */
    static ProxyOnEmulator start(Path work, String emulatorHocon, CallMetrics calls,
        TransportMetrics transports, String... proxyLines) throws Exception {
      TestPki pki = TestPki.create(work.resolve("pki"));
      TestPki.Leaf leaf = pki.issue("clearip", TestPki.KeyType.EC_P256, "127.0.0.1");
      ActorSystem<Void> sys = ActorSystem.create(
          org.apache.pekko.actor.typed.javadsl.Behaviors.empty(), "e2e-emulator");
      ClearIpEmulator emulator = emulator(sys, emulatorHocon, leaf);
      java.util.List<String> lines = new java.util.ArrayList<>(java.util.List.of(
          "clearip-proxy.listen.udp = [\"127.0.0.1:0\"]",
          "clearip-proxy.listen.tcp = [\"127.0.0.1:0\"]",
          "clearip-proxy.listen.tls = []",
          "clearip-proxy.upstream.uri = \"sip:127.0.0.1:"
              + emulator.bound().tls().get(0).getPort() + ";transport=tls\""));
      lines.addAll(java.util.List.of(proxyLines));
      ProxyServer proxy = proxy(with(ConfigFactory.parseString(String.join("\n", lines)),
          "clearip-proxy.upstream.tls.ca-file", pki.caCertificate()), calls, transports);
      if (!proxy.awaitUpstream(java.time.Duration.ofSeconds(10))) {
        throw new IllegalStateException("the proxy did not connect to the emulator");
      }
      return new ProxyOnEmulator(pki, sys, emulator, proxy);
    }

    @Override
    public void close() throws Exception {
      proxy.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
      emulator.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
      emuSystem.terminate();
    }
  }

  /** Sets a path-valued key (paths may hold characters HOCON would need quoted). */
  static Config with(Config c, String key, Path value) {
    return c.withValue(key, ConfigValueFactory.fromAnyRef(value.toString()));
  }
}
