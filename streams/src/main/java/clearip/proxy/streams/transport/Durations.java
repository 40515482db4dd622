package clearip.proxy.streams.transport;

import java.time.Duration;

/**
 * Durations in log lines as operators write them in the configuration ({@code 250ms},
 * {@code 1.5s}, {@code 10m}): HOCON reads each back, where {@link Duration#toString()} would say
 * {@code PT1.5S}.
 */
public final class Durations {
  private Durations() {}

  /**
   * {@code 0s}; below a second in milliseconds ({@code 250ms}, {@code 12.5ms}, {@code 0.04ms});
   * below a minute, or not whole, in seconds to the millisecond ({@code 1.5s}, {@code 75.25s});
   * whole minutes, hours and days as such ({@code 10m}, {@code 2h}, {@code 1d}).
   */
  public static String text(Duration d) {
    if (d.isNegative()) return "-" + text(d.negated());
    long s = d.getSeconds();
    int n = d.getNano();
    if (s == 0 && n == 0) return "0s";
    if (s >= 60 && n == 0) {
      if (s % 86_400 == 0) return s / 86_400 + "d";
      if (s % 3_600 == 0) return s / 3_600 + "h";
      if (s % 60 == 0) return s / 60 + "m";
      return s + "s";
    }
    if (s >= 1) return decimal(s * 1000 + n / 1_000_000, 3) + "s";
    if (n >= 1_000_000) return decimal(n / 100_000, 1) + "ms";
    return decimal(n / 1000, 3) + "ms";
  }

  /** {@link #text(Duration)} of a count of nanoseconds. */
  public static String nanos(long nanos) {
    return text(Duration.ofNanos(nanos));
  }

  /** {@code units} tenths (places 1) or thousandths (places 3), trailing zeros dropped. */
  private static String decimal(long units, int places) {
    long scale = places == 1 ? 10 : 1000;
    long whole = units / scale;
    long fraction = units % scale;
    if (fraction == 0) return Long.toString(whole);
    StringBuilder f = new StringBuilder(Long.toString(fraction));
    while (f.length() < places) f.insert(0, '0');
    while (f.charAt(f.length() - 1) == '0') f.setLength(f.length() - 1);
    return whole + "." + f;
  }
}
