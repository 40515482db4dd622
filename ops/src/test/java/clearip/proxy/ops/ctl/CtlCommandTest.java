package clearip.proxy.ops.ctl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.ops.cli.Cli;
import clearip.proxy.ops.jmx.ProxyMXBean;
import clearip.proxy.ops.jmx.UpstreamMXBean;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ctl's command line, against a proxy that answers from a table. */
class CtlCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private final List<Target> connected = new ArrayList<>();
  /** What the fake proxy's getters and operations return, by method name. */
  private final Map<String, Object> answers = new HashMap<>(Map.of(
      "getMode", "tls-proxy", "getNotReadyReason", "", "isDraining", false,
      "getCallsInFlight", 3L, "getCallsAwaitingAnswer", 2L, "getCallsPerSecond", 12.345, "getCallsReceived", 100L,
      "getUpstreamUri", "sip:127.0.0.1:5061;transport=tls", "drain", "draining; 3 call(s) in flight",
      "reloadConfiguration", "reloaded from /etc/p.conf"));
  private final Map<String, Object> upstreamAnswers = new HashMap<>(Map.of(
      "getState", "CONNECTED", "getConnectedAddress", "127.0.0.1:5061",
      "getLastError", "", "getQueueDepth", 0));
  private final List<String> operations = new ArrayList<>();
  private Function<String, String> environment = name -> null;

  private int run(String... args) {
    ProxyConnector connector = target -> {
      connected.add(target);
      return connection();
    };
    return Cli.configure(CtlCommand.commandLine(connector, name -> environment.apply(name)),
        new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
  }

  private ProxyConnection connection() {
    ProxyMXBean proxy = fake(ProxyMXBean.class, answers);
    UpstreamMXBean upstream = fake(UpstreamMXBean.class, upstreamAnswers);
    return new ProxyConnection() {
      @Override
      public ProxyMXBean proxy() {
        return proxy;
      }

      @Override
      public UpstreamMXBean upstream() {
        return upstream;
      }

      @Override
      public void close() {}
    };
  }

  private <T> T fake(Class<T> type, Map<String, Object> table) {
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
        (p, m, args) -> {
          operations.add(m.getName() + (args == null ? "" : List.of(args)));
          Object a = table.get(m.getName());
          if (a instanceof RuntimeException e) throw e;
          if (a == null) throw new AssertionError("unexpected " + m.getName());
          return a;
        }));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "status", "status --jmx", "status --jmx foo", "status --jmx :9010",
      "status --jmx h:0", "status --jmx h:70000", "status --jmx ::1:9010",
      "status --jmx h:1 --pid 7", "status --pid x", "status --jmx h:1 extra",
      "frobnicate --jmx h:1", "status --jmx h:1 --bogus", "set-upstream-transport --jmx h:1",
      "set-upstream-transport udp --jmx h:1", "set-upstream-uri --jmx h:1",
      "trace --jmx h:1", "trace start -1 --jmx h:1", "trace start x --jmx h:1",
      "trace start 1 2 --jmx h:1", "drain --wait 0 --jmx h:1", "drain --wait --jmx h:1",
      "status --jmx h:1 --password-file f", "status --jmx h:1 --user operator",
      "status --pid 7 --user operator", "status --pid 7 --tls",
      "status --jmx h:1 --timeout 0"})
  void refusesAWrongCommandLineAndConnectsToNothing(String line) {
    String[] args = line.isEmpty() ? new String[0] : line.split(" ");
    assertEquals(2, run(args), err.toString());
    assertEquals(List.of(), connected);
    String[] lines = err.toString().split("\\R");
    assertTrue(lines[0].startsWith("ctl"), err.toString());
    assertTrue(lines[1].startsWith("Usage: ctl"), err.toString());
  }

  @Test
  void statusIsOneKeyValueLinePerFact() {
    assertEquals(0, run("status", "--jmx", "10.0.0.5:9010"));
    assertEquals(String.join("\n",
        "mode=tls-proxy", "ready=yes", "not-ready-reason=", "draining=no", "calls-in-flight=3",
        "calls-awaiting-answer=2", "calls-per-second=12.3", "calls-received=100",
        "upstream-uri=sip:127.0.0.1:5061;transport=tls", "upstream-state=CONNECTED",
        "upstream-address=127.0.0.1:5061", "upstream-last-error=", "upstream-queue-depth=0",
        ""), out.toString().replace(System.lineSeparator(), "\n"));
    Target t = connected.get(0);
    assertEquals("service:jmx:rmi:///jndi/rmi://10.0.0.5:9010/jmxrmi", t.serviceUrl());
    assertEquals("10.0.0.5:9010", t.describe());
    assertNull(t.user());
    assertEquals(Duration.ofSeconds(10), t.timeout());
  }

  @Test
  void statusSaysWhyNotReady() {
    answers.put("getNotReadyReason", "ClearIP not connected");
    upstreamAnswers.put("getLastError", "Connection refused\nby peer");
    assertEquals(0, run("--jmx", "h:1", "status"));
    assertTrue(out.toString().contains("ready=no"));
    assertTrue(out.toString().contains("not-ready-reason=ClearIP not connected"));
    assertTrue(out.toString().contains("upstream-last-error=Connection refused by peer"));
  }

  @Test
  void targetOptionsGoBeforeOrAfterTheCommand(@TempDir Path dir) throws Exception {
    Path pw = Files.writeString(dir.resolve("pw"), "s3cret\nignored\n");
    assertEquals(0, run("--jmx", "[::1]:9010", "--user", "operator", "--password-file",
        pw.toString(), "--tls", "--timeout", "3", "status"));
    assertEquals(0, run("status", "--jmx", "[::1]:9010", "--user", "operator",
        "--password-file", pw.toString(), "--tls", "--timeout", "3"));
    assertEquals(connected.get(0), connected.get(1));
    Target t = connected.get(0);
    assertEquals("service:jmx:rmi:///jndi/rmi://[::1]:9010/jmxrmi", t.serviceUrl());
    assertEquals("operator", t.user());
    assertArrayEquals("s3cret".toCharArray(), t.password());
    assertTrue(t.tls());
    assertEquals(Duration.ofSeconds(3), t.timeout());
    assertTrue(!t.toString().contains("s3cret"), t.toString());
  }

  @Test
  void thePasswordMayComeFromTheEnvironment() {
    environment = name -> name.equals("CLEARIP_JMX_PASSWORD") ? "from-env" : null;
    assertEquals(0, run("status", "--jmx", "h:1", "--user", "monitor"));
    assertArrayEquals("from-env".toCharArray(), connected.get(0).password());
  }

  @Test
  void aServiceUrlAndAPidAreTakenAsTheyAre() {
    assertEquals(0, run("status", "--jmx", "service:jmx:rmi://127.0.0.1/stub/abc"));
    assertEquals("service:jmx:rmi://127.0.0.1/stub/abc", connected.get(0).serviceUrl());
    assertEquals(0, run("status", "--pid", "4242"));
    assertEquals(4242L, connected.get(1).pid());
    assertNull(connected.get(1).serviceUrl());
  }

  @Test
  void operationsPrintTheProxysAnswer() {
    answers.put("setUpstreamTransport", "ClearIP upstream now sip:h:5060;transport=tcp");
    answers.put("startTrace", "tracing until stopTrace to traces/clearip-proxy.pcap");
    answers.put("stopTrace", "trace stopped");
    answers.put("setUpstreamUri", "ClearIP upstream now sip:b");
    assertEquals(0, run("drain", "--jmx", "h:1"));
    assertEquals(0, run("set-upstream-transport", "TCP", "--jmx", "h:1"));
    assertEquals(0, run("set-upstream-uri", "sip:b", "--jmx", "h:1"));
    assertEquals(0, run("trace", "start", "--jmx", "h:1"));
    assertEquals(0, run("--jmx", "h:1", "trace", "start", "30"));
    assertEquals(0, run("trace", "stop", "--jmx", "h:1"));
    assertEquals(0, run("reload", "--jmx", "h:1"));
    assertEquals(List.of("drain", "setUpstreamTransport[tcp]", "setUpstreamUri[sip:b]",
        "startTrace[0]", "startTrace[30]", "stopTrace", "reloadConfiguration"), operations);
    assertTrue(out.toString().startsWith("draining; 3 call(s) in flight"), out.toString());
  }

  @Test
  void aRejectedReloadOrARefusedArgumentExitsOne() {
    answers.put("reloadConfiguration", "rejected, running configuration kept: [x]");
    assertEquals(1, run("reload", "--jmx", "h:1"));
    answers.put("setUpstreamUri", new IllegalArgumentException("not a SIP URI: b"));
    assertEquals(1, run("set-upstream-uri", "b", "--jmx", "h:1"));
    assertTrue(err.toString().contains("ctl set-upstream-uri: refused: not a SIP URI: b"),
        err.toString());
  }

  @Test
  void drainWaitsForTheCallsWaitingForAnAnswer() {
    // calls that only wait for the switch's ACK do not hold the drain up
    answers.put("getCallsInFlight", 3L);
    answers.put("getCallsAwaitingAnswer", 0L);
    assertEquals(0, run("drain", "--wait", "5", "--jmx", "h:1"));
    assertTrue(out.toString().contains("calls-awaiting-answer=0"), out.toString());
    answers.put("getCallsAwaitingAnswer", 2L);
    assertEquals(1, run("drain", "--wait", "1", "--jmx", "h:1"));
    assertTrue(out.toString().endsWith("calls-awaiting-answer=2" + System.lineSeparator()),
        out.toString());
  }

  @Test
  void aProxyOutOfReachIsOneLineAndExitThree() {
    int code = Cli.configure(CtlCommand.commandLine(target -> {
      throw new Cli.Failure(Cli.FAILED, "cannot connect to " + target.describe()
          + ": Connection refused");
    }), new PrintWriter(out, true), new PrintWriter(err, true))
        .execute("status", "--jmx", "127.0.0.1:1");
    assertEquals(3, code);
    assertEquals("ctl status: cannot connect to 127.0.0.1:1: Connection refused",
        err.toString().strip());
  }

  @Test
  void theRealConnectorReportsARefusedPortAsExitThree() throws Exception {
    int port;
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    int code = Cli.configure(CtlCommand.commandLine(ProxyConnector.JMX),
        new PrintWriter(out, true), new PrintWriter(err, true))
        .execute("status", "--jmx", "127.0.0.1:" + port, "--timeout", "5");
    assertEquals(3, code, err.toString());
    assertTrue(err.toString().startsWith("ctl status: cannot connect to 127.0.0.1:" + port),
        err.toString());
    assertEquals(1, err.toString().strip().lines().count(), err.toString());
  }
}
