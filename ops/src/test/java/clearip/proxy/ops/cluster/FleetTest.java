package clearip.proxy.ops.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import clearip.proxy.actors.call.txn.Destination;
import clearip.proxy.ops.admin.FakeProxy;
import clearip.proxy.ops.admin.ProxyOperations;
import clearip.proxy.ops.config.ClusterSettings;
import clearip.proxy.ops.trace.TraceControl;
import clearip.proxy.streams.transport.Transport;
import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Two fleet nodes in this JVM on loopback, over mutual TLS with certificates made by openssl:
 * what one operator changes reaches the other, concurrent changes end the same on both, and a
 * destination failed on one is tried last on the other. Skipped where openssl is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetTest {
  static final Duration WAIT = Duration.ofSeconds(30);

  Path dir;
  final FakeProxy proxy1 = new FakeProxy();
  final FakeProxy proxy2 = new FakeProxy();
  ProxyOperations ops1;
  ProxyOperations ops2;
  Fleet fleet1;
  Fleet fleet2;

  static boolean installed(String binary) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (new File(d, binary).canExecute()) return true;
    }
    return false;
  }

  static void run(Path dir, String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("openssl.log").toFile()).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0,
        String.join(" ", cmd) + ": " + Files.readString(dir.resolve("openssl.log")));
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  ClusterSettings node(String name, int port, List<InetSocketAddress> seeds) {
    return new ClusterSettings(true, new InetSocketAddress("127.0.0.1", port), seeds,
        dir.resolve(name + ".crt"), dir.resolve(name + ".key"), dir.resolve("ca.crt"),
        Duration.ofSeconds(3), Duration.ofSeconds(30));
  }

  @BeforeAll
  void start() throws Exception {
    assumeTrue(installed("openssl"), "openssl is not installed; skipping the fleet test");
    dir = Files.createTempDirectory("fleet-test");
    run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
        "/CN=Test fleet CA", "-keyout", "ca.key", "-out", "ca.crt");
    Files.writeString(dir.resolve("node.ext"),
        "subjectAltName=DNS:clearip-fleet,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
    for (String n : List.of("n1", "n2")) {
      run(dir, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + n,
          "-keyout", n + ".key", "-out", n + ".csr");
      run(dir, "openssl", "x509", "-req", "-in", n + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
          "-CAcreateserial", "-days", "1", "-extfile", "node.ext", "-out", n + ".crt");
    }
    int p1 = freePort();
    int p2 = freePort();
    List<InetSocketAddress> seeds = List.of(new InetSocketAddress("127.0.0.1", p1),
        new InetSocketAddress("127.0.0.1", p2));
    ops1 = new ProxyOperations(proxy1, null);
    ops2 = new ProxyOperations(proxy2, null);
    fleet1 = Fleet.start(node("n1", p1, seeds), ops1, TraceControl.NONE, () -> "inFlight=1");
    fleet2 = Fleet.start(node("n2", p2, seeds), ops2, TraceControl.NONE, () -> "inFlight=2");
    await("two members Up on both nodes", () -> upCount(fleet1) == 2 && upCount(fleet2) == 2);
  }

  @AfterAll
  void stop() {
    if (fleet1 != null) fleet1.close();
    if (fleet2 != null) fleet2.close();
  }

  static long upCount(Fleet f) {
    return f.members().stream().filter(m -> m.endsWith(" Up")).count();
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  @Test
  void aChangeOnOneNodeIsInForceOnTheOther() throws Exception {
    ops1.setEmergencyNumbers("112,911");
    await("the numbers on node 2", () -> proxy2.settings.emergencyNumbers()
        .equals(Set.of("112", "911")));
    assertTrue(fleet2.settings().stream().anyMatch(s -> s.startsWith(
        "emergency.numbers = 112,911 (changed on " + fleet1.selfAddress())),
        fleet2.settings().toString());
    await("one settings version", () -> fleet1.settingsVersion() > 0
        && fleet1.settingsVersion() == fleet2.settingsVersion());
    assertEquals(null, fleet1.notReadyReason());
  }

  @Test
  void concurrentChangesEndTheSameOnBothNodes() throws Exception {
    CompletableFuture<String> a = CompletableFuture.supplyAsync(
        () -> ops1.setAccessAllow("10.0.0.0/8"));
    CompletableFuture<String> b = CompletableFuture.supplyAsync(
        () -> ops2.setAccessAllow("192.0.2.0/24"));
    a.get(10, TimeUnit.SECONDS);
    b.get(10, TimeUnit.SECONDS);
    await("one allow-list on both nodes", () -> ops1.accessAllow().equals(ops2.accessAllow())
        && fleet1.settings().equals(fleet2.settings()));
    assertTrue(Set.of("10.0.0.0/8", "192.0.2.0/24").contains(ops1.accessAllow()));
  }

  @Test
  void aDestinationThatFailedOnOneNodeGoesLastOnTheOther() throws Exception {
    Destination d = new Destination(Transport.UDP, "192.0.2.44", 5060, null);
    fleet1.destinationHealth().failed(d);
    await("node 2 penalizes the destination", () -> fleet2.destinationHealth().penalized(d));
    assertFalse(fleet1.destinationHealth().penalized(d), "not on the node it failed on");
  }

  @Test
  void eachNodesLoadIsSeenEverywhere() throws Exception {
    await("both loads on node 1", () -> fleet1.memberLoad().size() == 2);
    assertTrue(fleet1.memberLoad().stream().anyMatch(
        l -> l.startsWith(fleet2.selfAddress() + " inFlight=2 age=")),
        fleet1.memberLoad().toString());
  }
}
