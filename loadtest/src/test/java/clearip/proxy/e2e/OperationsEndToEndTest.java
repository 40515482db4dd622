package clearip.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.emulator.ClearIpEmulator;
import clearip.proxy.emulator.EmulatorSettings;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.jmx.JmxExporter;
import clearip.proxy.ops.jmx.ListenerMXBean;
import clearip.proxy.ops.jmx.ProxyMXBean;
import clearip.proxy.ops.jmx.UpstreamMXBean;
import clearip.proxy.ops.launcher.OperatorAccess;
import clearip.proxy.ops.metrics.ProxyMetrics;
import clearip.proxy.ops.server.ProxyServer;
import clearip.proxy.ops.trace.TraceControl;
import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.ParseLimits;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.codec.SipStreamFramer;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.streams.tls.ClientEngines;
import clearip.proxy.streams.tls.ClientTlsSettings;
import clearip.proxy.streams.tls.TestPki;
import clearip.proxy.streams.tls.TlsContexts;
import clearip.proxy.streams.transport.AccessList;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.rmi.server.RMIClientSocketFactory;
import java.rmi.server.RMIServerSocketFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.JMX;
import javax.management.MBeanServer;
import javax.management.MBeanServerConnection;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;
import javax.management.remote.rmi.RMIConnectorServer;
import javax.net.ssl.SSLSocket;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Operator access end to end: the real proxy on loopback with its meters, JMX beans (read and
 * operated over a remote JMX connection), admin HTTP endpoint, drain, reload, and the launcher
 * stopped by SIGTERM; SIPp as the switch, the ClearIP emulator over TLS and TCP.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperationsEndToEndTest {
  /** A loopback address of its own, so the emulator can take the default ports 5060/5061. */
  static final String EMU_HOST = "127.0.93.41";
  static final Duration WAIT = Duration.ofSeconds(20);

  Path work;
  TestPki pki;
  TestPki.Leaf leaf;
  ActorSystem<Void> emuSystem;
  ClearIpEmulator emulator;
  /** True when the emulator got 5061 (TLS) and 5060 (TCP), so setUpstreamTransport applies. */
  boolean defaultPorts;
  String tlsUri;
  String tcpUri;
  Supervised main;
  final List<Supervised> all = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** One supervised proxy and a remote JMX connection to its beans. */
  record Supervised(Path configFile, ProxyServer server, ProxyMetrics metrics,
      OperatorAccess supervision, JMXConnectorServer connectorServer, JMXConnector connector,
      ProxyMXBean proxy, UpstreamMXBean upstream) {
    MBeanServerConnection mbeans() throws IOException {
      return connector.getMBeanServerConnection();
    }

    InetSocketAddress udp() {
      return server.bound().udp().get(0);
    }

    URI admin(String path) {
      InetSocketAddress a = supervision.adminAddress();
      return URI.create("http://127.0.0.1:" + a.getPort() + path);
    }
  }

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("e2e-operations");
    pki = TestPki.create(work.resolve("pki"));
    leaf = pki.issue("clearip", TestPki.KeyType.EC_P256, "127.0.0.1", "localhost", EMU_HOST);
    emuSystem = ActorSystem.create(Behaviors.empty(), "ops-emulator");
    try {
      emulator = startEmulator(EMU_HOST + ":5061", EMU_HOST + ":5060");
      defaultPorts = true;
      tlsUri = "sip:" + EMU_HOST + ":5061;transport=tls";
    } catch (Exception busy) {
      // 5060/5061 taken on that address: switch by URI instead of by transport
      emulator = startEmulator("127.0.0.1:0", "127.0.0.1:0");
      tlsUri = "sip:127.0.0.1:" + emulator.bound().tls().get(0).getPort() + ";transport=tls";
    }
    String host = defaultPorts ? EMU_HOST : "127.0.0.1";
    tcpUri = "sip:" + host + ":" + emulator.bound().tcp().get(0).getPort() + ";transport=tcp";
    main = startSupervised("main", tlsUri);
  }

  ClearIpEmulator startEmulator(String tls, String tcp) throws Exception {
    Config emu = ConfigFactory.parseString("""
        clearip-emulator {
          listen { udp = [], tcp = ["%s"], tls = ["%s"] }
          identity.reuse-across-numbers = on
          rules = [
            { name = r1, called-prefix = "1", action = redirect, identity = on, attest = A,
              destinations = ["sip:${user}@127.0.0.1:5080", "sip:${user}@127.0.0.1:5082"] }
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

  String configText(String upstream, String extra) {
    return String.join("\n",
        "clearip-proxy.listen.udp = [\"127.0.0.1:0\"]",
        "clearip-proxy.listen.tcp = [\"127.0.0.1:0\"]",
        "clearip-proxy.listen.tls = [\"127.0.0.1:0\"]",
        "clearip-proxy.listen.tls-certificate = \"" + leaf.chain() + "\"",
        "clearip-proxy.listen.tls-private-key = \"" + leaf.privateKey() + "\"",
        "clearip-proxy.upstream.uri = \"" + upstream + "\"",
        "clearip-proxy.upstream.tls.ca-file = \"" + pki.caCertificate() + "\"",
        "clearip-proxy.upstream.timeout = 4s",
        "clearip-proxy.calls.max-dispatch-delay = 0", // call flows only, see E2e.callFlowsOnly
        "clearip-proxy.admin.listen = \"127.0.0.1:0\"",
        "clearip-proxy.shutdown.drain-timeout = 5s",
        extra, "");
  }

  Supervised startSupervised(String name, String upstream) throws Exception {
    return startWithConfig(name, configText(upstream, ""));
  }

  Supervised startWithConfig(String name, String configText) throws Exception {
    Path file = work.resolve(name + ".conf");
    Files.writeString(file, configText);
    ProxyMetrics metrics = new ProxyMetrics();
    ProxyServer server = ProxyServer.start(ProxyConfig.load(file), metrics.calls(),
        metrics.transports()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    MBeanServer mbs = MBeanServerFactory.newMBeanServer();
    OperatorAccess sup = OperatorAccess.start(server, metrics, file, mbs, TraceControl.NONE);
    JMXConnectorServer cs = remoteJmx(mbs);
    JMXConnector c = JMXConnectorFactory.connect(cs.getAddress());
    MBeanServerConnection conn = c.getMBeanServerConnection();
    Supervised s = new Supervised(file, server, metrics, sup, cs, c,
        JMX.newMXBeanProxy(conn, JmxExporter.proxyName(), ProxyMXBean.class),
        JMX.newMXBeanProxy(conn, JmxExporter.upstreamName(), UpstreamMXBean.class));
    all.add(s);
    assertTrue(server.awaitUpstream(WAIT), name + " connected to the emulator");
    return s;
  }

  /** An RMI connector on loopback, ephemeral port, reached only through loopback sockets. */
  static JMXConnectorServer remoteJmx(MBeanServer mbs) throws IOException {
    RMIServerSocketFactory server =
        port -> new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
    RMIClientSocketFactory client = (RMIClientSocketFactory & Serializable)
        (host, port) -> new Socket(InetAddress.getLoopbackAddress(), port);
    Map<String, Object> env = new HashMap<>();
    env.put(RMIConnectorServer.RMI_SERVER_SOCKET_FACTORY_ATTRIBUTE, server);
    env.put(RMIConnectorServer.RMI_CLIENT_SOCKET_FACTORY_ATTRIBUTE, client);
    JMXConnectorServer cs = JMXConnectorServerFactory.newJMXConnectorServer(
        new JMXServiceURL("service:jmx:rmi://127.0.0.1"), env, mbs);
    cs.start();
    return cs;
  }

  @AfterAll
  void stop() throws Exception {
    for (Supervised s : all) {
      s.connector().close();
      s.connectorServer().stop();
      s.supervision().close();
      s.server().stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
      s.metrics().close();
    }
    if (emulator != null) emulator.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
    if (emuSystem != null) emuSystem.terminate();
  }

  /** Polls {@code condition} every 50 ms until it holds or {@code timeout} passes. */
  static void await(String what, Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The value of one sample in Prometheus text format, or -1 when absent. */
  static double sample(String scrape, String nameAndLabels) {
    Matcher m = Pattern.compile("^" + Pattern.quote(nameAndLabels) + " ([0-9.eE+-]+)$",
        Pattern.MULTILINE).matcher(scrape);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  static void assertAllPassed(Sipp.Result r, int calls) {
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals(calls, r.successful(), r.toString());
    assertEquals(0, r.failed(), r.toString());
  }

  // ---- tests ----

  @Test
  void remoteJmxShowsTheProxyTheUpstreamAndEachListener() throws Exception {
    MBeanServerConnection conn = main.mbeans();
    assertEquals("tls-proxy", main.proxy().getMode());
    await("upstream CONNECTED over JMX", WAIT,
        () -> main.upstream().getState().equals("CONNECTED"));
    assertEquals(main.proxy().getUpstreamUri(), main.upstream().getUri());
    assertTrue(main.upstream().getConnects() >= 1);
    assertTrue(main.upstream().getConnectedAddress().contains("127."),
        main.upstream().getConnectedAddress());
    var listeners = conn.queryNames(new ObjectName("clearip.proxy:type=Listener,*"), null);
    assertEquals(3, listeners.size(), listeners.toString());
    InetSocketAddress udp = main.udp();
    ObjectName udpName = new ObjectName("clearip.proxy:type=Listener,name=\"udp-127.0.0.1:"
        + udp.getPort() + "\"");
    ListenerMXBean l = JMX.newMXBeanProxy(conn, udpName, ListenerMXBean.class);
    assertEquals("udp", l.getTransport());
    assertEquals("127.0.0.1:" + udp.getPort(), l.getAddress());
    assertEquals("", main.proxy().getNotReadyReason());
    assertTrue(main.proxy().startTrace(5).contains("not available"));
    assertTrue(main.proxy().stopTrace().contains("not available"));
    // what a console shows: named parameters and descriptions, not p0
    javax.management.MBeanInfo info = conn.getMBeanInfo(JmxExporter.proxyName());
    javax.management.MBeanOperationInfo trace = java.util.Arrays.stream(info.getOperations())
        .filter(o -> o.getName().equals("startTrace")).findFirst().orElseThrow();
    assertEquals("seconds", trace.getSignature()[0].getName());
    assertTrue(trace.getDescription().startsWith("Trace every SIP message"),
        trace.getDescription());
  }

  @Test
  void countersMoveInJmxAndInTheScrapedMetrics() throws Exception {
    Sipp.assumeInstalled();
    long before = main.proxy().getClearIp302();
    Sipp.Result r = Sipp.run(work.resolve("count"), "uac_302", "14016401234", main.udp(), "u1",
        10, 20, WAIT);
    assertAllPassed(r, 10);
    await("ten more 302s from ClearIP over JMX", WAIT,
        () -> main.proxy().getClearIp302() >= before + 10);
    assertTrue(main.proxy().getCallsReceived() >= 10);
    assertTrue(main.proxy().getFinals3xx() >= 10);
    assertTrue(main.proxy().getClearIpRttP50Millis() > 0);
    assertTrue(main.proxy().getClearIpRttP99Millis() >= main.proxy().getClearIpRttP50Millis());

    HttpResponse<String> metrics = get(main.admin("/metrics"));
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    String body = metrics.body();
    assertTrue(sample(body, "clearip_calls_received_total") >= 10, body);
    assertTrue(sample(body, "clearip_upstream_answers_total{status=\"302\"}") >= before + 10,
        body);
    assertTrue(sample(body, "clearip_calls_finals_total{class=\"3xx\"}") >= 10, body);
    assertTrue(sample(body, "clearip_sip_messages_in_total{transport=\"udp\"}") >= 10, body);
    // ClearIP's round trip as a histogram: every answer in a bucket, aggregatable over nodes
    assertTrue(sample(body, "clearip_upstream_rtt_seconds_count") >= 10, body);
    assertTrue(sample(body, "clearip_upstream_rtt_seconds_bucket{le=\"+Inf\"}") >= 10, body);
    assertEquals(1.0, sample(body, "clearip_upstream_state{state=\"connected\"}"), body);
    assertEquals(1.0, sample(body, "clearip_ready"), body);
    // how long the switch waited, as a histogram (buckets up to 10 s)
    assertTrue(sample(body, "clearip_calls_answer_time_seconds_count{path=\"screened\"}") >= 10,
        body);
    assertTrue(sample(body,
        "clearip_calls_answer_time_seconds_bucket{path=\"screened\",le=\"10.0\"}") >= 10, body);
    assertTrue(sample(body, "clearip_calls_answer_time_seconds_sum{path=\"screened\"}") > 0, body);
    // which threads did the work: the UDP reader read the calls, the call threads ran them
    assertTrue(sample(body, "clearip_threads_cpu_seconds_total{group=\"udp-readers\"}") > 0,
        body);
    assertTrue(sample(body, "clearip_threads_cpu_seconds_total{group=\"calls\"}") > 0, body);
    assertTrue(sample(body, "clearip_threads_cpu_seconds_total{group=\"jvm\"}") >= 0, body);
    assertTrue(sample(body, "clearip_calls_in_flight") >= 0, body);
    assertEquals(1.0, sample(body, "clearip_calls_admitted_ratio"), body); // not overloaded
    assertTrue(sample(body, "clearip_calls_dispatch_wait_seconds") >= 0, body);
    // the limit in force is the configured one: 0 here, overload control off (configText)
    assertEquals(0.0, sample(body, "clearip_calls_dispatch_limit_seconds"), body);
    // ClearIP's answers that reached no call, and large INVITEs sent over UDP: their own series
    assertTrue(sample(body, "clearip_upstream_answers_unmatched_total") >= 0, body);
    assertEquals(0.0, sample(body, "clearip_upstream_answers_unusable_total"), body);
    assertEquals(0.0, sample(body, "clearip_inline_udp_fallbacks_total"), body);
    assertTrue(body.contains("jvm_memory_used_bytes"), "JVM meters bound");
    assertEquals(200, get(main.admin("/health")).statusCode());
    assertEquals(404, get(main.admin("/nothing")).statusCode());
  }

  @Test
  void switchingTheUpstreamTransportUnderLoadLosesNoCall() throws Exception {
    Sipp.assumeInstalled();
    long received = main.proxy().getCallsReceived();
    CompletableFuture<Sipp.Result> load = CompletableFuture.supplyAsync(() -> {
      try {
        return Sipp.run(work.resolve("switch"), "uac_302", "14016401234", main.udp(), "u1", 100,
            20, Duration.ofSeconds(40));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    await("SIPp under way", WAIT, () -> main.proxy().getCallsReceived() >= received + 20);
    String result = defaultPorts ? main.proxy().setUpstreamTransport("tcp")
        : main.proxy().setUpstreamUri(tcpUri);
    assertTrue(result.contains("transport=tcp"), result);
    assertEquals(tcpUri, main.proxy().getUpstreamUri());
    assertAllPassed(load.get(60, TimeUnit.SECONDS), 100);
    int tcpPort = emulator.bound().tcp().get(0).getPort();
    await("connected over TCP", WAIT, () -> main.upstream().getConnectedAddress()
        .endsWith(":" + tcpPort) && main.upstream().getUri().equals(tcpUri));
    // and back, so the other tests find ClearIP over TLS
    String back = defaultPorts ? main.proxy().setUpstreamTransport("tls")
        : main.proxy().setUpstreamUri(tlsUri);
    assertEquals(tlsUri, main.proxy().getUpstreamUri(), back);
    Sipp.Result after = Sipp.run(work.resolve("switch-back"), "uac_302", "14016401234",
        main.udp(), "u1", 5, 10, WAIT);
    assertAllPassed(after, 5);
    assertThrows(IllegalArgumentException.class, () -> main.proxy().setUpstreamTransport("udp"));
  }

  @Test
  void reloadKeepsTheRunningConfigurationWhenTheFileIsBad() throws Exception {
    String good = Files.readString(main.configFile());
    AccessList accessBefore = main.server().endpoints().accessList();
    var settingsBefore = main.server().callContext().settings();
    try {
      Files.writeString(main.configFile(), good
          + "clearip-proxy.emergency.numbers = [\"911\", \"933\", \"5305550199\"]\n"
          + "clearip-proxy.access.allow = [\"10.0.0.0/33\"]\n"
          + "clearip-proxy.upstream.timeout = banana\n");
      String rejected = main.proxy().reloadConfiguration();
      assertTrue(rejected.startsWith("rejected"), rejected);
      assertTrue(rejected.contains("access.allow") && rejected.contains("upstream.timeout"),
          rejected);
      assertEquals(settingsBefore, main.server().callContext().settings());
      assertEquals(accessBefore, main.server().endpoints().accessList());

      // a good file is applied: the new emergency number is never screened
      Files.writeString(main.configFile(), good
          + "clearip-proxy.emergency.numbers = [\"911\", \"933\", \"5305550199\"]\n"
          + "clearip-proxy.upstream.timeout = 3s\n");
      String applied = main.proxy().reloadConfiguration();
      assertTrue(applied.startsWith("reloaded"), applied);
      assertTrue(applied.contains("applied: clearip-proxy.emergency.numbers, "
          + "clearip-proxy.upstream.timeout;"), applied);
      assertTrue(main.server().callContext().settings().emergencyNumbers()
          .contains("5305550199"));
      assertEquals(Duration.ofSeconds(3), main.server().callContext().settings()
          .upstreamTimeout());
      if (Sipp.which("sipp") != null) {
        long bypasses = main.proxy().getEmergencyBypasses();
        Sipp.Result r = Sipp.run(work.resolve("reloaded-sos"), "uac_503", "5305550199",
            main.udp(), "u1", 2, 10, WAIT, "-recv_timeout", "500");
        assertAllPassed(r, 2);
        await("emergency bypasses counted", WAIT,
            () -> main.proxy().getEmergencyBypasses() >= bypasses + 2);
      }
    } finally {
      Files.writeString(main.configFile(), good);
      assertTrue(main.proxy().reloadConfiguration().startsWith("reloaded"));
    }
    assertEquals(settingsBefore, main.server().callContext().settings());
  }

  @Test
  void reloadReadsRenewedCertificatesAndKeepsEstablishedConnections() throws Exception {
    Path dir = Files.createDirectories(work.resolve("renewal"));
    Path chain = Files.copy(leaf.chain(), dir.resolve("chain.pem"));
    Path key = Files.copy(leaf.privateKey(), dir.resolve("key.pem"));
    Supervised r = startWithConfig("renewal", configText(tlsUri, "")
        .replace(leaf.chain().toString(), chain.toString())
        .replace(leaf.privateKey().toString(), key.toString()));
    var client = TlsContexts.client(ClientTlsSettings.defaults()
        .withCaBundle(pki.caCertificate()));
    InetSocketAddress tls = r.server().bound().tls().get(0);
    try (SSLSocket before = tlsConnect(client, tls)) {
      assertEquals(leaf.x509().getSerialNumber(), serialOf(before));
      assertEquals(200, optionsOver(before, "1"));

      // the certificate is renewed in place (same paths), as an ACME client or a PKI job does
      TestPki.Leaf renewed = pki.issue("renewed", TestPki.KeyType.EC_P256, "127.0.0.1");
      Files.copy(renewed.chain(), chain, StandardCopyOption.REPLACE_EXISTING);
      Files.copy(renewed.privateKey(), key, StandardCopyOption.REPLACE_EXISTING);
      Files.writeString(r.configFile(), "clearip-proxy.calls.threads = 3\n",
          StandardOpenOption.APPEND);
      String result = r.proxy().reloadConfiguration();
      assertTrue(result.contains("listener and client certificates re-read"), result);
      // the file's key that only a start reads is named, not silently ignored
      assertTrue(result.contains("needs restart: clearip-proxy.calls.threads"), result);

      try (SSLSocket after = tlsConnect(client, tls)) {
        assertEquals(renewed.x509().getSerialNumber(), serialOf(after));
        assertEquals(200, optionsOver(after, "2"));
      }
      assertEquals(200, optionsOver(before, "3"), "the established connection kept");

      // an unusable key file rejects the reload; the proxy keeps the renewed certificate
      Files.writeString(key, "not a key");
      assertTrue(r.proxy().reloadConfiguration().startsWith("rejected"));
      try (SSLSocket again = tlsConnect(client, tls)) {
        assertEquals(renewed.x509().getSerialNumber(), serialOf(again));
      }
    }
  }

  static SSLSocket tlsConnect(ClientEngines client, InetSocketAddress to) throws IOException {
    SSLSocket s = (SSLSocket) client.sslContext().getSocketFactory()
        .createSocket(to.getAddress(), to.getPort());
    s.setSoTimeout(5000);
    s.setSSLParameters(client.sslParameters("127.0.0.1"));
    s.startHandshake();
    return s;
  }

  static java.math.BigInteger serialOf(SSLSocket s) throws IOException {
    return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
  }

  /** Sends an OPTIONS to the proxy over {@code s}; the status code of its answer. */
  static int optionsOver(SSLSocket s, String n) throws IOException {
    String options = "OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
        + "Via: SIP/2.0/TLS 127.0.0.1:" + s.getLocalPort() + ";branch=z9hG4bKrenew" + n + "\r\n"
        + "Max-Forwards: 70\r\n"
        + "From: <sip:ping@127.0.0.1>;tag=r" + n + "\r\n"
        + "To: <sip:127.0.0.1>\r\n"
        + "Call-ID: renewal-" + n + "@127.0.0.1\r\n"
        + "CSeq: 1 OPTIONS\r\n"
        + "Content-Length: 0\r\n\r\n";
    s.getOutputStream().write(options.getBytes(StandardCharsets.UTF_8));
    s.getOutputStream().flush();
    SipStreamFramer framer = new SipStreamFramer(ParseLimits.DEFAULT);
    byte[] buf = new byte[8192];
    while (true) {
      int got = s.getInputStream().read(buf);
      assertTrue(got > 0, "connection closed before the answer");
      framer.feed(buf, 0, got);
      SipStreamFramer.Frame f = framer.next();
      if (f != null) {
        byte[] m = ((SipStreamFramer.Frame.Message) f).bytes();
        Decoded d = new SipDecoder().decode(m, 0, m.length, SipDecoder.Framing.STREAM);
        return ((SipResponse) ((Decoded.Ok) d).message()).statusCode();
      }
    }
  }

  @Test
  void drainAnswersCallsInFlightRefusesNewOnesAndFlipsReady() throws Exception {
    Sipp.assumeInstalled();
    Supervised d = startSupervised("drain", tlsUri);
    await("/ready 200", WAIT, () -> {
      try {
        return get(d.admin("/ready")).statusCode() == 200;
      } catch (Exception e) {
        return false;
      }
    });
    // ClearIP answers 7... after 1.5 s: these calls are in flight when the drain starts
    CompletableFuture<Sipp.Result> slow = CompletableFuture.supplyAsync(() -> {
      try {
        return Sipp.run(work.resolve("drain-slow"), "uac_302", "7305550100", d.udp(), "u1", 5,
            20, WAIT);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    await("5 calls in flight", WAIT, () -> d.proxy().getCallsInFlight() >= 5);
    assertTrue(d.proxy().drain().startsWith("draining"));
    assertTrue(d.proxy().isDraining());
    HttpResponse<String> ready = get(d.admin("/ready"));
    assertEquals(503, ready.statusCode());
    assertTrue(ready.body().contains("draining"), ready.body());
    assertEquals("draining", d.proxy().getNotReadyReason());
    // new calls get 503 at once instead of ClearIP's 302
    Sipp.Result refused = Sipp.run(work.resolve("drain-new"), "uac_503", "14016401234",
        d.udp(), "u1", 3, 10, WAIT, "-recv_timeout", "500");
    assertAllPassed(refused, 3);
    assertAllPassed(slow.get(30, TimeUnit.SECONDS), 5);
    assertTrue(d.proxy().getFailOpenOverload() >= 3);
    d.supervision().operations().drainAndStop(Duration.ofSeconds(5)).toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    assertEquals(0, d.server().registry().inFlight());
  }

  @Test
  void aDrainDoesNotWaitForCallsThatOnlyMissTheSwitchsAck() throws Exception {
    Supervised d = startSupervised("drain-ack", tlsUri);
    try (java.net.DatagramSocket sw = new java.net.DatagramSocket(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      sw.setSoTimeout(5000);
      String invite = "INVITE sip:14016401234@127.0.0.1 SIP/2.0\r\n"
          + "Via: SIP/2.0/UDP 127.0.0.1:" + sw.getLocalPort() + ";branch=z9hG4bKnoack1\r\n"
          + "Max-Forwards: 70\r\n"
          + "From: <sip:14045266060@127.0.0.1>;tag=na1\r\n"
          + "To: <sip:14016401234@127.0.0.1>\r\n"
          + "Call-ID: no-ack-1@127.0.0.1\r\n"
          + "CSeq: 1 INVITE\r\n"
          + "Content-Length: 0\r\n\r\n";
      byte[] b = invite.getBytes(StandardCharsets.UTF_8);
      sw.send(new java.net.DatagramPacket(b, b.length, d.udp()));
      String status;
      do { // 100 Trying, then the final; this switch never ACKs it
        java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[8192], 8192);
        sw.receive(p);
        status = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8)
            .substring(8, 11);
      } while (status.startsWith("1"));
      assertEquals("302", status);
      // the call stays (retransmitting its final, up to Timer H = 32 s) but is answered
      assertEquals(1, d.proxy().getCallsInFlight());
      assertEquals(0, d.proxy().getCallsAwaitingAnswer());
      assertTrue(d.proxy().drain().contains("0 call(s) waiting for an answer"));
      // stops after 2 x T1 for the ACK, not at the 20 s drain deadline
      d.supervision().operations().drainAndStop(Duration.ofSeconds(20)).toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    }
  }

  /** The launcher in a JVM of its own (through {@code prefix}, e.g. nohup), ready. */
  Process launchReady(String name, List<String> prefix) throws Exception {
    Path conf = work.resolve(name + ".conf");
    int adminPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      adminPort = s.getLocalPort();
    }
    Files.writeString(conf, configText(tlsUri, "")
        .replace("admin.listen = \"127.0.0.1:0\"", "admin.listen = \"127.0.0.1:" + adminPort
            + "\""));
    Process p = launch(prefix, conf, work.resolve(name + ".log"));
    try {
      awaitReady(p, adminPort, work.resolve(name + ".log"));
    } catch (Throwable e) {
      p.destroyForcibly(); // our own child
      throw e;
    }
    return p;
  }

  /** SIGTERM drains and stops the launched proxy within 30 s; its exit code. */
  static int terminate(Process p) throws InterruptedException {
    p.destroy(); // SIGTERM
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exited after SIGTERM");
    return p.exitValue();
  }

  @Test
  void sigtermDrainsAndTheLauncherExitsZero() throws Exception {
    Process p = launchReady("child", List.of());
    Path log = work.resolve("child.log");
    try {
      // SIGHUP reloads the file (here unchanged)
      new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor();
      await("SIGHUP reload logged", WAIT, () -> read(log).contains("SIGHUP: reloading")
          && read(log).contains("Configuration reloaded from " + work.resolve("child.conf")
              + ": no key changed"));
      assertEquals(0, terminate(p), read(log));
    } finally {
      if (p.isAlive()) p.destroyForcibly(); // our own child
    }
  }

  @Test
  void aProxyStartedUnderNohupSaysThatSighupDoesNothing() throws Exception {
    Process p = launchReady("nohup", List.of("nohup"));
    try {
      String text = read(work.resolve("nohup.log"));
      assertTrue(text.contains("SIGHUP is ignored by this process"), text);
      assertFalse(text.contains("SIGTERM is ignored"), text);
      terminate(p); // SIGTERM still drains and stops it
    } finally {
      if (p.isAlive()) p.destroyForcibly(); // our own child
    }
  }

  /** Runs {@link JmxProbe} in a JVM of its own; its exit code and output. */
  static String[] jmxProbe(Path trustStore, int port, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
        "-Djavax.net.ssl.trustStore=" + trustStore, "-Djavax.net.ssl.trustStorePassword=changeit",
        "-Djavax.net.ssl.trustStoreType=PKCS12", "-cp",
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
        JmxProbe.class.getName(), Integer.toString(port)));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return new String[] {Integer.toString(p.exitValue()), out};
  }

  /** {@code clearip-proxy ctl ...} in a JVM of its own; its exit code and output. */
  static String[] ctl(Path trustStore, String password, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
        "-XX:TieredStopAtLevel=1", "-Djavax.net.ssl.trustStore=" + trustStore,
        "-Djavax.net.ssl.trustStorePassword=changeit", "-cp",
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
        "clearip.proxy.ops.launcher.Main", "ctl"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("CLEARIP_JMX_PASSWORD", password);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return new String[] {Integer.toString(p.exitValue()), out};
  }

  /** Remote JMX as README says to turn it on: password authentication, TLS, one address. */
  @Test
  void remoteJmxWithPasswordAndTlsLetsTheOperatorInAndNobodyElse() throws Exception {
    Path dir = Files.createDirectories(work.resolve("jmx"));
    char[] pass = "changeit".toCharArray();
    java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("jmx", leaf.key(), pass, new java.security.cert.Certificate[] {leaf.x509()});
    Path keyStore = dir.resolve("jmx-keystore.p12");
    try (var out = Files.newOutputStream(keyStore)) {
      keys.store(out, pass);
    }
    java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (var in = Files.newInputStream(pki.caCertificate())) {
      trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
          .generateCertificate(in));
    }
    Path trustStore = dir.resolve("truststore.p12");
    try (var out = Files.newOutputStream(trustStore)) {
      trust.store(out, pass);
    }
    Path password = dir.resolve("jmxremote.password");
    Files.writeString(password, "monitor s3cret-monitor\noperator s3cret-operator\n");
    Files.setPosixFilePermissions(password, java.nio.file.attribute.PosixFilePermissions
        .fromString("rw-------")); // else the JVM refuses to start
    Path access = dir.resolve("jmxremote.access");
    Files.writeString(access, "monitor readonly\noperator readwrite\n");
    int jmxPort;
    int adminPort;
    try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      jmxPort = a.getLocalPort();
      adminPort = b.getLocalPort();
    }
    Path conf = dir.resolve("child.conf");
    Files.writeString(conf, configText(tlsUri, "")
        .replace("admin.listen = \"127.0.0.1:0\"", "admin.listen = \"127.0.0.1:" + adminPort
            + "\""));
    Path log = dir.resolve("child.log");
    Process p = launch(conf, log,
        "-Dcom.sun.management.jmxremote.host=127.0.0.1",
        "-Dcom.sun.management.jmxremote.port=" + jmxPort,
        "-Dcom.sun.management.jmxremote.rmi.port=" + jmxPort,
        "-Dcom.sun.management.jmxremote.authenticate=true",
        "-Dcom.sun.management.jmxremote.password.file=" + password,
        "-Dcom.sun.management.jmxremote.access.file=" + access,
        "-Dcom.sun.management.jmxremote.ssl=true",
        "-Dcom.sun.management.jmxremote.registry.ssl=true",
        "-Djavax.net.ssl.keyStore=" + keyStore, "-Djavax.net.ssl.keyStorePassword=changeit",
        "-Djava.rmi.server.hostname=127.0.0.1");
    try {
      awaitReady(p, adminPort, log);
      String[] operator = jmxProbe(trustStore, jmxPort, "monitor", "s3cret-monitor");
      assertEquals("0", operator[0], operator[1]);
      assertTrue(operator[1].contains("Mode=TLS_PROXY") || operator[1].contains("Mode=tls"),
          operator[1]);
      String[] wrong = jmxProbe(trustStore, jmxPort, "monitor", "guess");
      assertEquals("3", wrong[0], "wrong password refused: " + wrong[1]);
      String[] plain = jmxProbe(trustStore, jmxPort, "monitor", "s3cret-monitor", "plain");
      assertEquals("4", plain[0], "no connection without TLS: " + plain[1]);
      // clearip-proxy ctl, as README shows it: --tls, the trust store in the JVM options, the
      // password from the environment
      String[] ctl = ctl(trustStore, "s3cret-monitor", "status", "--jmx",
          "127.0.0.1:" + jmxPort, "--tls", "--user", "monitor");
      assertEquals("0", ctl[0], ctl[1]);
      assertTrue(ctl[1].contains("mode=tls-proxy\n") && ctl[1].contains("ready=yes\n"), ctl[1]);
      String[] ctlPlain = ctl(trustStore, "s3cret-monitor", "status", "--jmx",
          "127.0.0.1:" + jmxPort, "--user", "monitor");
      assertEquals("3", ctlPlain[0], "no connection without --tls: " + ctlPlain[1]);
    } finally {
      p.destroy(); // our own child, SIGTERM
      if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
    }
  }

  /** The launcher in a JVM of its own (our child: stopped by its handle), its output in log. */
  static Process launch(Path conf, Path log, String... jvmOptions) throws IOException {
    return launch(List.of(), conf, log, jvmOptions);
  }

  /** As above, the java command run through {@code prefix} (e.g. nohup). */
  static Process launch(List<String> prefix, Path conf, Path log, String... jvmOptions)
      throws IOException {
    List<String> cmd = new java.util.ArrayList<>(prefix);
    cmd.addAll(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        // the launcher's own logback.xml (INFO), found on the class path in the ops jar
        "-XX:TieredStopAtLevel=1", "-Dlogback.configurationFile=logback.xml"));
    cmd.addAll(List.of(jvmOptions));
    cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path")), "clearip.proxy.ops.launcher.Main", "run",
        "--config", conf.toString()));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
        .start();
  }

  void awaitReady(Process p, int adminPort, Path log) throws Exception {
    URI ready = URI.create("http://127.0.0.1:" + adminPort + "/ready");
    await("the launched proxy is ready", Duration.ofSeconds(60), () -> {
      try {
        return get(ready).statusCode() == 200;
      } catch (Exception e) {
        return p.isAlive() ? false : fail(log);
      }
    });
  }

  static boolean fail(Path log) {
    throw new AssertionError("the launched proxy exited:\n" + read(log));
  }

  static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      return e.toString();
    }
  }
}
