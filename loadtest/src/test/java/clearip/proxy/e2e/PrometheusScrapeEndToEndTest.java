package clearip.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import clearip.proxy.emulator.ClearIpEmulator;
import clearip.proxy.ops.launcher.OperatorAccess;
import clearip.proxy.ops.metrics.ProxyMetrics;
import clearip.proxy.ops.server.ProxyServer;
import clearip.proxy.ops.trace.TraceControl;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.management.MBeanServerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A real Prometheus server scrapes a running proxy (its admin endpoint, every second) while SIPp
 * places calls through it to the ClearIP emulator; the test reads what Prometheus stored through
 * its HTTP API: the call counters, ClearIP's connection state, a quantile of the round-trip
 * histogram, and the shipped alert rules loaded and evaluated without error; then ClearIP goes
 * away, and Prometheus sees the connection down and the ClearIP-unreachable alert pending.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PrometheusScrapeEndToEndTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final int CALLS = 5;
  static final Path RULES = Path.of("..", "ops", "src", "dist", "prometheus", "alerts.yml")
      .toAbsolutePath().normalize();

  Path work;
  E2e.ProxyOnEmulator env;
  ClearIpEmulator emulator;
  ProxyMetrics metrics;
  ProxyServer proxy;
  OperatorAccess access;
  Process prometheus;
  int prometheusPort;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  void start() throws Exception {
    String binary = Sipp.which("prometheus");
    assumeTrue(binary != null, "prometheus is not installed (apt-get install -y prometheus); "
        + "skipping the scrape end-to-end test");
    Sipp.assumeInstalled();
    work = Files.createTempDirectory("e2e-prometheus");
    metrics = new ProxyMetrics();
    env = E2e.ProxyOnEmulator.start(work, """
        clearip-emulator {
          listen { udp = [], tcp = [], tls = ["127.0.0.1:0"] }
          identity.reuse-across-numbers = on
          rules = [
            { name = r1, called-prefix = "1", action = redirect, identity = on, attest = A,
              destinations = ["sip:${user}@127.0.0.1:5080", "sip:${user}@127.0.0.1:5082"] }
          ]
        }
        """, metrics.calls(), metrics.transports(),
        "clearip-proxy.listen.tcp = []",
        "clearip-proxy.admin.listen = \"127.0.0.1:0\"");
    proxy = env.proxy;
    emulator = env.emulator;
    access = OperatorAccess.start(proxy, metrics, null, MBeanServerFactory.newMBeanServer(),
        TraceControl.NONE);
    assertTrue(proxy.awaitUpstream(WAIT), "proxy connected to the emulator");

    prometheusPort = Sipp.freePort();
    Path config = work.resolve("prometheus.yml");
    Files.writeString(config, String.join("\n",
        "global:",
        "  scrape_interval: 1s",
        "  evaluation_interval: 1s",
        "rule_files: ['" + RULES + "']",
        "scrape_configs:",
        "  - job_name: clearip-proxy",
        "    static_configs:",
        "      - targets: ['127.0.0.1:" + access.adminAddress().getPort() + "']",
        ""));
    prometheus = new ProcessBuilder(binary, "--config.file=" + config,
        "--storage.tsdb.path=" + work.resolve("data"),
        "--web.listen-address=127.0.0.1:" + prometheusPort)
        .redirectErrorStream(true).redirectOutput(work.resolve("prometheus.log").toFile())
        .start();
    await("Prometheus ready", () -> get("/-/ready").statusCode() == 200);
  }

  @AfterAll
  void stop() throws Exception {
    if (prometheus != null) {
      prometheus.destroy(); // SIGTERM to our own child, by its handle
      if (!prometheus.waitFor(15, TimeUnit.SECONDS)) {
        prometheus.destroyForcibly();
        prometheus.waitFor(5, TimeUnit.SECONDS);
      }
    }
    if (access != null) access.close();
    if (env != null) env.close(); // the proxy, then the emulator (stopping it again is harmless)
    if (metrics != null) metrics.close();
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    URI uri = URI.create("http://127.0.0.1:" + prometheusPort + path);
    try {
      return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException notYet) {
      assertTrue(prometheus.isAlive(), "Prometheus exited: "
          + Files.readString(work.resolve("prometheus.log")));
      throw notYet;
    }
  }

  /** An instant query's result vector. */
  JsonNode query(String promql) throws IOException, InterruptedException {
    HttpResponse<String> r = get("/api/v1/query?query="
        + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    assertEquals(200, r.statusCode(), r.body());
    JsonNode body = json.readTree(r.body());
    assertEquals("success", body.path("status").asText(), r.body());
    return body.path("data").path("result");
  }

  /** The value of a query that yields one series, NaN when it yields none. */
  double value(String promql) throws IOException, InterruptedException {
    JsonNode result = query(promql);
    return result.isEmpty() ? Double.NaN : Double.parseDouble(result.get(0).path("value")
        .get(1).asText());
  }

  interface Check {
    boolean holds() throws Exception;
  }

  /** Polls {@code check} every 100 ms until it holds or {@link #WAIT} passes. */
  void await(String what, Check check) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Exception last = null;
    while (System.nanoTime() - deadline < 0) {
      try {
        if (check.holds()) return;
        last = null;
      } catch (IOException e) {
        last = e;
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    throw new AssertionError("timed out waiting for " + what + "; Prometheus log:\n"
        + Files.readString(work.resolve("prometheus.log")), last);
  }

  void awaitValue(String promql, Predicate<Double> ok) throws Exception {
    await(promql, () -> {
      double v = value(promql);
      return !Double.isNaN(v) && ok.test(v);
    });
  }

  @Test
  @Order(1)
  void prometheusScrapesTheCallsTheConnectionToClearIpAndItsRoundTrip() throws Exception {
    awaitValue("up{job=\"clearip-proxy\"}", v -> v == 1);
    awaitValue("clearip_upstream_state{job=\"clearip-proxy\",state=\"connected\"}", v -> v == 1);
    awaitValue("clearip_ready", v -> v == 1);
    Sipp.Result r = Sipp.run(work.resolve("sipp"), "uac_302", "14016401234",
        proxy.bound().udp().get(0), "u1", CALLS, 10, WAIT);
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals(CALLS, r.successful(), r.toString());

    awaitValue("clearip_calls_received_total", v -> v >= CALLS);
    awaitValue("clearip_calls_finals_total{class=\"3xx\"}", v -> v >= CALLS);
    awaitValue("clearip_upstream_answers_total{status=\"302\"}", v -> v >= CALLS);
    awaitValue("clearip_upstream_rtt_seconds_count", v -> v >= CALLS);
    // the server computes the quantile from the buckets: the histogram is a real one
    awaitValue("histogram_quantile(0.99, sum by (le) "
        + "(rate(clearip_upstream_rtt_seconds_bucket[1m])))", v -> v > 0 && v <= 5);
    assertEquals(0.0, value("clearip_upstream_state{state=\"connecting\"}"));
    assertEquals(1.0, value("clearip_build_info"));
  }

  @Test
  @Order(2)
  void theShippedAlertRulesLoadAndEvaluateWithoutErrorAndNoneFires() throws Exception {
    await("every rule evaluated", () -> {
      JsonNode groups = json.readTree(get("/api/v1/rules").body()).path("data").path("groups");
      if (groups.size() != 1) return false;
      JsonNode rules = groups.get(0).path("rules");
      assertEquals(7, rules.size(), rules.toString());
      for (JsonNode rule : rules) {
        String health = rule.path("health").asText();
        assertTrue(!health.equals("err"), rule.toString());
        if (!health.equals("ok")) return false;
      }
      return true;
    });
    // a connected, ready proxy: nothing fires; only the no-calls alert may be pending (while
    // no call has come yet), and it needs 20 minutes to fire
    assertTrue(query("ALERTS{alertstate=\"firing\"}").isEmpty(), query("ALERTS").toString());
    assertTrue(query("ALERTS{alertname!=\"ClearIpProxyNoCalls\"}").isEmpty(),
        query("ALERTS").toString());
  }

  /** Last: it stops ClearIP. */
  @Test
  @Order(3)
  void whenClearIpGoesAwayPrometheusSeesTheConnectionDownAndTheAlertPending() throws Exception {
    awaitValue("clearip_upstream_state{state=\"connected\"}", v -> v == 1);
    emulator.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
    emulator = null;
    awaitValue("clearip_upstream_state{state=\"connecting\"}", v -> v == 1);
    awaitValue("clearip_ready", v -> v == 0);
    // the connection had answered calls: its loss counts as a reconnect
    awaitValue("clearip_upstream_reconnects_total", v -> v >= 1);
    // the rule's condition holds; it fires after a minute, so pending is what shows now
    await("ClearIpUnreachable pending", () -> !query(
        "ALERTS{alertname=\"ClearIpUnreachable\",alertstate=\"pending\"}").isEmpty());
  }
}
