package clearip.proxy.streams.upstream;

import clearip.proxy.sip.codec.ParseLimits;
import java.time.Duration;

/**
 * How one connection to ClearIP behaves.
 *
 * @param queueSize bound of the outbound queue; past it, requests are refused at once (FULL)
 * @param connectTimeout TCP connect
 * @param handshakeTimeout TLS handshake, counted from the start of the connection attempt
 * @param idleTimeout close the connection when no byte moved either way for this long (0 = off);
 *     keep-alives count as traffic
 */
public record UpstreamLinkSettings(int queueSize, Duration connectTimeout,
    Duration handshakeTimeout, Duration idleTimeout, ParseLimits limits) {

  public static UpstreamLinkSettings defaults() {
    return new UpstreamLinkSettings(4096, Duration.ofSeconds(2), Duration.ofSeconds(3),
        Duration.ZERO, ParseLimits.DEFAULT);
  }
}
