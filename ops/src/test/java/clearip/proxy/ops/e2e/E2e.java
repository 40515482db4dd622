package clearip.proxy.ops.e2e;

import clearip.proxy.actors.call.CallMetrics;
import clearip.proxy.emulator.ClearIpEmulator;
import clearip.proxy.emulator.EmulatorSettings;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.launcher.ProxyServer;
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
    return ProxyServer.start(ProxyConfig.from(callFlowsOnly(c)), CallMetrics.NONE,
            TransportMetrics.NONE)
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

  /** Sets a path-valued key (paths may hold characters HOCON would need quoted). */
  static Config with(Config c, String key, Path value) {
    return c.withValue(key, ConfigValueFactory.fromAnyRef(value.toString()));
  }
}
