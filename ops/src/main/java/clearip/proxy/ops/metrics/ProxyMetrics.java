package clearip.proxy.ops.metrics;

import clearip.proxy.actors.call.txn.TransportMemory;
import clearip.proxy.streams.upstream.UpstreamAnswers;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The proxy's meters in one Prometheus registry: call and transport meters (handed to the
 * actors and streams as their metric hooks), calls in flight, the CPU time of the proxy's thread
 * groups, and the JVM's memory, GC, thread and CPU meters. {@link #scrape()} is what GET
 * /metrics serves.
 */
public final class ProxyMetrics implements AutoCloseable {
  /** Content type of {@link #scrape()}: the Prometheus text exposition format 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry;
  private final CallMeters calls;
  private final TransportMeters transports;
  private final JvmGcMetrics gc;
  /** Kept here because its counters hold it only weakly. */
  private final ThreadCpuMeters threadCpu;

  public ProxyMetrics() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    calls = new CallMeters(registry);
    transports = new TransportMeters(registry);
    new JvmMemoryMetrics().bindTo(registry);
    gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    threadCpu = ThreadCpuMeters.bindTo(registry);
  }

  public CallMeters calls() {
    return calls;
  }

  public TransportMeters transports() {
    return transports;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Publishes the calls in flight, read from the call registry at each scrape. */
  public void callsInFlight(IntSupplier inFlight) {
    Gauge.builder("clearip.calls.in.flight", inFlight, s -> s.getAsInt())
        .description("Calls whose INVITE transaction is still open").strongReference(true)
        .register(registry);
  }

  /**
   * Overload control as it stands: the share of new INVITEs admitted (1 = all), the last
   * measured wait of a new call and the limit on it in force, in seconds.
   */
  public void overload(DoubleSupplier admitted, LongSupplier waitNanos, LongSupplier limitNanos) {
    Gauge.builder("clearip.calls.admitted.share", admitted, DoubleSupplier::getAsDouble)
        .description("Share of new INVITEs admitted by overload control (1 = all)")
        .strongReference(true).register(registry);
    Gauge.builder("clearip.calls.dispatch.wait", waitNanos, s -> s.getAsLong() / 1e9)
        .description("Last measured wait of a new call for a thread (or of the UDP intake)")
        .baseUnit("seconds").strongReference(true).register(registry);
    Gauge.builder("clearip.calls.dispatch.limit", limitNanos, s -> s.getAsLong() / 1e9)
        .description("Wait of a new call past which new INVITEs are refused: "
            + "calls.max-dispatch-delay, halved while an overload lasts")
        .baseUnit("seconds").strongReference(true).register(registry);
  }

  /**
   * In-line mode: large INVITEs sent to a destination over UDP because TCP, chosen by the size
   * rule, did not connect.
   */
  public void udpFallbacks(TransportMemory memory) {
    // the memory lives as long as the server: the counter's weak reference to it holds
    FunctionCounter.builder("clearip.inline.udp.fallbacks", memory, TransportMemory::fallbacks)
        .description("Large INVITEs sent over UDP because the destination did not take TCP")
        .register(registry);
  }

  /** ClearIP's answers that reached no call, and those beyond the parse limits. */
  public void upstreamAnswers(UpstreamAnswers answers) {
    // the counters live as long as the server's upstream channel: the weak reference holds
    FunctionCounter.builder("clearip.upstream.answers.unmatched", answers,
            UpstreamAnswers::unmatched)
        .description("ClearIP responses no call waited for (duplicates, answers after the call "
            + "gave up)")
        .register(registry);
    FunctionCounter.builder("clearip.upstream.answers.unusable", answers,
            UpstreamAnswers::unusable)
        .description("ClearIP responses beyond the parse limits (their calls got 503 at once)")
        .register(registry);
  }

  /** Member statuses counted in {@code clearip_cluster_members}. */
  public static final java.util.List<String> MEMBER_STATUSES = java.util.List.of("joining",
      "weakly_up", "up", "leaving", "exiting", "down", "unreachable");

  /**
   * A node of a fleet: its members by status ({@code unreachable} counts members some node
   * cannot reach, whatever their status) and the version of the shared settings.
   */
  public void cluster(java.util.function.ToIntFunction<String> membersWithStatus,
      LongSupplier settingsVersion) {
    for (String status : MEMBER_STATUSES) {
      Gauge.builder("clearip.cluster.members", () -> membersWithStatus.applyAsInt(status))
          .description("Members of the fleet as this node sees them, by status")
          .tag("status", status).strongReference(true).register(registry);
    }
    Gauge.builder("clearip.cluster.settings.version", settingsVersion, LongSupplier::getAsLong)
        .description("When the latest shared operator setting was changed (ms since the epoch;"
            + " 0: none); equal on every node once they agree")
        .strongReference(true).register(registry);
  }

  /** All meters in the Prometheus text format. */
  public String scrape() {
    return registry.scrape();
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
