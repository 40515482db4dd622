package clearip.proxy.ops.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import clearip.proxy.ops.config.ClusterSettings;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.server.ProxyServer;
import com.typesafe.config.Config;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FleetConfigTest {
  final ClusterSettings node = new ClusterSettings(true, new InetSocketAddress("10.0.0.11", 25520),
      List.of(new InetSocketAddress("10.0.0.11", 25520), new InetSocketAddress("10.0.0.12", 25520)),
      Path.of("/etc/fleet/node.crt"), Path.of("/etc/fleet/node.key"), Path.of("/etc/fleet/ca.crt"),
      Duration.ofSeconds(7), Duration.ZERO);

  @Test
  void theClusterSystemSpeaksMutualTlsFromThePemFiles() {
    Config c = FleetConfig.of(node);
    assertEquals("cluster", c.getString("pekko.actor.provider"));
    assertEquals("tls-tcp", c.getString("pekko.remote.artery.transport"));
    assertEquals("org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider",
        c.getString("pekko.remote.artery.ssl.ssl-engine-provider"));
    Config keys = c.getConfig("pekko.remote.artery.ssl.rotating-keys-engine");
    assertEquals("/etc/fleet/node.key", keys.getString("key-file"));
    assertEquals("/etc/fleet/node.crt", keys.getString("cert-file"));
    assertEquals("/etc/fleet/ca.crt", keys.getString("ca-cert-file"));
    assertEquals("10.0.0.11", c.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals(25520, c.getInt("pekko.remote.artery.canonical.port"));
  }

  @Test
  void staticSeedsAndKeepMajority() {
    Config c = FleetConfig.of(node);
    assertEquals(List.of("pekko://clearip-fleet@10.0.0.11:25520",
        "pekko://clearip-fleet@10.0.0.12:25520"), c.getStringList("pekko.cluster.seed-nodes"));
    assertEquals("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider",
        c.getString("pekko.cluster.downing-provider-class"));
    assertEquals("keep-majority",
        c.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    assertEquals(Duration.ofSeconds(7),
        c.getDuration("pekko.cluster.split-brain-resolver.stable-after"));
  }

  @Test
  void theCallsSystemStaysLocalOnANodeOfAFleet(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
    g.initialize(1024);
    Path key = java.nio.file.Files.writeString(dir.resolve("node.key"),
        "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder().encodeToString(
            g.generateKeyPair().getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
    ProxyConfig fleet = ProxyConfig.defaults().with(com.typesafe.config.ConfigFactory
        .parseString("""
            clearip-proxy.cluster { enabled = on, bind = "127.0.0.1:25520"
              seed-nodes = ["127.0.0.1:25520"]
              tls-certificate = "%1$s", tls-private-key = "%1$s", tls-ca-file = "%1$s" }"""
            .formatted(key)));
    assertEquals(true, fleet.cluster().enabled());
    assertEquals("local", ProxyServer.pekkoConfig(fleet).getString("pekko.actor.provider"));
  }
}
