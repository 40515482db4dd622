package clearip.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import clearip.proxy.ops.admin.ProxyOperations;
import clearip.proxy.ops.server.ProxyServer;
import clearip.proxy.streams.tls.TestPki;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The proxy's TLS sockets as a scanner sees them, with OpenSSL's own client and server: the
 * listener takes TLS 1.2 with forward-secret AEAD suites and TLS 1.3 only, and the connection to
 * ClearIP refuses a server that offers anything less. Skipped where {@code openssl} is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsPostureEndToEndTest {
  Path work;
  TestPki pki;
  TestPki.Leaf leaf;
  ProxyServer proxy;
  final List<ProxyServer> extra = new ArrayList<>();
  final List<Process> servers = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("e2e-tls-posture");
    pki = TestPki.create(work.resolve("pki"));
    leaf = pki.issue("proxy", TestPki.KeyType.EC_P256, "127.0.0.1", "localhost");
    proxy = proxy(Sipp.freePort());
  }

  ProxyServer proxy(int upstreamPort) throws Exception {
    Config c = ConfigFactory.parseString(String.join("\n",
        "clearip-proxy.listen.udp = []",
        "clearip-proxy.listen.tcp = []",
        "clearip-proxy.listen.tls = [\"127.0.0.1:0\"]",
        "clearip-proxy.upstream.uri = \"sip:127.0.0.1:" + upstreamPort + ";transport=tls\""));
    c = E2e.with(c, "clearip-proxy.listen.tls-certificate", leaf.chain());
    c = E2e.with(c, "clearip-proxy.listen.tls-private-key", leaf.privateKey());
    return E2e.proxy(E2e.with(c, "clearip-proxy.upstream.tls.ca-file", pki.caCertificate()));
  }

  @AfterAll
  void stop() throws Exception {
    for (Process p : servers) p.destroy(); // ours, by handle
    for (ProxyServer p : extra) p.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
    if (proxy != null) proxy.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  static void assumeOpenssl() {
    assumeTrue(Sipp.which("openssl") != null, "openssl not installed (Debian: openssl)");
  }

  /** openssl s_client against the listener; its output, after the handshake (or its failure). */
  String client(String... options) throws Exception {
    InetSocketAddress tls = proxy.bound().tls().get(0);
    List<String> cmd = new ArrayList<>(List.of(Sipp.which("openssl"), "s_client", "-connect",
        "127.0.0.1:" + tls.getPort(), "-CAfile", pki.caCertificate().toString()));
    cmd.addAll(List.of(options));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    return out;
  }

  static boolean negotiated(String out) {
    return out.contains("New, TLSv1") && !out.contains("Cipher is (NONE)");
  }

  @Test
  void theListenerTakesTls13AndTls12WithAeadOnly() throws Exception {
    assumeOpenssl();
    String v13 = client("-tls1_3");
    assertTrue(negotiated(v13) && v13.contains("TLSv1.3"), v13);
    String aead = client("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256");
    assertTrue(negotiated(aead) && aead.contains("ECDHE-ECDSA-AES128-GCM-SHA256"), aead);
    // what a scanner tries next; OpenSSL's own floor lowered, so only the proxy can say no
    for (String[] refused : List.of(
        new String[] {"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"},
        new String[] {"-tls1_2", "-cipher", "AES128-GCM-SHA256:@SECLEVEL=0"},
        new String[] {"-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"},
        new String[] {"-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"})) {
      String out = client(refused);
      assertFalse(negotiated(out), String.join(" ", refused) + ":\n" + out);
    }
  }

  /** An upstream "ClearIP" that offers what the proxy must refuse. */
  void refusedUpstream(String... serverOptions) throws Exception {
    int port = Sipp.freePort();
    List<String> cmd = new ArrayList<>(List.of(Sipp.which("openssl"), "s_server", "-accept",
        "127.0.0.1:" + port, "-cert", leaf.chain().toString(), "-key",
        leaf.privateKey().toString(), "-naccept", "1000", "-quiet"));
    cmd.addAll(List.of(serverOptions));
    Process server = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(work.resolve("s_server-" + port + ".log").toFile()).start();
    servers.add(server);
    ProxyServer p = proxy(port);
    extra.add(p);
    ProxyOperations ops = new ProxyOperations(p, null);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    String error = "";
    while (System.nanoTime() < deadline) {
      error = ops.upstreamStatus().lastError();
      if (refusedHandshake(error)) break;
      TimeUnit.MILLISECONDS.sleep(50);
    }
    assertTrue(refusedHandshake(error), error);
    assertFalse(p.upstream().isUp(), "never connected");
    assertEquals(0, ops.upstreamStatus().connects());
  }

  static boolean refusedHandshake(String error) {
    return error != null && (error.contains("alert") || error.contains("handshake"));
  }

  @Test
  void theConnectionToClearIpRefusesOldProtocolsAndNonAeadSuites() throws Exception {
    assumeOpenssl();
    refusedUpstream("-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0");
    refusedUpstream("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0");
  }
}
