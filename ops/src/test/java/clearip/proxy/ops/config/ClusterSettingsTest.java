package clearip.proxy.ops.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterSettingsTest {
  @TempDir Path dir;

  private Path write(String hocon) throws IOException {
    Path f = dir.resolve("proxy.conf");
    Files.writeString(f, hocon);
    return f;
  }

  @Test
  void offByDefault() throws Exception {
    ClusterSettings c = ProxyConfig.defaults().cluster();
    assertFalse(c.enabled());
    assertEquals(Duration.ofSeconds(10), c.stableAfter());
    assertEquals(Duration.ZERO, c.sharedPenalty());
  }

  @Test
  void aNodeOfAFleetIsReadWhole() throws Exception {
    Path pem = rsaKey();
    ClusterSettings c = ProxyConfig.load(write("""
        clearip-proxy {
          inline.shared-penalty = 30s
          cluster { enabled = on, bind = "10.0.0.11:25520", stable-after = 7s
            seed-nodes = ["10.0.0.11:25520", "10.0.0.12:25520"]
            tls-certificate = "%1$s", tls-private-key = "%1$s", tls-ca-file = "%1$s" }
        }""".formatted(pem))).cluster();
    assertTrue(c.enabled());
    assertEquals(new InetSocketAddress("10.0.0.11", 25520), c.bind());
    assertEquals(List.of(new InetSocketAddress("10.0.0.11", 25520),
        new InetSocketAddress("10.0.0.12", 25520)), c.seedNodes());
    assertEquals(Duration.ofSeconds(7), c.stableAfter());
    assertEquals(Duration.ofSeconds(30), c.sharedPenalty());
    assertEquals(pem, c.tlsCaFile());
  }

  /** A PEM file holding an RSA key (PKCS#8); as certificate and CA it is only read later. */
  private Path rsaKey() throws Exception {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
    g.initialize(1024);
    byte[] der = g.generateKeyPair().getPrivate().getEncoded();
    return Files.writeString(dir.resolve("node.pem"), "-----BEGIN PRIVATE KEY-----\n"
        + java.util.Base64.getMimeEncoder().encodeToString(der) + "\n-----END PRIVATE KEY-----\n");
  }

  @Test
  void aKeyThatIsNotRsaIsAProblem() throws Exception {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    byte[] der = g.generateKeyPair().getPrivate().getEncoded();
    Path ec = Files.writeString(dir.resolve("ec.pem"), "-----BEGIN PRIVATE KEY-----\n"
        + java.util.Base64.getMimeEncoder().encodeToString(der) + "\n-----END PRIVATE KEY-----\n");
    List<String> p = assertThrows(ConfigProblemException.class, () -> ProxyConfig.load(write("""
        clearip-proxy.cluster { enabled = on, bind = "10.0.0.11:25520"
          seed-nodes = ["10.0.0.11:25520"]
          tls-certificate = "%1$s", tls-private-key = "%1$s", tls-ca-file = "%1$s" }"""
        .formatted(ec)))).problems();
    assertEquals(1, p.size(), p.toString());
    assertTrue(p.get(0).contains("cluster.tls-private-key: " + ec + " is not an RSA private key"),
        p.get(0));
  }

  @Test
  void everyProblemOfAnEnabledClusterIsReported() throws Exception {
    List<String> p = assertThrows(ConfigProblemException.class, () -> ProxyConfig.load(write("""
        clearip-proxy.cluster { enabled = on, bind = "0.0.0.0:25520"
          seed-nodes = ["10.0.0.11", "node-b:25520"]
          tls-certificate = "/nonexistent/node.crt" }""")))
        .problems();
    String all = String.join("\n", p);
    assertTrue(all.contains("cluster.bind: must name this node's own address"), all);
    assertTrue(all.contains("cluster.seed-nodes: '10.0.0.11' is not host:port"), all);
    assertTrue(all.contains("cluster.seed-nodes: 'node-b:25520': listen on an IP address"), all);
    assertTrue(all.contains("cluster.tls-certificate: cannot read /nonexistent/node.crt"), all);
    assertTrue(all.contains("cluster.tls-private-key: required"), all);
    assertTrue(all.contains("cluster.tls-ca-file: required"), all);
  }

  @Test
  void anEnabledClusterNeedsSeedsAndABind() throws Exception {
    List<String> p = assertThrows(ConfigProblemException.class, () -> ProxyConfig.load(write(
        "clearip-proxy.cluster.enabled = on"))).problems();
    String all = String.join("\n", p);
    assertTrue(all.contains("cluster.seed-nodes: list at least one node"), all);
    assertTrue(all.contains("cluster.bind"), all);
  }
}
