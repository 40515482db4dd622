package clearip.proxy.ops.metrics;

import clearip.proxy.actors.call.CallMetrics;
import clearip.proxy.actors.call.txn.CallOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@link CallMetrics} on Micrometer meters, all created up front so a call only increments:
 * calls received, finals by class, ClearIP answers by status, fail-open by cause, refusals by
 * reason, emergency bypasses, rejected and cancelled calls, ClearIP's round trip and the time
 * each INVITE waited for its final answer (Prometheus histograms with fixed buckets, so that
 * nodes aggregate), and the one-minute call rate. No tag carries a per-call value.
 *
 * <p>Each is counted when it happens: a final as it leaves for the switch, ClearIP's answer as
 * it arrives; not when the call's transaction ends (over UDP up to 32 s later, at Timer H, when
 * the switch never ACKs).
 */
public final class CallMeters implements CallMetrics {
  /** ClearIP statuses counted on their own; any other is counted as "other". */
  static final int[] CLEARIP_STATUSES = {302, 403, 503, 603};

  /**
   * Upper bounds of the ClearIP round-trip buckets: its usual answers (tens of milliseconds),
   * slow ones, and those past the default {@code upstream.timeout} (2 s).
   */
  static final Duration[] RTT_BUCKETS = millis(5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000);

