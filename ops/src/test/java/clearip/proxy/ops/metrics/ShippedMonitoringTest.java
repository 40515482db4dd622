package clearip.proxy.ops.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard and the Prometheus alert rules shipped in {@code ops/src/dist}: valid,
 * and reading only series a running proxy's GET /metrics has, so that renaming a meter breaks
 * this test rather than an operator's dashboard. The rules also pass promtool's check and their
 * unit tests ({@code alerts_test.yml}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ShippedMonitoringTest {
  static final Path DIST = Path.of("src", "dist");
  static final Path DASHBOARD = DIST.resolve("grafana/clearip-proxy.json");
  static final Path RULES = DIST.resolve("prometheus/alerts.yml");
  static final Path RULES_TEST = DIST.resolve("prometheus/alerts_test.yml");
  /** Series Prometheus itself adds to every scrape. */
  static final Set<String> FROM_PROMETHEUS = Set.of("up");

  LiveProxy proxy;
  /** The sample names of the running proxy's /metrics. */
  Set<String> exposed;

  @BeforeAll
  void start() throws Exception {
    proxy = LiveProxy.start();
    // the GC meters appear with the first collection: have one
    System.gc();
    exposed = proxy.seriesNames(s -> s.contains("\njvm_gc_pause_seconds_count"),
        Duration.ofSeconds(20));
  }

  @AfterAll
  void stop() throws Exception {
    if (proxy != null) proxy.close();
  }

  // ---- the dashboard ----

  JsonNode dashboard() throws Exception {
    return new ObjectMapper().readTree(DASHBOARD.toFile());
  }

  /** Every query of the dashboard: panel targets (rows' nested panels too) and variables. */
  List<String> dashboardQueries() throws Exception {
    List<String> out = new ArrayList<>();
    List<JsonNode> panels = new ArrayList<>();
    dashboard().path("panels").forEach(panels::add);
    for (int i = 0; i < panels.size(); i++) {
      panels.get(i).path("panels").forEach(panels::add);
      for (JsonNode t : panels.get(i).path("targets")) out.add(t.path("expr").asText());
    }
    for (JsonNode v : dashboard().path("templating").path("list")) {
      Matcher m = Pattern.compile("label_values\\((.*),\\s*\\w+\\)")
          .matcher(v.path("query").path("query").asText());
      if (m.matches()) out.add(m.group(1));
    }
    return out;
  }

  @Test
  void dashboardTakesItsDatasourceAsAnInputAndHasAnInstanceVariable() throws Exception {
    JsonNode d = dashboard();
    JsonNode input = d.path("__inputs").get(0);
    assertEquals("DS_PROMETHEUS", input.path("name").asText());
    assertEquals("prometheus", input.path("pluginId").asText());
    List<String> variables = new ArrayList<>();
    d.path("templating").path("list").forEach(v -> variables.add(v.path("name").asText()));
    assertTrue(variables.contains("instance"), variables.toString());
    for (JsonNode p : d.path("panels")) {
      if (p.path("type").asText().equals("row")) continue;
      assertEquals("${DS_PROMETHEUS}", p.path("datasource").path("uid").asText(),
          p.path("title").asText());
      for (JsonNode t : p.path("targets")) {
        assertEquals("${DS_PROMETHEUS}", t.path("datasource").path("uid").asText());
        assertTrue(t.path("expr").asText().contains("instance=~\"$instance\""),
            "every query follows the instance variable: " + t.path("expr").asText());
      }
    }
  }

  @Test
  void dashboardShowsWhatOperatorsLookFor() throws Exception {
    String all = String.join("\n", dashboardQueries());
    for (String needed : List.of("clearip_calls_received_total", "clearip_calls_fail_open_total",
        "histogram_quantile(0.99, sum by (le) (rate(clearip_upstream_rtt_seconds_bucket",
        "histogram_quantile(0.5, sum by (le) (rate(clearip_upstream_rtt_seconds_bucket",
        "clearip_upstream_state", "clearip_calls_refused_total", "jvm_memory_used_bytes",
        "jvm_gc_pause_seconds_sum", "process_cpu_usage")) {
      assertTrue(all.contains(needed), "the dashboard queries " + needed);
    }
  }

  @Test
  void everySeriesTheDashboardReadsIsInTheProxysMetrics() throws Exception {
    Map<String, String> missing = new TreeMap<>();
    for (String q : dashboardQueries()) {
      for (String name : PromQl.metricNames(q)) {
        if (!exposed.contains(name) && !FROM_PROMETHEUS.contains(name)) missing.put(name, q);
      }
    }
    assertTrue(missing.isEmpty(), "not in /metrics: " + missing);
  }

  @Test
  void everyDashboardQueryParses(@TempDir Path tmp) throws Exception {
    String promtool = promtool();
    StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
    int i = 0;
    for (String q : dashboardQueries()) {
      rules.append("      - record: dashboard:query").append(i++).append("\n        expr: '")
          .append(PromQl.withoutGrafanaVariables(q).replace("'", "''")).append("'\n");
    }
    Path file = tmp.resolve("dashboard-queries.yml");
    Files.writeString(file, rules);
    Result r = run(promtool, "check", "rules", file.toString());
    assertEquals(0, r.exit(), r.output());
  }

  // ---- the alert rules ----

  /** The expr of every rule (one line, or a YAML block after {@code expr: |}). */
  static List<String> ruleExpressions(Path rules) throws Exception {
    List<String> out = new ArrayList<>();
    List<String> lines = Files.readAllLines(rules);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      String t = line.trim();
      if (!t.startsWith("expr:")) continue;
      String value = t.substring(5).trim();
      if (!value.equals("|") && !value.equals(">")) {
        out.add(value);
        continue;
      }
      int indent = line.indexOf("expr:");
      StringBuilder block = new StringBuilder();
      while (i + 1 < lines.size() && (lines.get(i + 1).isBlank()
          || lines.get(i + 1).length() - lines.get(i + 1).stripLeading().length() > indent)) {
        block.append(lines.get(++i).trim()).append(' ');
      }
      out.add(block.toString().trim());
    }
    return out;
  }

  @Test
  void everySeriesTheAlertRulesReadIsInTheProxysMetrics() throws Exception {
    List<String> exprs = ruleExpressions(RULES);
    assertEquals(7, exprs.size(), exprs.toString());
    Map<String, String> missing = new TreeMap<>();
    for (String e : exprs) {
      for (String name : PromQl.metricNames(e)) {
        if (!exposed.contains(name) && !FROM_PROMETHEUS.contains(name)) missing.put(name, e);
      }
    }
    assertTrue(missing.isEmpty(), "not in /metrics: " + missing);
  }

  @Test
  void theRulesUnitTestFeedsSeriesTheProxyHas() throws Exception {
    Set<String> fed = new TreeSet<>();
    Matcher m = Pattern.compile("series: '([a-zA-Z_:][a-zA-Z0-9_:]*)")
        .matcher(Files.readString(RULES_TEST));
    while (m.find()) fed.add(m.group(1));
    assertFalse(fed.isEmpty());
    fed.removeAll(exposed);
    fed.removeAll(FROM_PROMETHEUS);
    assertTrue(fed.isEmpty(), "fed to the rules' test but not in /metrics: " + fed);
  }

  @Test
  void alertRulesPassPromtoolCheck() throws Exception {
    String promtool = promtool();
    Result r = run(promtool, "check", "rules", RULES.toString());
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("SUCCESS: 7 rules found"), r.output());
  }

  @Test
  void alertRulesPassTheirUnitTests() throws Exception {
    String promtool = promtool();
    Result r = run(promtool, "test", "rules", RULES_TEST.toString());
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("SUCCESS"), r.output());
  }

  // ---- running promtool ----

  record Result(int exit, String output) {}

  /** promtool's path; the test is skipped where it is missing. */
  static String promtool() {
    String promtool = which("promtool");
    assumeTrue(promtool != null,
        "promtool is not installed (apt-get install -y prometheus); skipping");
    return promtool;
  }

  static Result run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes(); // until promtool closes it, as it exits
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly(); // our own child, by its handle
      throw new AssertionError(String.join(" ", command) + " did not finish");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  static String which(String binary) {
    String path = System.getenv("PATH");
    if (path == null) return null;
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir, binary);
      if (Files.isExecutable(p)) return p.toString();
    }
    return null;
  }
}
