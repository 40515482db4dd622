package clearip.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.emulator.ClearIpEmulator;
import clearip.proxy.emulator.EmulatorSettings;
import clearip.proxy.ops.cli.Cli;
import clearip.proxy.ops.ctl.CtlCommand;
import clearip.proxy.ops.ctl.ProxyConnector;
import clearip.proxy.streams.tls.TestPki;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
 * {@code clearip-proxy ctl} on the real launcher in a JVM of its own, with remote JMX turned on
 * as README says (password authentication; TLS is left to OperationsEndToEndTest, which needs a
 * JVM of its own for the trust store), and through local attach (--pid). The ClearIP emulator
 * listens on TLS and TCP, so switching the upstream transport can be watched.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CtlEndToEndTest {
  /** A loopback address of its own, so the emulator can take the default ports 5060/5061. */
  static final String EMU_HOST = "127.0.93.43";
  static final Duration WAIT = Duration.ofSeconds(30);

  Path work;
  ActorSystem<Void> emuSystem;
  ClearIpEmulator emulator;
  boolean defaultPorts;
  Process proxy;
  Path log;
  int jmxPort;
  int sipPort;
  Path operatorPassword;
  Path monitorPassword;

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("e2e-ctl");
    TestPki pki = TestPki.create(work.resolve("pki"));
    TestPki.Leaf leaf = pki.issue("clearip", TestPki.KeyType.EC_P256, "127.0.0.1", EMU_HOST);
    emuSystem = ActorSystem.create(Behaviors.empty(), "ctl-emulator");
    String tlsUri;
    try {
      emulator = startEmulator(leaf, EMU_HOST + ":5061", EMU_HOST + ":5060");
      defaultPorts = true;
      tlsUri = "sip:" + EMU_HOST + ":5061;transport=tls";
    } catch (Exception busy) {
      // 5060/5061 taken on that address: the switch is seen in the URI only
      emulator = startEmulator(leaf, "127.0.0.1:0", "127.0.0.1:0");
      tlsUri = "sip:127.0.0.1:" + emulator.bound().tls().get(0).getPort() + ";transport=tls";
    }
    sipPort = Sipp.freePort();
    jmxPort = Sipp.freePort();
    Path conf = work.resolve("proxy.conf");
    Files.writeString(conf, String.join("\n",
        "clearip-proxy.listen.udp = [\"127.0.0.1:" + sipPort + "\"]",
        "clearip-proxy.listen.tcp = []",
        "clearip-proxy.listen.tls = []",
        "clearip-proxy.upstream.uri = \"" + tlsUri + "\"",
        "clearip-proxy.upstream.tls.ca-file = \"" + pki.caCertificate() + "\"",
        "clearip-proxy.upstream.timeout = 4s",
        "clearip-proxy.calls.max-dispatch-delay = 0",
        "clearip-proxy.admin.listen = \"\"",
        "clearip-proxy.shutdown.drain-timeout = 5s",
        "clearip-proxy.trace.file = \"" + work.resolve("traces/ctl.pcap") + "\"", ""));
    Path password = work.resolve("jmxremote.password");
    Files.writeString(password, "monitor s3cret-monitor\noperator s3cret-operator\n");
    Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
    Path access = Files.writeString(work.resolve("jmxremote.access"),
        "monitor readonly\noperator readwrite\n");
    operatorPassword = Files.writeString(work.resolve("operator.pw"), "s3cret-operator\n");
    monitorPassword = Files.writeString(work.resolve("monitor.pw"), "s3cret-monitor\n");
    log = work.resolve("proxy.log");
    proxy = OperationsEndToEndTest.launch(conf, log,
        "-Dcom.sun.management.jmxremote.host=127.0.0.1",
        "-Dcom.sun.management.jmxremote.port=" + jmxPort,
        "-Dcom.sun.management.jmxremote.rmi.port=" + jmxPort,
        "-Dcom.sun.management.jmxremote.authenticate=true",
        "-Dcom.sun.management.jmxremote.password.file=" + password,
        "-Dcom.sun.management.jmxremote.access.file=" + access,
        "-Dcom.sun.management.jmxremote.ssl=false",
        "-Djava.rmi.server.hostname=127.0.0.1");
    OperationsEndToEndTest.await("the launched proxy is ready (ctl status)", WAIT, () -> {
      if (!proxy.isAlive()) return OperationsEndToEndTest.fail(log);
      Ctl s = operator("status");
      // the Upstream bean's state is up to a second older than readiness
      return s.code() == 0 && s.out().contains("ready=yes\n")
          && s.out().contains("upstream-state=CONNECTED\n");
    });
  }

  ClearIpEmulator startEmulator(TestPki.Leaf leaf, String tls, String tcp) throws Exception {
    Config emu = ConfigFactory.parseString("""
        clearip-emulator {
          listen { udp = [], tcp = ["%s"], tls = ["%s"] }
          identity.reuse-across-numbers = on
          rules = [
            { name = slow7, called-prefix = "7", action = redirect, delay = 1500ms, identity = on,
              attest = A,
              destinations = ["sip:${user}@127.0.0.1:5080", "sip:${user}@127.0.0.1:5082"] }
          ]
        }
        """.formatted(tcp, tls))
        .withValue("clearip-emulator.tls.certificate",
            ConfigValueFactory.fromAnyRef(leaf.chain().toString()))
        .withValue("clearip-emulator.tls.private-key",
            ConfigValueFactory.fromAnyRef(leaf.privateKey().toString()))
        .withFallback(ConfigFactory.defaultReference()).resolve();
    return ClearIpEmulator.start(emuSystem,
        EmulatorSettings.fromConfig(emu.getConfig(EmulatorSettings.SECTION)))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  void stop() throws Exception {
    if (proxy != null) {
      proxy.destroy(); // our own child: SIGTERM
      if (!proxy.waitFor(30, TimeUnit.SECONDS)) proxy.destroyForcibly();
    }
    if (emulator != null) emulator.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
    if (emuSystem != null) emuSystem.terminate();
  }

  /** One ctl run in this JVM, as the operator would type it; its exit code and output. */
  record Ctl(int code, String out, String err) {
    String value(String key) {
      return out.lines().filter(l -> l.startsWith(key + "=")).findFirst()
          .map(l -> l.substring(key.length() + 1)).orElseThrow(() -> new AssertionError(
              "no " + key + " in\n" + out));
    }
  }

  static Ctl ctl(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Cli.configure(CtlCommand.commandLine(ProxyConnector.JMX),
        new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new Ctl(code, out.toString().replace(System.lineSeparator(), "\n"), err.toString());
  }

  Ctl operator(String... command) {
    List<String> args = new ArrayList<>(List.of(command));
    args.addAll(List.of("--jmx", "127.0.0.1:" + jmxPort, "--user", "operator",
        "--password-file", operatorPassword.toString()));
    return ctl(args.toArray(new String[0]));
  }

  @Test
  @Order(1)
  void statusOverRemoteJmxIsOneFactPerLine() {
    Ctl s = operator("status");
    assertEquals(0, s.code(), s.err());
    assertEquals("tls-proxy", s.value("mode"));
    assertEquals("yes", s.value("ready"));
    assertEquals("", s.value("not-ready-reason"));
    assertEquals("no", s.value("draining"));
    assertEquals("0", s.value("calls-in-flight"));
    assertEquals("CONNECTED", s.value("upstream-state"));
    assertTrue(s.value("upstream-uri").endsWith(";transport=tls"), s.out());
  }

  @Test
  @Order(2)
  void wrongCredentialsAndReadOnlyUsersAreOneLineAndExitThree() throws Exception {
    Path wrong = Files.writeString(work.resolve("wrong.pw"), "guess\n");
    Ctl refused = ctl("status", "--jmx", "127.0.0.1:" + jmxPort, "--user", "operator",
        "--password-file", wrong.toString());
    assertEquals(3, refused.code(), refused.err());
    assertTrue(refused.err().contains("refused the credentials"), refused.err());
    assertEquals(1, refused.err().strip().lines().count(), refused.err());

    Ctl monitorStatus = ctl("status", "--jmx", "127.0.0.1:" + jmxPort, "--user", "monitor",
        "--password-file", monitorPassword.toString());
    assertEquals(0, monitorStatus.code(), monitorStatus.err());
    Ctl monitorDrain = ctl("drain", "--jmx", "127.0.0.1:" + jmxPort, "--user", "monitor",
        "--password-file", monitorPassword.toString());
    assertEquals(3, monitorDrain.code(), monitorDrain.err());
    assertTrue(monitorDrain.err().contains("not allowed"), monitorDrain.err());
    assertEquals("no", operator("status").value("draining"));
  }

  @Test
  @Order(3)
  void setUpstreamTransportSwitchesTheClearIpConnection() throws Exception {
    Ctl tcp = operator("set-upstream-transport", "tcp");
    assertEquals(0, tcp.code(), tcp.err());
    assertTrue(tcp.out().contains("transport=tcp"), tcp.out());
    assertTrue(operator("status").value("upstream-uri").endsWith(";transport=tcp"));
    if (defaultPorts) {
      OperationsEndToEndTest.await("connected to ClearIP over TCP (5060)", WAIT, () -> {
        Ctl s = operator("status");
        return s.value("upstream-state").equals("CONNECTED")
            && s.value("upstream-address").endsWith(":5060");
      });
      Ctl tls = operator("set-upstream-transport", "TLS");
      assertEquals(0, tls.code(), tls.err());
      OperationsEndToEndTest.await("connected to ClearIP over TLS (5061) again", WAIT, () -> {
        Ctl s = operator("status");
        return s.value("upstream-state").equals("CONNECTED")
            && s.value("upstream-address").endsWith(":5061");
      });
    } else {
      assertEquals(0, operator("set-upstream-transport", "tls").code());
    }
    Ctl bad = operator("set-upstream-transport", "udp");
    assertEquals(2, bad.code(), bad.err());
  }

  @Test
  @Order(4)
  void localAttachByPidReadsAndReloads() {
    String pid = Long.toString(proxy.pid());
    Ctl s = ctl("status", "--pid", pid);
    assertEquals(0, s.code(), s.err());
    assertEquals("tls-proxy", s.value("mode"));
    Ctl reload = ctl("reload", "--pid", pid);
    assertEquals(0, reload.code(), reload.err() + reload.out());
    assertTrue(reload.out().startsWith("reloaded"), reload.out());
  }

  @Test
  @Order(5)
  void aTraceStartedAndStoppedByCtlHoldsTheMessagesInBetween() throws Exception {
    String pid = Long.toString(proxy.pid());
    Ctl start = ctl("trace", "start", "--pid", pid);
    assertEquals(0, start.code(), start.err() + start.out());
    assertTrue(start.out().startsWith("tracing until stopTrace"), start.out());
    assertEquals(200, TlsProxyEndToEndTest.udpExchange(
        new InetSocketAddress("127.0.0.1", sipPort), "OPTIONS", "ctl-trace").statusCode());
    Ctl stop = ctl("trace", "stop", "--pid", pid);
    assertEquals(0, stop.code(), stop.err() + stop.out());
    assertTrue(stop.out().startsWith("trace stopped; 2 messages traced"), stop.out());
    String pcap = new String(Files.readAllBytes(work.resolve("traces/ctl.pcap")),
        StandardCharsets.ISO_8859_1);
    assertTrue(pcap.contains("OPTIONS sip:ctl-trace@127.0.0.1") && pcap.contains("SIP/2.0 200"),
        "the OPTIONS and its 200 in the capture");
  }

  @Test
  @Order(6)
  void drainAnswersTheCallsInFlightAndFlipsReady() throws Exception {
    CompletableFuture<Sipp.Result> slow = null;
    if (Sipp.which("sipp") != null) {
      // ClearIP answers 7... after 1.5 s: these calls are in flight when the drain starts
      InetSocketAddress udp = new InetSocketAddress(InetAddress.getLoopbackAddress(), sipPort);
      slow = CompletableFuture.supplyAsync(() -> {
        try {
          return Sipp.run(work.resolve("drain-slow"), "uac_302", "7305550100", udp, "u1", 3,
              20, WAIT);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      OperationsEndToEndTest.await("3 calls in flight in ctl status", WAIT,
          () -> Long.parseLong(operator("status").value("calls-in-flight")) >= 3);
    }
    Ctl drain = operator("drain", "--wait", "20");
    assertEquals(0, drain.code(), drain.err() + drain.out());
    assertTrue(drain.out().startsWith("draining; "), drain.out());
    assertTrue(drain.out().endsWith("calls-awaiting-answer=0\n"), drain.out());
    if (slow != null) {
      Sipp.Result r = slow.get(60, TimeUnit.SECONDS);
      assertEquals(3, r.successful(), r.toString());
    }
    Ctl s = operator("status");
    assertEquals("yes", s.value("draining"));
    assertEquals("no", s.value("ready"));
    assertEquals("draining", s.value("not-ready-reason"));
  }
}