  /**
   * Upper bounds of the answer-time buckets: the proxy's own refusals (well under a
   * millisecond), ClearIP's answers, and in-line mode's destinations (seconds).
   */
  static final Duration[] ANSWER_BUCKETS = {Duration.ofNanos(100_000), Duration.ofNanos(250_000),
      Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofNanos(2_500_000),
      Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)};

  private static final Refusal[] REFUSALS = Refusal.values();

  private final Counter received;
  private final Counter[] finalsByClass = new Counter[7]; // index = status / 100
  private final Counter[] clearIpByStatus = new Counter[CLEARIP_STATUSES.length + 1];
  private final Counter[] failOpenByOutcome = new Counter[CallOutcome.values().length];
  private final Counter[] refusedByReason = new Counter[REFUSALS.length];
  private final Counter emergency;
  private final Counter rejected;
  private final Counter cancelled;
  private final Timer clearIpRtt;
  /** The same round trips, for JMX's percentiles over the last minute; never scraped. */
  private final Timer clearIpRttRecent;
  /** Answer time by outcome; null where not timed (emergency, rejected, cancelled). */
  private final Timer[] answerTimeByOutcome = new Timer[CallOutcome.values().length];
  private final OneMinuteRate rate = new OneMinuteRate();

  public CallMeters(MeterRegistry registry) {
    received = Counter.builder("clearip.calls.received")
        .description("INVITEs that started a call (refused ones included)").register(registry);
    for (int c = 1; c <= 6; c++) {
      finalsByClass[c] = Counter.builder("clearip.calls.finals")
          .description("Final answers sent to the switch, by status class, counted as they are "
              + "sent (the first final of each call; retransmissions not counted)")
          .tag("class", c + "xx").register(registry);
    }
    for (int i = 0; i <= CLEARIP_STATUSES.length; i++) {
      String status = i < CLEARIP_STATUSES.length ? Integer.toString(CLEARIP_STATUSES[i])
          : "other";
      clearIpByStatus[i] = Counter.builder("clearip.upstream.answers")
          .description("Final answers from ClearIP, by status (302, 403, 503, 603, other), "
              + "counted as they arrive")
          .tag("status", status).register(registry);
    }
    failOpenByOutcome[CallOutcome.FAIL_OPEN_TIMEOUT.ordinal()] = failOpen(registry, "timeout");
    failOpenByOutcome[CallOutcome.FAIL_OPEN_UNAVAILABLE.ordinal()] =
        failOpen(registry, "unavailable");
    failOpenByOutcome[CallOutcome.FAIL_OPEN_QUEUE_FULL.ordinal()] =
        failOpen(registry, "queue-full");
    failOpenByOutcome[CallOutcome.FAIL_OPEN_OVERLOAD.ordinal()] = failOpen(registry, "overload");
    for (Refusal r : REFUSALS) {
      refusedByReason[r.ordinal()] = Counter.builder("clearip.calls.refused")
          .description("New INVITEs answered 503 at once, before any call started, by reason: "
              + "draining, warming-up, calls-in-flight (calls.max-in-flight reached), overload "
              + "(overload control); also counted in clearip_calls_fail_open_total{cause="
              + "\"overload\"}")
          .tag("reason", r.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
          .register(registry);
    }
    emergency = Counter.builder("clearip.calls.emergency.bypass")
        .description("Emergency calls answered 503 at once, never sent to ClearIP")
        .register(registry);
    rejected = Counter.builder("clearip.calls.rejected")
        .description("INVITEs refused by the RFC 3261 16.3 checks").register(registry);
    cancelled = Counter.builder("clearip.calls.cancelled")
        .description("Calls the switch cancelled (487)").register(registry);
    clearIpRtt = Timer.builder("clearip.upstream.rtt")
        .description("ClearIP's round trip: from sending an INVITE to ClearIP to its final "
            + "answer (late answers, after the proxy's own 503, included)")
        .serviceLevelObjectives(RTT_BUCKETS)
        .register(registry);
    clearIpRttRecent = Timer.builder("clearip.upstream.rtt.recent")
        .publishPercentiles(0.5, 0.99)
        .distributionStatisticExpiry(Duration.ofMinutes(1))
        .distributionStatisticBufferLength(3)
        .register(new SimpleMeterRegistry());
    Timer screened = answerTime(registry, "screened");
    Timer failOpen = answerTime(registry, "fail-open");
    answerTimeByOutcome[CallOutcome.RELAYED.ordinal()] = screened;
    answerTimeByOutcome[CallOutcome.ANSWERED.ordinal()] = screened;
    answerTimeByOutcome[CallOutcome.DESTINATIONS_FAILED.ordinal()] = screened;
    answerTimeByOutcome[CallOutcome.FAIL_OPEN_TIMEOUT.ordinal()] = failOpen;
    answerTimeByOutcome[CallOutcome.FAIL_OPEN_UNAVAILABLE.ordinal()] = failOpen;
    answerTimeByOutcome[CallOutcome.FAIL_OPEN_QUEUE_FULL.ordinal()] = failOpen;
    answerTimeByOutcome[CallOutcome.FAIL_OPEN_OVERLOAD.ordinal()] = answerTime(registry, "refused");
    Gauge.builder("clearip.calls.rate", this, m -> m.rate.perSecond())
        .description("Calls received per second, exponentially weighted over about one minute")
        .register(registry);
  }

  private static Duration[] millis(long... ms) {
    Duration[] d = new Duration[ms.length];
    for (int i = 0; i < ms.length; i++) d[i] = Duration.ofMillis(ms[i]);
    return d;
  }

  /**
   * How long the switch waited for its answer, from the decoded INVITE to the first final sent
   * (ClearIP's time, and the destinations' in in-line mode, included), as a Prometheus histogram
   * with {@link #ANSWER_BUCKETS}: {@code histogram_quantile} gives its percentiles, over nodes
   * too, and any interval's from two scrapes.
   */
  private static Timer answerTime(MeterRegistry registry, String path) {
    return Timer.builder("clearip.calls.answer.time")
        .description("Time from an INVITE's arrival to the final answer sent to the switch; "
            + "path: screened (ClearIP's answer, in-line: the destinations'), fail-open (the "
            + "proxy's 503 when ClearIP fails), refused (the proxy's 503 to a new INVITE: "
            + "overload, draining, warming up)")
        .tag("path", path)
        .serviceLevelObjectives(ANSWER_BUCKETS)
        .register(registry);
  }

  private static Counter failOpen(MeterRegistry registry, String cause) {
    return Counter.builder("clearip.calls.fail.open")
        .description("Calls answered 503 by the proxy itself so the switch route-advances, by "
            + "cause: timeout, unavailable, queue-full, overload (the refusals, draining "
            + "included)")
        .tag("cause", cause).register(registry);
  }

  @Override
  public void callStarted() {
    received.increment();
    rate.mark();
  }

  @Override
  public void refused(Refusal reason) {
    refusedByReason[reason.ordinal()].increment();
  }

  @Override
  public void finalSent(CallOutcome outcome, int finalStatus, long answerNanos) {
    int cls = finalStatus / 100;
    if (cls >= 1 && cls <= 6) finalsByClass[cls].increment();
    Timer answerTime = answerTimeByOutcome[outcome.ordinal()];
    if (answerTime != null && answerNanos >= 0) {
      answerTime.record(answerNanos, TimeUnit.NANOSECONDS);
    }
    Counter failOpen = failOpenByOutcome[outcome.ordinal()];
    if (failOpen != null) {
      failOpen.increment();
    } else if (outcome == CallOutcome.EMERGENCY_BYPASS) {
      emergency.increment();
    } else if (outcome == CallOutcome.REJECTED) {
      rejected.increment();
    } else if (outcome == CallOutcome.CANCELLED) {
      cancelled.increment();
    }
  }

  @Override
  public void clearIpAnswered(int status, long rttNanos) {
    clearIpByStatus[clearIpIndex(status)].increment();
    if (rttNanos >= 0) {
      clearIpRtt.record(rttNanos, TimeUnit.NANOSECONDS);
      clearIpRttRecent.record(rttNanos, TimeUnit.NANOSECONDS);
    }
  }

  private static int clearIpIndex(int status) {
    for (int i = 0; i < CLEARIP_STATUSES.length; i++) {
      if (CLEARIP_STATUSES[i] == status) return i;
    }
    return CLEARIP_STATUSES.length;
  }

  // ---- read side, for JMX ----

  public long received() {
    return (long) received.count();
  }

  /** Finals sent to the switch with status {@code cls}xx. */
  public long finals(int cls) {
    return cls >= 1 && cls <= 6 ? (long) finalsByClass[cls].count() : 0;
  }

  /** ClearIP answers with this status (302, 403, 503, 603), or any other when 0. */
  public long clearIpAnswers(int status) {
    int i = status == 0 ? CLEARIP_STATUSES.length : clearIpIndex(status);
    return (long) clearIpByStatus[i].count();
  }

  public long failOpen(CallOutcome cause) {
    Counter c = failOpenByOutcome[cause.ordinal()];
    return c == null ? 0 : (long) c.count();
  }

  /** New INVITEs refused at once for this reason. */
  public long refusals(Refusal reason) {
    return (long) refusedByReason[reason.ordinal()].count();
  }

  public long emergencyBypasses() {
    return (long) emergency.count();
  }

  public long rejected() {
    return (long) rejected.count();
  }

  public long cancelled() {
    return (long) cancelled.count();
  }

  public double callsPerSecond() {
    return rate.perSecond();
  }

  /**
   * ClearIP round-trip percentile over about the last minute, in milliseconds (0.5 or 0.99), NaN
   * before any sample.
   */
  public double clearIpRttMillis(double percentile) {
    for (var v : clearIpRttRecent.takeSnapshot().percentileValues()) {
      if (Math.abs(v.percentile() - percentile) < 1e-9) return v.value(TimeUnit.MILLISECONDS);
    }
    return Double.NaN;
  }
}
