package clearip.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import clearip.proxy.emulator.ClearIpEmulator;
import clearip.proxy.emulator.EmulatorSettings;
import clearip.proxy.streams.tls.TestPki;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A fleet of three launched proxies on 127.0.0.1 (distinct SIP, admin, JMX and cluster ports),
 * with mutual TLS between them from certificates made here, and the ClearIP emulator in this
 * JVM: the fleet forms; a setting changed over JMX on A is in force on B and C within 5 s;
 * SIPp's calls through A and C are all answered while B is killed (SIGKILL), and B leaves the
 * members; B started again joins and adopts the fleet's settings; a node with a certificate
 * from another CA cannot join; B cut off (SIGSTOP) is removed by the split-brain resolver, every
 * node answering its calls meanwhile, and joins again once it runs (SIGCONT). Bounded: about
 * 2,000 calls, every wait has a deadline.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterEndToEndTest {
  static final Duration WAIT = Duration.ofSeconds(45);
  /** The split-brain resolver's wait in this test (the default is 10 s). */
  static final String STABLE_AFTER = "3s";
  static final String NUMBER = "14016401234";

  Path work;
  TestPki pki;
  ActorSystem<Void> emuSystem;
  ClearIpEmulator emulator;
  String upstreamUri;
  final Node[] nodes = new Node[3];
  Node rogue;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** One launched proxy: its ports, files, process and JMX connection. */
  final class Node {
    final String name;
    final int sip;
    final int admin;
    final int jmx;
    final int cluster;
    Path conf;
    Path log;
    Process process;
    JMXConnector connector;

    Node(String name) throws IOException {
      this.name = name;
      sip = Sipp.freePort();
      admin = Sipp.freePort();
      jmx = Sipp.freePort();
      cluster = Sipp.freePort();
    }

    String address() {
      return "127.0.0.1:" + cluster;
    }

    InetSocketAddress udp() {
      return new InetSocketAddress(InetAddress.getLoopbackAddress(), sip);
    }

    void write(TestPki.Leaf leaf, Path ca, List<Node> seeds) throws IOException {
      List<String> seedList = new ArrayList<>();
      for (Node s : seeds) seedList.add("\"" + s.address() + "\"");
      conf = work.resolve(name + ".conf");
      log = work.resolve(name + ".log");
      Files.writeString(conf, String.join("\n",
          "clearip-proxy {",
          "  listen { udp = [\"127.0.0.1:" + sip + "\"], tcp = [], tls = [] }",
          "  upstream.uri = \"" + upstreamUri + "\"",
          "  upstream.tls.ca-file = \"" + pki.caCertificate() + "\"",
          "  calls.max-dispatch-delay = 0",
          "  admin.listen = \"127.0.0.1:" + admin + "\"",
          "  warmup.enabled = off",
          "  trace.file = \"" + work.resolve(name + ".pcap") + "\"",
          "  shutdown.drain-timeout = 2s",
          "  cluster {",
          "    enabled = on",
          "    bind = \"" + address() + "\"",
          "    seed-nodes = [" + String.join(", ", seedList) + "]",
          "    tls-certificate = \"" + leaf.certificate() + "\"",
          "    tls-private-key = \"" + leaf.privateKey() + "\"",
          "    tls-ca-file = \"" + ca + "\"",
          "    stable-after = " + STABLE_AFTER,
          "  }",
          "}", ""));
    }

    void launch() throws IOException {
      if (connector != null) closeJmx();
      Files.deleteIfExists(log);
      process = OperationsEndToEndTest.launch(conf, log,
          "-Dcom.sun.management.jmxremote.host=127.0.0.1",
          "-Dcom.sun.management.jmxremote.port=" + jmx,
          "-Dcom.sun.management.jmxremote.rmi.port=" + jmx,
          "-Dcom.sun.management.jmxremote.authenticate=false",
          "-Dcom.sun.management.jmxremote.ssl=false",
          "-Djava.rmi.server.hostname=127.0.0.1");
    }

    MBeanServerConnection mbeans() throws IOException {
      if (connector == null) {
        connector = JMXConnectorFactory.connect(new JMXServiceURL(
            "service:jmx:rmi:///jndi/rmi://127.0.0.1:" + jmx + "/jmxrmi"));
      }
      return connector.getMBeanServerConnection();
    }

    void closeJmx() {
      try {
        if (connector != null) connector.close();
      } catch (IOException ignored) {
        // the process is gone
      }
      connector = null;
    }

    Object proxy(String attribute) throws Exception {
      return mbeans().getAttribute(new ObjectName("clearip.proxy:type=Proxy"), attribute);
    }

    Object cluster(String attribute) throws Exception {
      return mbeans().getAttribute(new ObjectName("clearip.proxy:type=Cluster"), attribute);
    }

    List<String> members() throws Exception {
      return Arrays.asList((String[]) cluster("Members"));
    }

    String invoke(String operation, String argument) throws Exception {
      return (String) mbeans().invoke(new ObjectName("clearip.proxy:type=Proxy"), operation,
          new Object[] {argument}, new String[] {String.class.getName()});
    }

    HttpResponse<String> get(String path) throws Exception {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + path))
          .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Polls until this node is ready (200) and sees {@code expected} members Up. */
    boolean readyWith(List<Node> expected) {
      try {
        if (get("/ready").statusCode() != 200) return false;
        List<String> m = members();
        if (m.size() != expected.size()) return false;
        for (Node n : expected) {
          if (!m.contains(n.address() + " Up")) return false;
        }
        return true;
      } catch (Exception e) {
        if (!process.isAlive()) OperationsEndToEndTest.fail(log);
        closeJmx(); // not up yet: connect again next time
        return false;
      }
    }

    void kill(String signal) throws Exception {
      Process k = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
          .start();
      assertTrue(k.waitFor(10, TimeUnit.SECONDS) && k.exitValue() == 0, "kill -" + signal);
    }

    void stop() throws InterruptedException {
      closeJmx();
      if (process == null || !process.isAlive()) return;
      try {
        kill("CONT"); // a stopped process would not see SIGTERM
      } catch (Exception | AssertionError ignored) {
        // gone already
      }
      process.destroy(); // our own child: SIGTERM
      if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly();
    }
  }

  @BeforeAll
  void start() throws Exception {
    assumeTrue(Sipp.which("kill") != null, "kill is not installed; skipping the fleet test");
    work = Files.createTempDirectory("e2e-cluster");
    pki = TestPki.create(work.resolve("pki"), "Fleet CA");
    TestPki.Leaf emuLeaf = pki.issue("clearip", TestPki.KeyType.EC_P256, "127.0.0.1");
    emuSystem = ActorSystem.create(Behaviors.empty(), "cluster-emulator");
    Config emu = ConfigFactory.parseString("""
        clearip-emulator {
          listen { udp = [], tcp = [], tls = ["127.0.0.1:0"] }
          identity.reuse-across-numbers = on
          rules = [
            { name = r1, called-prefix = "1", action = redirect, identity = on, attest = A,
              destinations = ["sip:${user}@127.0.0.1:5080", "sip:${user}@127.0.0.1:5082"] }
          ]
        }
        """)
        .withValue("clearip-emulator.tls.certificate",
            ConfigValueFactory.fromAnyRef(emuLeaf.chain().toString()))
        .withValue("clearip-emulator.tls.private-key",
            ConfigValueFactory.fromAnyRef(emuLeaf.privateKey().toString()))
        .withFallback(ConfigFactory.defaultReference()).resolve();
    emulator = ClearIpEmulator.start(emuSystem,
        EmulatorSettings.fromConfig(emu.getConfig(EmulatorSettings.SECTION)))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    upstreamUri = "sip:127.0.0.1:" + emulator.bound().tls().get(0).getPort() + ";transport=tls";
    String[] names = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) nodes[i] = new Node(names[i]);
    for (Node n : nodes) {
      // RSA keys: Pekko's PEM reader takes RSA only; one shared name proves fleet membership
      TestPki.Leaf leaf = pki.issue("node-" + n.name, TestPki.KeyType.RSA_2048, "clearip-fleet",
          "127.0.0.1");
      n.write(leaf, pki.caCertificate(), List.of(nodes));
      n.launch();
    }
  }

  @AfterAll
  void stop() throws Exception {
    for (Node n : nodes) {
      if (n != null) n.stop();
    }
    if (rogue != null) rogue.stop();
    if (emulator != null) emulator.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
    if (emuSystem != null) emuSystem.terminate();
  }

  Node a() {
    return nodes[0];
  }

  Node b() {
    return nodes[1];
  }

  Node c() {
    return nodes[2];
  }

  void awaitFleet(List<Node> members, List<Node> watchers) throws InterruptedException {
    for (Node n : watchers) {
      OperationsEndToEndTest.await(n.name + " ready with " + members.size() + " members Up",
          WAIT, () -> n.readyWith(members));
    }
  }

  /** Calls through one node in the background, bounded in count and time. */
  CompletableFuture<Sipp.Result> calls(Node via, String run, int count, int rate) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return Sipp.run(work.resolve(run), "uac_302", NUMBER, via.udp(), "u1", count, rate,
            Duration.ofSeconds(30));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  @Order(1)
  void threeNodesFormAFleet() throws Exception {
    awaitFleet(List.of(nodes), List.of(nodes));
    for (Node n : nodes) {
      assertEquals(n.address(), n.cluster("SelfAddress"));
      String metrics = n.get("/metrics").body();
      assertEquals(3.0, OperationsEndToEndTest.sample(metrics,
          "clearip_cluster_members{status=\"up\"}"), metrics);
    }
    assertTrue(List.of(a().address(), b().address(), c().address())
        .contains((String) a().cluster("Leader")));
    // the operator's view: ctl cluster
    CtlEndToEndTest.Ctl ctl = CtlEndToEndTest.ctl("cluster", "--jmx", "127.0.0.1:" + b().jmx);
    assertEquals(0, ctl.code(), ctl.err());
    assertEquals(b().address(), ctl.value("self"));
    assertEquals(3, ctl.out().lines().filter(l -> l.startsWith("member=") && l.endsWith(" Up"))
        .count(), ctl.out());
    assertEquals("", ctl.value("problem"));
  }

  @Test
  @Order(2)
  void aSettingChangedOnAIsInForceOnBAndCWithinFiveSeconds() throws Exception {
    long t0 = System.nanoTime();
    String r = a().invoke("setEmergencyNumbers", "911, 933, 112");
    assertTrue(r.contains("112"), r);
    OperationsEndToEndTest.await("the emergency numbers in force on B and C", WAIT, () -> {
      try {
        return "112,911,933".equals(b().proxy("EmergencyNumbers"))
            && "112,911,933".equals(c().proxy("EmergencyNumbers"));
      } catch (Exception e) {
        return false;
      }
    });
    long millis = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("fleet propagation of setEmergencyNumbers: " + millis + " ms");
    assertTrue(millis < 5000, "in force on B and C after " + millis + " ms");

    t0 = System.nanoTime();
    CtlEndToEndTest.Ctl set = CtlEndToEndTest.ctl("set-access-allow", "127.0.0.0/8,10.0.0.0/8",
        "--jmx", "127.0.0.1:" + a().jmx);
    assertEquals(0, set.code(), set.err());
    OperationsEndToEndTest.await("the allow-list in force on B and C", WAIT, () -> {
      try {
        return "127.0.0.0/8,10.0.0.0/8".equals(b().proxy("AccessAllow"))
            && "127.0.0.0/8,10.0.0.0/8".equals(c().proxy("AccessAllow"));
      } catch (Exception e) {
        return false;
      }
    });
    millis = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("fleet propagation of setAccessAllow: " + millis + " ms");
    assertTrue(millis < 5000, "in force on B and C after " + millis + " ms");
    long version = (Long) a().cluster("SettingsVersion");
    assertTrue(version > 0);
    // A may see its own last change later than B and C do (the replicator tells local
    // subscribers at its own pace): the three converge on one version, at least A's first reading
    OperationsEndToEndTest.await("the same settings version everywhere", WAIT, () -> {
      try {
        long va = (Long) a().cluster("SettingsVersion");
        return va >= version && va == (Long) b().cluster("SettingsVersion")
            && va == (Long) c().cluster("SettingsVersion");
      } catch (Exception e) {
        return false;
      }
    });
    // a trace started on A runs on every node
    String trace = (String) a().mbeans().invoke(new ObjectName("clearip.proxy:type=Proxy"),
        "startTrace", new Object[] {3}, new String[] {int.class.getName()});
    assertTrue(trace.toLowerCase(Locale.ROOT).contains("trac"), trace);
    OperationsEndToEndTest.await("the trace started on B and C", WAIT,
        () -> OperationsEndToEndTest.read(b().log).contains("Fleet setting trace applied")
            && OperationsEndToEndTest.read(c().log).contains("Fleet setting trace applied"));
    // every node logged the change with where it came from
    for (Node n : nodes) {
      String text = OperationsEndToEndTest.read(n.log);
      assertTrue(text.contains("Fleet setting emergency.numbers = 112,911,933 (changed on "
          + a().address()), n.name + ":\n" + text);
    }
  }

  @Test
  @Order(3)
  void killingBUnderLoadCostsNoCallThroughAOrC() throws Exception {
    Sipp.assumeInstalled();
    CompletableFuture<Sipp.Result> viaA = calls(a(), "kill-a", 500, 100);
    CompletableFuture<Sipp.Result> viaC = calls(c(), "kill-c", 500, 100);
    // B dies while the calls are under way
    OperationsEndToEndTest.await("calls under way", WAIT, () -> {
      try {
        return (Long) a().proxy("CallsReceived") > 50;
      } catch (Exception e) {
        return false;
      }
    });
    long killed = System.nanoTime();
    b().process.destroyForcibly(); // SIGKILL, our own child
    b().closeJmx();
    OperationsEndToEndTest.assertAllPassed(viaA.get(60, TimeUnit.SECONDS), 500);
    OperationsEndToEndTest.assertAllPassed(viaC.get(60, TimeUnit.SECONDS), 500);
    awaitFleet(List.of(a(), c()), List.of(a(), c()));
    long removal = (System.nanoTime() - killed) / 1_000_000;
    System.out.println("B removed from the members " + removal + " ms after SIGKILL (stable-after "
        + STABLE_AFTER + ")");
    assertFalse(a().members().stream().anyMatch(m -> m.startsWith(b().address())));
  }

  @Test
  @Order(4)
  void bStartedAgainJoinsAndAdoptsTheFleetsSettings() throws Exception {
    b().launch();
    awaitFleet(List.of(nodes), List.of(nodes));
    // B's file still says 911,933 and an empty allow-list: the fleet's values win
    OperationsEndToEndTest.await("B adopted the fleet's settings", WAIT, () -> {
      try {
        return "112,911,933".equals(b().proxy("EmergencyNumbers"))
            && "127.0.0.0/8,10.0.0.0/8".equals(b().proxy("AccessAllow"));
      } catch (Exception e) {
        return false;
      }
    });
  }

  @Test
  @Order(5)
  void aNodeWithACertificateFromAnotherCaCannotJoin() throws Exception {
    TestPki other = TestPki.create(work.resolve("other-pki"), "Other CA");
    TestPki.Leaf leaf = other.issue("node-rogue", TestPki.KeyType.RSA_2048, "clearip-fleet",
        "127.0.0.1");
    rogue = new Node("rogue");
    // it trusts the fleet's CA; the fleet does not trust its certificate
    rogue.write(leaf, pki.caCertificate(), List.of(nodes));
    rogue.launch();
    OperationsEndToEndTest.await("the fleet refused the rogue node's handshake", WAIT, () -> {
      String text = OperationsEndToEndTest.read(rogue.log).toLowerCase(Locale.ROOT)
          + OperationsEndToEndTest.read(a().log).toLowerCase(Locale.ROOT);
      return text.contains("sslhandshakeexception") || text.contains("certificate_unknown")
          || text.contains("unable to find valid certification path");
    });
    for (Node n : nodes) {
      assertEquals(3, n.members().size(), n.members().toString());
      assertFalse(n.members().stream().anyMatch(m -> m.startsWith(rogue.address())));
    }
    rogue.stop();
  }

  @Test
  @Order(6)
  void bCutOffIsRemovedByTheSplitBrainResolverAndJoinsAgain() throws Exception {
    Sipp.assumeInstalled();
    b().closeJmx(); // closing it would wait on the stopped process
    long cut = System.nanoTime();
    b().kill("STOP");
    try {
      // A and C hold the majority: they down B and stay ready, answering every call
      CompletableFuture<Sipp.Result> viaA = calls(a(), "cut-a", 200, 50);
      CompletableFuture<Sipp.Result> viaC = calls(c(), "cut-c", 200, 50);
      awaitFleet(List.of(a(), c()), List.of(a(), c()));
      System.out.println("B (SIGSTOP) removed " + (System.nanoTime() - cut) / 1_000_000
          + " ms after it was cut off");
      OperationsEndToEndTest.assertAllPassed(viaA.get(60, TimeUnit.SECONDS), 200);
      OperationsEndToEndTest.assertAllPassed(viaC.get(60, TimeUnit.SECONDS), 200);
    } finally {
      b().kill("CONT");
    }
    // B, running again, finds itself alone or removed: /ready says so (a switch or balancer
    // that watches it may prefer the others) ...
    OperationsEndToEndTest.await("B reports that it is out of the fleet's majority", WAIT, () -> {
      try {
        HttpResponse<String> r = b().get("/ready");
        return r.statusCode() == 503 && r.body().contains("fleet");
      } catch (Exception e) {
        return false;
      }
    });
    // ... and keeps answering calls with its settings ...
    CompletableFuture<Sipp.Result> viaB = calls(b(), "cut-b", 100, 50);
    OperationsEndToEndTest.assertAllPassed(viaB.get(60, TimeUnit.SECONDS), 100);
    assertEquals("112,911,933", b().proxy("EmergencyNumbers"));
    // ... and joins the fleet again by itself
    awaitFleet(List.of(nodes), List.of(nodes));
    assertTrue(OperationsEndToEndTest.read(b().log).contains("joins again"),
        OperationsEndToEndTest.read(b().log));
  }
}
