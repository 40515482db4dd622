package clearip.proxy.ops.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.ops.trace.TraceSettings;
import clearip.proxy.streams.transport.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyConfigTest {
  @TempDir Path dir;

  private Path write(String hocon) throws IOException {
    Path f = dir.resolve("proxy.conf");
    Files.writeString(f, hocon);
    return f;
  }

  private List<String> problems(String hocon) throws IOException {
    Path f = write(hocon);
    return assertThrows(ConfigProblemException.class, () -> ProxyConfig.load(f)).problems();
  }

  @Test
  void defaultsAreUsable() throws Exception {
    ProxyConfig c = ProxyConfig.defaults();
    assertEquals(ProxyConfig.Mode.TLS_PROXY, c.mode());
    assertEquals("sip.clearip.com", c.upstream().host());
    assertEquals(5061, c.upstream().port());
    assertEquals(Transport.TLS, c.upstream().transport());
    assertEquals(Duration.ofSeconds(2), c.calls().upstreamTimeout());
    assertTrue(c.calls().emergencyNumbers().containsAll(List.of("911", "933")));
    assertTrue(c.listeners().tls().isEmpty(), "TLS listener off without a certificate");
    assertTrue(c.access().allows(InetAddress.getLoopbackAddress()));
  }

  @Test
  void warmUpIsOnByDefaultAndItsTimesAreChecked() throws Exception {
    WarmUpSettings d = ProxyConfig.defaults().warmUp();
    assertTrue(d.enabled());
    assertEquals(Duration.ofSeconds(3), d.minTime());
    assertEquals(Duration.ofSeconds(20), d.maxTime());
    ConfigProblemException e = assertThrows(ConfigProblemException.class, () -> ProxyConfig.load(
        write("clearip-proxy.warmup { min-time = 30s, max-time = 20s }\n")));
    assertTrue(e.problems().toString().contains("warmup.max-time"), e.problems().toString());
  }

  @Test
  void overloadAndThreadSettings() throws Exception {
    ProxyConfig d = ProxyConfig.defaults();
    assertEquals(Duration.ofMillis(10), d.calls().maxDispatchDelay());
    assertEquals(Math.max(2, Runtime.getRuntime().availableProcessors()), d.dispatcherThreads());
    ProxyConfig c = ProxyConfig.load(write("""
        clearip-proxy.calls { max-dispatch-delay = 0, threads = 3 }
        """));
    assertEquals(Duration.ZERO, c.calls().maxDispatchDelay());
    assertEquals(3, c.dispatcherThreads());
    List<String> p = problems("clearip-proxy.calls { max-dispatch-delay = -1s, threads = -2 }");
    assertTrue(p.stream().anyMatch(m -> m.contains("calls.max-dispatch-delay")), p.toString());
    assertTrue(p.stream().anyMatch(m -> m.contains("calls.threads")), p.toString());
  }

  @Test
  void largeInvitesReachUdpOnlyDestinationsByDefault() throws Exception {
    var d = ProxyConfig.load(write("clearip-proxy.mode = inline\n")).calls().inline()
        .largeInvites();
    assertEquals(1300, d.udpMaxSize());
    assertTrue(d.udpFallback(), "a refused TCP falls back to UDP");
    assertEquals(Duration.ofMillis(500), d.tcpConnectTimeout());
    assertEquals(Duration.ofMinutes(10), d.remember());
    var c = ProxyConfig.load(write("""
        clearip-proxy.mode = inline
        clearip-proxy.inline { udp-max-size = 0, udp-fallback = off, tcp-connect-timeout = 1s,
          udp-fallback-memory = 0 }
        """)).calls().inline().largeInvites();
    assertEquals(new clearip.proxy.actors.call.txn.InlineSettings.LargeInvites(0, false,
        Duration.ofSeconds(1), Duration.ZERO), c);
    List<String> p = problems("clearip-proxy.mode = inline\nclearip-proxy.inline {"
        + " tcp-connect-timeout = 0,"
        + " udp-fallback-memory = -1s, udp-fallback = maybe }");
    assertEquals(3, p.size(), p.toString());
  }

  @Test
  void readsTheDocumentedKeys() throws Exception {
    Path f = write("""
        clearip-proxy {
          mode = inline
          listen.udp = ["127.0.0.1:5080", "[::1]:5080"]
          listen.tcp = []
          upstream.uri = "sip:10.1.2.3:5070;transport=tcp"
          upstream.timeout = 1500ms
          access.allow = ["192.0.2.0/24", "2001:db8::/32"]
          emergency.numbers = ["911", "988", "1-1-2"]
        }
        """);
    ProxyConfig c = ProxyConfig.load(f);
    assertEquals(ProxyConfig.Mode.INLINE, c.mode());
    assertEquals(2, c.listeners().udp().size());
    assertTrue(c.listeners().tcp().isEmpty());
    assertEquals(Transport.TCP, c.upstream().transport());
    assertEquals(5070, c.upstream().port());
    assertEquals(Duration.ofMillis(1500), c.calls().upstreamTimeout());
    assertTrue(c.access().allows(InetAddress.getByName("192.0.2.77")));
    assertTrue(!c.access().allows(InetAddress.getByName("198.51.100.1")));
    assertTrue(c.calls().emergencyNumbers().contains("112"));
  }

  @Test
  void everyProblemIsListedInTheOrderOfTheFilesLines() throws Exception {
    // read in the order of the settings' sections (mode, listen, access, upstream, trace ...),
    // reported in the order an operator reads the file
    List<String> p = problems("""
        clearip-proxy {
          trace.max-file-size = 1KiB
          upstream.uri = "http://example.invalid"
          access.allow = ["10.0.0.0/33"]
          bogus = 1
          mode = sideways
        }
        """);
    assertEquals(5, p.size(), p.toString());
    for (int i = 0; i < p.size(); i++) {
      assertTrue(p.get(i).startsWith("proxy.conf:" + (i + 2) + ": "), p.toString());
    }
  }

  @Test
  void aWrongOrMissingRootIsAProblemNotTheDefaults() throws Exception {
    List<String> p = problems("clearip-proxi {\n  mode = inline\n}\nmode = inline\n");
    assertEquals(2, p.size(), p.toString());
    assertTrue(p.stream().anyMatch(l -> l.contains("proxy.conf:1: unknown key clearip-proxi")),
        p.toString());
    assertTrue(p.stream().anyMatch(l -> l.contains("proxy.conf:4: unknown key mode")),
        p.toString());
    // Pekko's own settings may sit beside ours
    Path f = write("clearip-proxy.mode = inline\npekko.loglevel = WARNING\n");
    assertEquals(ProxyConfig.Mode.INLINE, ProxyConfig.load(f).mode());
  }

  @Test
  void everyBadAllowListEntryIsReported() throws Exception {
    List<String> p = problems(
        "clearip-proxy.access.allow = [\"10.0.0.0/33\", \"192.0.2.1\", \"switch.example\"]\n");
    assertEquals(2, p.size(), p.toString());
    assertTrue(p.get(0).contains("entry 1 \"10.0.0.0/33\""), p.get(0));
    assertTrue(p.get(1).contains("entry 3 \"switch.example\""), p.get(1));
  }

  @Test
  void reportsUnknownKeysWithTheirLine() throws Exception {
    List<String> p = problems("clearip-proxy {\n  upstream.tiemout = 2s\n}\n");
    assertEquals(1, p.size(), p.toString());
    assertTrue(p.get(0).contains("proxy.conf:2"), p.get(0));
    assertTrue(p.get(0).contains("unknown key clearip-proxy.upstream.tiemout"), p.get(0));
  }

  @Test
  void reportsEveryBadValueAtOnce() throws Exception {
    List<String> p = problems("""
        clearip-proxy {
          mode = proxy
          access.allow = ["10.0.0.0/33"]
          upstream.uri = "sip:clearip;transport=udp"
          upstream.timeout = soon
          listen.udp = ["0.0.0.0"]
        }
        """);
    String all = String.join("\n", p);
    assertTrue(all.contains("clearip-proxy.mode"), all);
    assertTrue(all.contains("prefix length 33"), all);
    assertTrue(all.contains("tls or tcp"), all);
    assertTrue(all.contains("clearip-proxy.upstream.timeout"), all);
    assertTrue(all.contains("is not host:port"), all);
    assertEquals(5, p.size(), all);
  }

  @Test
  void reportsUnreadableCertificates() throws Exception {
    List<String> p = problems("""
        clearip-proxy.listen.tls-certificate = "/nonexistent/cert.pem"
        clearip-proxy.listen.tls-private-key = "/nonexistent/key.pem"
        clearip-proxy.upstream.tls.ca-file = "/nonexistent/ca.pem"
        """);
    String all = String.join("\n", p);
    assertTrue(all.contains("/nonexistent/cert.pem"), all);
    assertTrue(all.contains("/nonexistent/ca.pem"), all);
  }

  @Test
  void reportsPortClashes() throws Exception {
    Path cert = dir.resolve("c.pem");
    List<String> p = problems("""
        clearip-proxy.listen.tcp = ["0.0.0.0:5061"]
        clearip-proxy.listen.tls = ["127.0.0.1:5061"]
        """);
    assertTrue(String.join("\n", p).contains("port clash"), p.toString());
    assertTrue(!Files.exists(cert));
  }

  @Test
  void missingFileIsAProblemNotACrash() {
    assertThrows(ConfigProblemException.class, () -> ProxyConfig.load(dir.resolve("none.conf")));
  }

  @Test
  void traceSettingsAreReadWithTheirDefaults() throws Exception {
    TraceSettings d = ProxyConfig.defaults().trace();
    assertEquals(TraceSettings.defaults(), d);
    TraceSettings t = ProxyConfig.load(write("""
        clearip-proxy.trace {
          enabled = on, file = "/var/tmp/t.pcap", max-file-size = 2MiB, max-files = 3
          hep { collector = "homer.example.net:9060", capture-id = 4294967295, password = pw }
        }
        """)).trace();
    assertTrue(t.enabled());
    assertEquals(Path.of("/var/tmp/t.pcap"), t.file());
    assertEquals(2L << 20, t.maxFileSize());
    assertEquals(3, t.maxFiles());
    assertEquals("homer.example.net", t.hepCollector().getHostString());
    assertEquals(9060, t.hepCollector().getPort());
    assertEquals(-1, t.hepCaptureId(), "unsigned 32 bits");
    assertEquals("pw", t.hepPassword());
    assertEquals(null, ProxyConfig.load(write("clearip-proxy.trace.file = \"\"")).trace().file());
    assertEquals("::1", ProxyConfig.parseCollector("[::1]:9060").getHostString());
  }

  @Test
  void reportsBadTraceSettings() throws Exception {
    List<String> p = problems("""
        clearip-proxy.trace {
          max-file-size = 10KiB, max-files = 0, hep.collector = "homer", hep.capture-id = -1
        }
        """);
    assertEquals(4, p.size(), p.toString());
    assertTrue(p.get(0).contains("trace.max-file-size"), p.toString());
  }
}
