package clearip.proxy.ops.metrics;

import clearip.proxy.actors.call.txn.TransportMemory;
import clearip.proxy.actors.upstream.UpstreamConnection;
import clearip.proxy.streams.upstream.UpstreamAnswers;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.core.metrics.Info;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The proxy's meters in one Prometheus registry: call and transport meters (handed to the
 * actors and streams as their metric hooks), calls in flight, the connection to ClearIP, the
 * proxy's readiness and version, the CPU time of the proxy's thread groups, and the JVM's
 * memory, GC, thread and CPU meters. {@link #scrape()} is what GET /metrics serves; README's
 * metrics table lists every series.
 */
public final class ProxyMetrics implements AutoCloseable {
  /** Content type of {@link #scrape()}: the Prometheus text exposition format 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** The values of {@code clearip_upstream_state{state}}: one series each, 1 for the current. */
  static final String[] UPSTREAM_STATES = {"CONNECTED", "DEGRADED", "CONNECTING", "UNKNOWN"};

  private final PrometheusMeterRegistry registry;
  private final CallMeters calls;
  private final TransportMeters transports;
  private final JvmGcMetrics gc;
  /** Kept here because its counters hold it only weakly. */
  private final ThreadCpuMeters threadCpu;
  /** The upstream status source, kept here for the same reason. */
  private volatile Supplier<UpstreamConnection.Status> upstreamStatus;

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
    buildInfo(version());
  }

  /** This build's version, from the jar's manifest; "development" outside a packaged jar. */
  static String version() {
    String v = ProxyMetrics.class.getPackage().getImplementationVersion();
    return v == null ? "development" : v;
  }

  private void buildInfo(String version) {
    Info.builder().name("clearip_build")
        .help("The proxy's version, as a label of a series whose value is always 1")
        .labelNames("version").register(registry.getPrometheusRegistry())
        .setLabelValues(version);
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
    Gauge.builder("clearip.calls.admitted.ratio", admitted, DoubleSupplier::getAsDouble)
        .description("Share of new INVITEs admitted by overload control (1 = all)")
        .strongReference(true).register(registry);
    Gauge.builder("clearip.calls.dispatch.wait", waitNanos, s -> s.getAsLong() / 1e9)
        .description("Last measured wait of a new call: the larger of its wait for a call "
            + "thread and the UDP intake's wait (clearip_calls_intake_wait_seconds)")
        .baseUnit("seconds").strongReference(true).register(registry);
    Gauge.builder("clearip.calls.dispatch.limit", limitNanos, s -> s.getAsLong() / 1e9)
        .description("Wait of a new call past which new INVITEs are refused: "
            + "calls.max-dispatch-delay, halved while an overload lasts")
        .baseUnit("seconds").strongReference(true).register(registry);
  }

  /**
   * How long a datagram waits for its UDP reader now (the longest over the UDP sockets), read
   * at each scrape.
   */
  public void intakeWait(LongSupplier waitNanos) {
    Gauge.builder("clearip.calls.intake.wait", waitNanos, s -> s.getAsLong() / 1e9)
        .description("How long a datagram waits in a UDP socket's receive queue for its reader "
            + "now (the longest over the UDP listeners)")
        .baseUnit("seconds").strongReference(true).register(registry);
  }

  /**
   * The connection to ClearIP, from the status its actor reports (the JMX Upstream bean's
   * source; the supplier should cache it, a scrape reads it several times): its state, the
   * connections made and lost, the requests queued and waiting for answers, the last OPTIONS
   * ping's round trip.
   */
  public void upstream(Supplier<UpstreamConnection.Status> status) {
    upstreamStatus = status;
    for (String state : UPSTREAM_STATES) {
      Gauge.builder("clearip.upstream.state", status, s -> state.equals(s.get().state()) ? 1 : 0)
          .description("The connection to ClearIP: 1 for the state it is in, 0 for the others; "
              + "connected (every connection up), degraded (some up), connecting (none up: "
              + "calls fail open), unknown (no status from the connection)")
          .tag("state", state.toLowerCase(Locale.ROOT))
          .strongReference(true).register(registry);
    }
    FunctionCounter.builder("clearip.upstream.connects", status, s -> s.get().connects())
        .description("Connections to ClearIP established since start")
        .register(registry);
    FunctionCounter.builder("clearip.upstream.reconnects", status, s -> s.get().reconnects())
        .description("Connections to ClearIP lost after they were up (each is re-established)")
        .register(registry);
    Gauge.builder("clearip.upstream.queue.depth", status, s -> s.get().queueDepth())
        .description("Requests queued for ClearIP, not yet written to the connection")
        .strongReference(true).register(registry);
    Gauge.builder("clearip.upstream.in.flight", status, s -> s.get().inflight())
        .description("Requests sent to ClearIP still waiting for their final answer")
        .strongReference(true).register(registry);
    Gauge.builder("clearip.upstream.ping.rtt", status, s -> {
      long micros = s.get().lastPingRttMicros();
      return micros < 0 ? Double.NaN : micros / 1e6;
    }).description("Round trip of the last OPTIONS ping to ClearIP; NaN before the first")
        .baseUnit("seconds").strongReference(true).register(registry);
  }

  /** Whether the proxy takes calls: 1 when /ready would answer 200, else 0. */
  public void ready(BooleanSupplier ready) {
    Gauge.builder("clearip.ready", ready, r -> r.getAsBoolean() ? 1 : 0)
        .description("1 when the proxy takes calls (GET /ready answers 200), 0 while it warms "
            + "up, drains, stops or has no connection to ClearIP")
        .strongReference(true).register(registry);
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
