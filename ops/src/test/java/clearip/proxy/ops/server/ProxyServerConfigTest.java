package clearip.proxy.ops.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import clearip.proxy.ops.config.ProxyConfig;
import com.typesafe.config.Config;
import org.junit.jupiter.api.Test;

class ProxyServerConfigTest {

  @Test
  void theCallsAndTheTcpConnectionsShareOneDispatcherSizedByCallsThreads() throws Exception {
    ProxyConfig defaults = ProxyConfig.defaults();
    Config pekko = ProxyServer.pekkoConfig(defaults);
    int threads = defaults.dispatcherThreads();
    assertEquals(threads,
        pekko.getInt("pekko.actor.default-dispatcher.fork-join-executor.parallelism-min"));
    assertEquals(threads,
        pekko.getInt("pekko.actor.default-dispatcher.fork-join-executor.parallelism-max"));
    assertEquals("pekko.actor.default-dispatcher",
        pekko.getString("pekko.io.tcp.worker-dispatcher"));
  }

  @Test
  void switchesConnectionsRunOnADispatcherOfTheirOwnWithAtMostHalfTheCores() throws Exception {
    ProxyConfig defaults = ProxyConfig.defaults();
    Config pekko = ProxyServer.pekkoConfig(defaults);
    Config d = pekko.getConfig(ProxyServer.CONNECTION_DISPATCHER);
    assertEquals("Dispatcher", d.getString("type"));
    assertEquals(Math.max(1, defaults.dispatcherThreads() / 2),
        d.getInt("fork-join-executor.parallelism-max"));
  }
}
