package clearip.proxy.ops.config;

import java.time.Duration;

/**
 * How a freshly started proxy warms up before it takes calls (section {@code warmup}).
 *
 * @param enabled off: calls are taken as soon as the listeners are bound
 * @param minTime the warm-up runs at least this long
 * @param maxTime and at most this long, whether or not the JIT has gone quiet
 */
public record WarmUpSettings(boolean enabled, Duration minTime, Duration maxTime) {
  public WarmUpSettings {
    if (maxTime.compareTo(minTime) < 0) {
      throw new IllegalArgumentException("warmup.max-time must not be less than warmup.min-time");
    }
  }

  public static WarmUpSettings off() {
    return new WarmUpSettings(false, Duration.ZERO, Duration.ZERO);
  }
}
