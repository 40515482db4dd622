package clearip.proxy.ops.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import clearip.proxy.ops.metrics.ThreadCpuMeters.Group;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ThreadCpuMetersTest {
  private static final long MS = 1_000_000L;

  /** Live threads: id to {name, CPU time}; the test moves them along. */
  private final Map<Long, Object[]> live = new LinkedHashMap<>();
  private long process;
  private long now = 1_000_000_000L;

  private ThreadCpuMeters meters() {
    return new ThreadCpuMeters(
        () -> live.keySet().stream().mapToLong(Long::longValue).toArray(),
        id -> live.containsKey(id) ? (Long) live.get(id)[1] : -1,
        id -> live.containsKey(id) ? (String) live.get(id)[0] : null,
        () -> process, () -> now);
  }

  private void thread(long id, String name, long cpuMs) {
    live.put(id, new Object[] {name, cpuMs * MS});
  }

  @Test
  void threadsAreGroupedByTheirNames() {
    assertEquals(Group.UDP_READERS, Group.of("sip-udp-1-5060"));
    assertEquals(Group.CALLS, Group.of("clearip-proxy-pekko.actor.default-dispatcher-5"));
    assertEquals(Group.NETWORK_IO, Group.of("clearip-proxy-pekko.io.pinned-dispatcher-8"));
    assertEquals(Group.CONNECTIONS, Group.of("clearip-proxy-clearip.connection-dispatcher-6"));
    assertEquals(Group.TIMERS, Group.of("clearip-proxy-scheduler-1"));
    assertEquals(Group.OTHER_JAVA, Group.of("clearip-proxy-pekko.actor.internal-dispatcher-4"));
    assertEquals(Group.OTHER_JAVA, Group.of("main"));
  }

  @Test
  void eachGroupSumsItsThreadsAndTheJvmIsTheRestOfTheProcess() {
    thread(1, "sip-udp-1-5060", 300);
    thread(2, "clearip-proxy-pekko.actor.default-dispatcher-3", 500);
    thread(3, "clearip-proxy-pekko.actor.default-dispatcher-4", 400);
    thread(4, "main", 100);
    process = 1_500 * MS; // 200 ms in GC and JIT threads Java cannot see
    ThreadCpuMeters m = meters();
    assertEquals(0.3, m.seconds(Group.UDP_READERS), 1e-9);
    assertEquals(0.9, m.seconds(Group.CALLS), 1e-9);
    assertEquals(0.1, m.seconds(Group.OTHER_JAVA), 1e-9);
    assertEquals(0.0, m.seconds(Group.NETWORK_IO), 1e-9);
    assertEquals(0.2, m.seconds(Group.JVM), 1e-9);
  }

  @Test
  void aThreadThatEndsKeepsItsTimeInItsGroup() {
    thread(2, "clearip-proxy-pekko.actor.default-dispatcher-3", 500);
    thread(3, "clearip-proxy-pekko.actor.default-dispatcher-4", 400);
    process = 900 * MS;
    ThreadCpuMeters m = meters();
    assertEquals(0.9, m.seconds(Group.CALLS), 1e-9);
    live.remove(3L); // an idle pool thread retires
    thread(2, "clearip-proxy-pekko.actor.default-dispatcher-3", 600);
    process = 1_000 * MS;
    now += ThreadCpuMeters.MIN_INTERVAL_NANOS;
    assertEquals(1.0, m.seconds(Group.CALLS), 1e-9);
    assertEquals(0.0, m.seconds(Group.JVM), 1e-9);
  }

  @Test
  void countersNeverGoBackWhenTheCoarserProcessClockLags() {
    thread(1, "sip-udp-1-5060", 100);
    process = 150 * MS;
    ThreadCpuMeters m = meters();
    assertEquals(0.05, m.seconds(Group.JVM), 1e-9);
    thread(1, "sip-udp-1-5060", 140); // the process clock has not ticked since
    now += ThreadCpuMeters.MIN_INTERVAL_NANOS;
    assertEquals(0.05, m.seconds(Group.JVM), 1e-9);
    assertEquals(0.14, m.seconds(Group.UDP_READERS), 1e-9);
  }

  @Test
  void threadsAreReadAtMostOncePerInterval() {
    thread(1, "sip-udp-1-5060", 100);
    ThreadCpuMeters m = meters();
    assertEquals(0.1, m.seconds(Group.UDP_READERS), 1e-9);
    thread(1, "sip-udp-1-5060", 200);
    now += ThreadCpuMeters.MIN_INTERVAL_NANOS - 1;
    assertEquals(0.1, m.seconds(Group.UDP_READERS), 1e-9, "one scrape reads the threads once");
    now += 1;
    assertEquals(0.2, m.seconds(Group.UDP_READERS), 1e-9);
  }

  @Test
  void theScrapeShowsOneCounterPerGroup() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ThreadCpuMeters kept = ThreadCpuMeters.bindTo(registry);
    System.gc(); // the counters hold the meters weakly: what the caller keeps must be enough
    String text = registry.scrape();
    for (Group g : Group.values()) {
      assertEquals(true, text.contains("clearip_threads_cpu_seconds_total{group=\"" + g.tag + "\"}"),
          g.tag + " missing from:\n" + text);
    }
    // the thread running this test is in other-java and has used CPU; a counter that lost its
    // meters would show 0 or NaN here
    java.util.regex.Matcher v = java.util.regex.Pattern.compile(
        "clearip_threads_cpu_seconds_total\\{group=\"other-java\"} (\\S+)").matcher(text);
    assertEquals(true, v.find(), text);
    assertEquals(true, Double.parseDouble(v.group(1)) > 0, text);
    assertEquals(true, kept != null);
    registry.close();
  }
}
