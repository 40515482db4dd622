package clearip.proxy.ops.config;

import java.time.Duration;

/**
 * The admin HTTP endpoint's limits.
 *
 * @param requestTimeout the longest a connection may take to send its request and read the
 *     answer
 * @param maxConnections open connections at most; past it the oldest is closed
 */
public record AdminSettings(Duration requestTimeout, int maxConnections) {
  public AdminSettings {
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout must be > 0");
    }
    if (maxConnections < 1) throw new IllegalArgumentException("maxConnections must be >= 1");
  }

  public static AdminSettings defaults() {
    return new AdminSettings(Duration.ofSeconds(5), 128);
  }
}
