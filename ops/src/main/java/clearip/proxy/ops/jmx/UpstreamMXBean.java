package clearip.proxy.ops.jmx;

/**
 * {@code clearip.proxy:type=Upstream}: the connection to ClearIP, as its actor reports it (asked
 * at most about once a second).
 */
@Description("The connection to ClearIP (values up to a second old)")
public interface UpstreamMXBean {
  @Description("The ClearIP URI connected to")
  String getUri();

  @Description("CONNECTED, DEGRADED (some connections up) or CONNECTING")
  String getState();

  @Description("The address of ClearIP connected to now, empty when none")
  String getConnectedAddress();

  @Description("Connections established since start")
  long getConnects();

  @Description("Connections re-established after a loss since start")
  long getReconnects();

  @Description("Why the last connection attempt or connection failed, empty when none has")
  String getLastError();

  @Description("INVITEs queued for ClearIP, not yet written to the connection")
  int getQueueDepth();

  @Description("Requests sent to ClearIP still waiting for their final answer")
  int getInFlight();

  @Description("Round trip of the last OPTIONS ping, in µs; -1 before the first")
  long getLastPingRttMicros();
}
