package clearip.proxy.ops.metrics;

import clearip.proxy.actors.call.CallMetrics;
import clearip.proxy.actors.call.txn.CallOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@link CallMetrics} on Micrometer meters, all created up front so a call only increments:
 * calls received, finals by class, ClearIP answers by status, fail-open by cause, emergency
 * bypasses, rejected and cancelled calls, the ClearIP round-trip timer, the time each INVITE
 * waited for its final answer and the one-minute call rate. No tag carries a per-call value.
 */
public final class CallMeters implements CallMetrics {
  /** ClearIP statuses counted on their own; any other is counted as "other". */
  static final int[] CLEARIP_STATUSES = {302, 403, 503, 603};

  private final Counter received;
  private final Counter[] finalsByClass = new Counter[7]; // index = status / 100
  private final Counter[] clearIpByStatus = new Counter[CLEARIP_STATUSES.length + 1];
  private final Counter[] failOpenByOutcome = new Counter[CallOutcome.values().length];
  private final Counter emergency;
  private final Counter rejected;
  private final Counter cancelled;
  private final Timer clearIpRtt;
  /** Answer time by outcome; null where not timed (emergency, rejected, cancelled). */
  private final Timer[] answerTimeByOutcome = new Timer[CallOutcome.values().length];
  private final OneMinuteRate rate = new OneMinuteRate();

  public CallMeters(MeterRegistry registry) {
    received = Counter.builder("clearip.calls.received")
        .description("INVITEs that started a call").register(registry);
    for (int c = 1; c <= 6; c++) {
      finalsByClass[c] = Counter.builder("clearip.calls.finals")
          .description("Final answers sent to the switch, by status class")
          .tag("class", c + "xx").register(registry);
    }
    for (int i = 0; i <= CLEARIP_STATUSES.length; i++) {
      String status = i < CLEARIP_STATUSES.length ? Integer.toString(CLEARIP_STATUSES[i])
          : "other";
      clearIpByStatus[i] = Counter.builder("clearip.upstream.answers")
          .description("Final answers from ClearIP, by status").tag("status", status)
          .register(registry);
    }
    failOpenByOutcome[CallOutcome.FAIL_OPEN_TIMEOUT.ordinal()] = failOpen(registry, "timeout");
    failOpenByOutcome[CallOutcome.FAIL_OPEN_UNAVAILABLE.ordinal()] =
        failOpen(registry, "unavailable");
    failOpenByOutcome[CallOutcome.FAIL_OPEN_QUEUE_FULL.ordinal()] =
        failOpen(registry, "queue-full");
    failOpenByOutcome[CallOutcome.FAIL_OPEN_OVERLOAD.ordinal()] = failOpen(registry, "overload");
    emergency = Counter.builder("clearip.calls.emergency.bypass")
        .description("Emergency calls answered 503 at once, never sent to ClearIP")
        .register(registry);
    rejected = Counter.builder("clearip.calls.rejected")
        .description("INVITEs refused by the RFC 3261 16.3 checks").register(registry);
    cancelled = Counter.builder("clearip.calls.cancelled")
        .description("Calls the switch cancelled (487)").register(registry);
    clearIpRtt = Timer.builder("clearip.upstream.rtt")
        .description("Time from sending an INVITE to ClearIP to its final answer")
        .publishPercentiles(0.5, 0.99)
        .distributionStatisticExpiry(Duration.ofMinutes(1))
        .distributionStatisticBufferLength(3)
        .register(registry);
    Timer screened = answerTime(registry, "screened");
    Timer failOpen = answerTime(registry, "fail-open");
    answerTimeByOutcome[CallOutcome.RELAYED.ordinal()] = screened;
    answerTimeByOutcome[CallOutcome.ANSWERED.ordinal()] = screened;
    answerTimeByOutcome[CallOutcome.DESTINATIONS_FAILED.ordinal()] = screened;
    answerTimeByOutcome[CallOutcome.FAIL_OPEN_TIMEOUT.ordinal()] = failOpen;
    answerTimeByOutcome[CallOutcome.FAIL_OPEN_UNAVAILABLE.ordinal()] = failOpen;
    answerTimeByOutcome[CallOutcome.FAIL_OPEN_QUEUE_FULL.ordinal()] = failOpen;
    answerTimeByOutcome[CallOutcome.FAIL_OPEN_OVERLOAD.ordinal()] = answerTime(registry, "refused");
    registry.gauge("clearip.calls.rate", this, m -> m.rate.perSecond());
  }

  /**
   * How long the switch waited for its answer, from the decoded INVITE to the first final sent
   * (ClearIP's time, and the destinations' in in-line mode, included), as a Prometheus histogram
   * with buckets from 50 µs to 10 s (at most a third apart): {@code histogram_quantile} gives
   * its percentiles, and any interval's from two scrapes (the load-test harness does).
   */
  private static Timer answerTime(MeterRegistry registry, String path) {
    return Timer.builder("clearip.calls.answer.time")
        .description("Time from an INVITE's arrival to the final answer sent to the switch; "
            + "path: screened (ClearIP's answer, in-line: the destinations'), fail-open (the "
            + "proxy's 503 when ClearIP fails), refused (the overload control's 503)")
        .tag("path", path)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1).dividedBy(20))
        .maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry);
  }

  private static Counter failOpen(MeterRegistry registry, String cause) {
    return Counter.builder("clearip.calls.fail.open")
        .description("Calls answered 503 by the proxy itself so the switch route-advances")
        .tag("cause", cause).register(registry);
  }

  @Override
  public void callStarted() {
    received.increment();
    rate.mark();
  }

  @Override
  public void callEnded(CallOutcome outcome, int finalStatus, int clearIpStatus,
      long clearIpRttNanos, long answerNanos) {
    int cls = finalStatus / 100;
    if (cls >= 1 && cls <= 6) finalsByClass[cls].increment();
    if (clearIpStatus > 0) clearIpByStatus[clearIpIndex(clearIpStatus)].increment();
    if (clearIpRttNanos >= 0) clearIpRtt.record(clearIpRttNanos, TimeUnit.NANOSECONDS);
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

  /** ClearIP round-trip percentile in milliseconds (0.5 or 0.99), NaN before any sample. */
  public double clearIpRttMillis(double percentile) {
    for (var v : clearIpRtt.takeSnapshot().percentileValues()) {
      if (Math.abs(v.percentile() - percentile) < 1e-9) return v.value(TimeUnit.MILLISECONDS);
    }
    return Double.NaN;
  }
}
