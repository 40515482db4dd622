package clearip.proxy.ops.jmx;

/**
 * {@code clearip.proxy:type=Proxy}: the call counters since start, the load now, and the
 * operations an operator runs on a live proxy. Operations return a one-line result for the
 * console; a bad argument is refused with an IllegalArgumentException.
 */
public interface ProxyMXBean {
  /** tls-proxy or inline. */
  String getMode();

  long getCallsReceived();

  long getCallsInFlight();

  /** Calls per second, exponentially weighted over about one minute. */
  double getCallsPerSecond();

  long getFinals1xx();

  long getFinals2xx();

  long getFinals3xx();

  long getFinals4xx();

  long getFinals5xx();

  long getFinals6xx();

  long getClearIp302();

  long getClearIp403();

  long getClearIp503();

  long getClearIp603();

  long getClearIpOther();

  long getFailOpenTimeout();

  long getFailOpenUnavailable();

  long getFailOpenQueueFull();

  long getFailOpenOverload();

  long getEmergencyBypasses();

  long getRejected();

  long getCancelled();

  long getDroppedSources();

  long getMalformed();

  /** ClearIP round trip, median over the last minute, in ms (NaN before any answer). */
  double getClearIpRttP50Millis();

  /** ClearIP round trip, 99th percentile over the last minute, in ms. */
  double getClearIpRttP99Millis();

  /** The ClearIP URI calls are sent to now. */
  String getUpstreamUri();

  boolean isDraining();

  /** Empty when ready; otherwise why /ready answers 503. */
  String getNotReadyReason();

  /** New INVITEs are answered 503 from now on; calls in flight go on. Not reversible. */
  String drain();

  /** Switches the ClearIP connection to tls or tcp (the default port follows the transport). */
  String setUpstreamTransport(String transport);

  /** Switches the ClearIP connection to another URI; calls in flight finish on the old one. */
  String setUpstreamUri(String uri);

  /** Re-reads the configuration file; a file with any problem is rejected whole. */
  String reloadConfiguration();

  /** Traces every SIP message for {@code seconds}, 0 until {@link #stopTrace()}. */
  String startTrace(int seconds);

  String stopTrace();
}
