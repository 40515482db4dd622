package clearip.proxy.streams.transport;

import java.time.Duration;

/**
 * How {@link Sender} opens and keeps outbound TCP/TLS connections.
 *
 * @param connectTimeout a TCP connect not established by then fails the pending sends
 * @param tlsHandshakeTimeout a TLS handshake not finished by then fails the pending sends
 * @param idleTimeout an outbound connection with no traffic either way for this long is closed
 * @param queueSize messages queued per outbound connection; past it a send fails at once
 * @param maxConnections outbound TCP/TLS connections open at once; a send that needs one more
 *     fails at once
 * @param unreachableWatch UDP sends are watched for ICMP port-unreachable ({@link
 *     PortUnreachableWatch}), at most {@code maxConnections} destinations at once
 */
public record SenderSettings(
    Duration connectTimeout,
    Duration tlsHandshakeTimeout,
    Duration idleTimeout,
    int queueSize,
    int maxConnections,
    boolean unreachableWatch) {

  public SenderSettings(Duration connectTimeout, Duration tlsHandshakeTimeout,
      Duration idleTimeout, int queueSize) {
    this(connectTimeout, tlsHandshakeTimeout, idleTimeout, queueSize, 1024, true);
  }

  public SenderSettings {
    ListenerSettings.positive(connectTimeout, "connectTimeout");
    ListenerSettings.positive(tlsHandshakeTimeout, "tlsHandshakeTimeout");
    ListenerSettings.positive(idleTimeout, "idleTimeout");
    if (queueSize <= 0) throw new IllegalArgumentException("queueSize must be > 0");
    if (maxConnections <= 0) throw new IllegalArgumentException("maxConnections must be > 0");
  }

  /**
   * 5 s connect, 5 s handshake (both within Timer B/F budgets), 2 min idle, 1024 queued, 1024
   * connections, UDP watched for port-unreachable.
   */
  public static SenderSettings defaults() {
    return new SenderSettings(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMinutes(2),
        1024, 1024, true);
  }

  public SenderSettings withMaxConnections(int n) {
    return new SenderSettings(connectTimeout, tlsHandshakeTimeout, idleTimeout, queueSize, n,
        unreachableWatch);
  }

  public SenderSettings withUnreachableWatch(boolean on) {
    return new SenderSettings(connectTimeout, tlsHandshakeTimeout, idleTimeout, queueSize,
        maxConnections, on);
  }
}
