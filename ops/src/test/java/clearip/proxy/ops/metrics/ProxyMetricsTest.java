package clearip.proxy.ops.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.actors.call.CallMetrics;
import clearip.proxy.actors.call.txn.CallOutcome;
import clearip.proxy.actors.upstream.UpstreamConnection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What GET /metrics shows, read as Prometheus reads it: the text of {@link ProxyMetrics#scrape},
 * with every hook wired as a running proxy wires it.
 */
class ProxyMetricsTest {
  final ProxyMetrics metrics = new ProxyMetrics();
  final AtomicReference<UpstreamConnection.Status> upstream =
      new AtomicReference<>(status("CONNECTED", 0));
  final AtomicBoolean ready = new AtomicBoolean(true);

  @BeforeEach
  void wire() {
    metrics.upstream(upstream::get);
    metrics.ready(ready::get);
    metrics.intakeWait(() -> TimeUnit.MICROSECONDS.toNanos(1500));
    metrics.overload(() -> 0.25, () -> TimeUnit.MILLISECONDS.toNanos(3), () -> 0);
    metrics.callsInFlight(() -> 7);
  }

  @AfterEach
  void close() {
    metrics.close();
  }

  static UpstreamConnection.Status status(String state, long reconnects) {
    return new UpstreamConnection.Status("sip:clearip.example;transport=tls", state,
        "10.0.0.1:5061", reconnects + 1, reconnects, "", 4, 2, 1500, 0);
  }

  /** The value of one sample, or NaN when the scrape has no such sample. */
  static double sample(String scrape, String nameAndLabels) {
    Matcher m = Pattern.compile("^" + Pattern.quote(nameAndLabels) + " (\\S+)$",
        Pattern.MULTILINE).matcher(scrape);
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }

  @Test
  void everySeriesHasAHelpTextAndAType() {
    String scrape = metrics.scrape();
    Map<String, String> help = new HashMap<>();
    Map<String, String> type = new HashMap<>();
    for (String line : scrape.split("\n")) {
      if (line.startsWith("# HELP ")) {
        String[] p = line.split(" ", 4);
        help.put(p[2], p.length > 3 ? p[3].trim() : "");
      } else if (line.startsWith("# TYPE ")) {
        String[] p = line.split(" ", 4);
        type.put(p[2], p[3]);
      }
    }
    int samples = 0;
    for (String line : scrape.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      samples++;
      String name = line.split("[{ ]", 2)[0];
      String family = family(name, type);
      assertTrue(type.containsKey(family), "no TYPE for " + name);
      assertFalse(help.getOrDefault(family, "").isEmpty(), "no HELP text for " + name);
    }
    assertTrue(samples > 100, "a full scrape: " + samples);
  }

  /** The family a sample belongs to: a histogram's _bucket, _count and _sum are its own. */
  private static String family(String sample, Map<String, String> types) {
    for (String suffix : new String[] {"_bucket", "_count", "_sum"}) {
      if (sample.endsWith(suffix)) {
        String base = sample.substring(0, sample.length() - suffix.length());
        if ("histogram".equals(types.get(base)) || "summary".equals(types.get(base))) {
          return base;
        }
      }
    }
    return sample;
  }

  @Test
  void upstreamStateIsOneForTheStateTheConnectionIsIn() {
    String s = metrics.scrape();
    assertEquals(1.0, sample(s, "clearip_upstream_state{state=\"connected\"}"));
    assertEquals(0.0, sample(s, "clearip_upstream_state{state=\"degraded\"}"));
    assertEquals(0.0, sample(s, "clearip_upstream_state{state=\"connecting\"}"));
    assertEquals(0.0, sample(s, "clearip_upstream_state{state=\"unknown\"}"));

    upstream.set(status("CONNECTING", 3));
    s = metrics.scrape();
    assertEquals(0.0, sample(s, "clearip_upstream_state{state=\"connected\"}"));
    assertEquals(1.0, sample(s, "clearip_upstream_state{state=\"connecting\"}"));
    assertEquals(3.0, sample(s, "clearip_upstream_reconnects_total"));
    assertEquals(4.0, sample(s, "clearip_upstream_connects_total"));
  }

  @Test
  void upstreamQueueInFlightAndPingComeFromTheConnectionsStatus() {
    String s = metrics.scrape();
    assertEquals(4.0, sample(s, "clearip_upstream_queue_depth"));
    assertEquals(2.0, sample(s, "clearip_upstream_in_flight"));
    assertEquals(0.0015, sample(s, "clearip_upstream_ping_rtt_seconds"), 1e-12);
  }

  @Test
  void clearIpRoundTripIsAHistogramWithFewFixedBuckets() {
    metrics.calls().clearIpAnswered(302, TimeUnit.MILLISECONDS.toNanos(30));
    metrics.calls().clearIpAnswered(403, TimeUnit.MILLISECONDS.toNanos(3));
    String s = metrics.scrape();
    assertTrue(s.contains("# TYPE clearip_upstream_rtt_seconds histogram"), s);
    assertFalse(s.contains("clearip_upstream_rtt_seconds{quantile"), "no client-side summary");
    assertEquals(1.0, sample(s, "clearip_upstream_rtt_seconds_bucket{le=\"0.005\"}"));
    assertEquals(1.0, sample(s, "clearip_upstream_rtt_seconds_bucket{le=\"0.025\"}"));
    assertEquals(2.0, sample(s, "clearip_upstream_rtt_seconds_bucket{le=\"0.05\"}"));
    assertEquals(2.0, sample(s, "clearip_upstream_rtt_seconds_bucket{le=\"+Inf\"}"));
    assertEquals(2.0, sample(s, "clearip_upstream_rtt_seconds_count"));
    assertEquals(0.033, sample(s, "clearip_upstream_rtt_seconds_sum"), 1e-9);
    long buckets = s.lines().filter(l -> l.startsWith("clearip_upstream_rtt_seconds_bucket"))
        .count();
    assertEquals(CallMeters.RTT_BUCKETS.length + 1, buckets, "the chosen buckets and +Inf");
    assertEquals(1.0, sample(s, "clearip_upstream_answers_total{status=\"302\"}"));
    assertEquals(1.0, sample(s, "clearip_upstream_answers_total{status=\"403\"}"));
    // JMX keeps its percentiles over the last minute
    assertTrue(metrics.calls().clearIpRttMillis(0.99) >= 25, "p99 near 30 ms");
  }

  @Test
  void aFinalIsCountedWhenSentNotWhenTheCallEnds() {
    metrics.calls().callStarted();
    metrics.calls().finalSent(CallOutcome.RELAYED, 302, TimeUnit.MILLISECONDS.toNanos(7));
    String s = metrics.scrape();
    assertEquals(1.0, sample(s, "clearip_calls_finals_total{class=\"3xx\"}"));
    assertEquals(0.0, sample(s,
        "clearip_calls_answer_time_seconds_bucket{path=\"screened\",le=\"0.005\"}"));
    assertEquals(1.0, sample(s,
        "clearip_calls_answer_time_seconds_bucket{path=\"screened\",le=\"0.01\"}"));
    // the end of the call (the ACK, or Timer H 32 s later) counts nothing again
    metrics.calls().callEnded(CallOutcome.RELAYED, 302, 302, 1, 1);
    s = metrics.scrape();
    assertEquals(1.0, sample(s, "clearip_calls_finals_total{class=\"3xx\"}"));
    assertEquals(1.0, sample(s, "clearip_calls_answer_time_seconds_count{path=\"screened\"}"));
    assertEquals(0.0, sample(s, "clearip_upstream_answers_total{status=\"302\"}"));
  }

  @Test
  void failOpenAndRefusalsAreCountedByCauseAndReason() {
    metrics.calls().finalSent(CallOutcome.FAIL_OPEN_TIMEOUT, 503, 1);
    metrics.calls().refused(CallMetrics.Refusal.OVERLOAD);
    metrics.calls().finalSent(CallOutcome.FAIL_OPEN_OVERLOAD, 503, 1);
    metrics.calls().refused(CallMetrics.Refusal.DRAINING);
    metrics.calls().finalSent(CallOutcome.FAIL_OPEN_OVERLOAD, 503, 1);
    String s = metrics.scrape();
    assertEquals(1.0, sample(s, "clearip_calls_fail_open_total{cause=\"timeout\"}"));
    assertEquals(2.0, sample(s, "clearip_calls_fail_open_total{cause=\"overload\"}"));
    assertEquals(1.0, sample(s, "clearip_calls_refused_total{reason=\"overload\"}"));
    assertEquals(1.0, sample(s, "clearip_calls_refused_total{reason=\"draining\"}"));
    assertEquals(0.0, sample(s, "clearip_calls_refused_total{reason=\"calls-in-flight\"}"));
    assertEquals(0.0, sample(s, "clearip_calls_refused_total{reason=\"warming-up\"}"));
    assertEquals(3.0, sample(s, "clearip_calls_finals_total{class=\"5xx\"}"));
    assertEquals(2.0, sample(s, "clearip_calls_answer_time_seconds_count{path=\"refused\"}"));
    assertEquals(1.0, sample(s, "clearip_calls_answer_time_seconds_count{path=\"fail-open\"}"));
  }

  @Test
  void buildInfoCarriesTheVersion() {
    String s = metrics.scrape();
    assertEquals(1.0, sample(s, "clearip_build_info{version=\"" + ProxyMetrics.version()
        + "\"}"), s);
  }

  @Test
  void overloadReadsAsARatioAndTheIntakeWaitHasASeriesOfItsOwn() {
    String s = metrics.scrape();
    assertEquals(0.25, sample(s, "clearip_calls_admitted_ratio"));
    assertFalse(s.contains("clearip_calls_admitted_share"), "renamed");
    assertEquals(0.003, sample(s, "clearip_calls_dispatch_wait_seconds"), 1e-12);
    assertEquals(0.0015, sample(s, "clearip_calls_intake_wait_seconds"), 1e-12);
    assertEquals(7.0, sample(s, "clearip_calls_in_flight"));
  }

  @Test
  void readyFollowsTheReadinessVerdict() {
    assertEquals(1.0, sample(metrics.scrape(), "clearip_ready"));
    ready.set(false);
    assertEquals(0.0, sample(metrics.scrape(), "clearip_ready"));
  }
}
