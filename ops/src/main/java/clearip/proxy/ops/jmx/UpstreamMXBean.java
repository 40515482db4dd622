package clearip.proxy.ops.jmx;

/**
 * {@code clearip.proxy:type=Upstream}: the connection to ClearIP, as its actor reports it (asked
 * at most about once a second).
 */
public interface UpstreamMXBean {
  String getUri();

  /** CONNECTED, DEGRADED (some connections up) or CONNECTING. */
  String getState();

  String getConnectedAddress();

  long getConnects();

  long getReconnects();

  String getLastError();

  int getQueueDepth();

  int getInFlight();

  /** Round trip of the last OPTIONS ping in µs, -1 before the first. */
  long getLastPingRttMicros();
}
