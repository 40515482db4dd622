package clearip.proxy.ops.jmx;

/**
 * {@code clearip.proxy:type=Proxy}: the call counters since start, the load now, and the
 * operations an operator runs on a live proxy. Operations return a one-line result for the
 * console; a bad argument is refused with an IllegalArgumentException.
 */
@Description("The calls since start, the load now, and the operations on a live proxy")
public interface ProxyMXBean {
  @Description("tls-proxy or inline")
  String getMode();

  @Description("INVITEs that started a call since start")
  long getCallsReceived();

  @Description("Calls not yet over")
  long getCallsInFlight();

  @Description("Calls in flight whose switch has no final answer yet; a drain is done when this "
      + "is 0 (the other calls in flight only wait for the switch's ACK)")
  long getCallsAwaitingAnswer();

  @Description("Calls per second, exponentially weighted over about one minute")
  double getCallsPerSecond();

  @Description("Calls ended with a 1xx as their last status to the switch (should stay 0)")
  long getFinals1xx();

  @Description("Calls ended with a 2xx to the switch (in-line: a destination answered)")
  long getFinals2xx();

  @Description("Calls ended with a 3xx to the switch (tls-proxy: ClearIP's 302 relayed)")
  long getFinals3xx();

  @Description("Calls ended with a 4xx to the switch")
  long getFinals4xx();

  @Description("Calls ended with a 5xx to the switch (ClearIP's 503 and the proxy's own)")
  long getFinals5xx();

  @Description("Calls ended with a 6xx to the switch (e.g. ClearIP's 603, blocked)")
  long getFinals6xx();

  @Description("ClearIP answered 302: route to the Contacts")
  long getClearIp302();

  @Description("ClearIP answered 403: this proxy is not allow-listed at ClearIP")
  long getClearIp403();

  @Description("ClearIP answered 503: no action, the switch route-advances")
  long getClearIp503();

  @Description("ClearIP answered 603: block")
  long getClearIp603();

  @Description("ClearIP answered with any other final")
  long getClearIpOther();

  @Description("503 to the switch because ClearIP did not answer within upstream.timeout")
  long getFailOpenTimeout();

  @Description("503 to the switch because ClearIP was unreachable or its connection was lost")
  long getFailOpenUnavailable();

  @Description("503 to the switch because the queue to ClearIP was full")
  long getFailOpenQueueFull();

  @Description("503 to the switch because the proxy was overloaded, draining or warming up")
  long getFailOpenOverload();

  @Description("Emergency calls answered 503 at once, never screened")
  long getEmergencyBypasses();

  @Description("INVITEs refused by the RFC 3261 16.3 checks (416, 420, 482, 483)")
  long getRejected();

  @Description("Calls the switch cancelled (487)")
  long getCancelled();

  @Description("Messages dropped because their source is not on the allow-list")
  long getDroppedSources();

  @Description("Malformed messages (answered 400/413/513/505 or dropped)")
  long getMalformed();

  @Description("ClearIP round trip, median over the last minute, in ms (NaN before any answer)")
  double getClearIpRttP50Millis();

  @Description("ClearIP round trip, 99th percentile over the last minute, in ms")
  double getClearIpRttP99Millis();

  @Description("The ClearIP URI calls are sent to now")
  String getUpstreamUri();

  @Description("The sources allowed to send SIP now, comma-separated CIDRs (empty: loopback "
      + "only)")
  String getAccessAllow();

  @Description("The called numbers answered 503 at once, never screened, comma-separated")
  String getEmergencyNumbers();

  @Description("True once drain was asked: new INVITEs are answered 503")
  boolean isDraining();

  @Description("Empty when ready; otherwise why /ready answers 503")
  String getNotReadyReason();

  @Description("Answer new INVITEs 503 from now on; calls in flight go on. Not reversible")
  String drain();

  @Description("Switch the ClearIP connection to tls or tcp (the default port follows the "
      + "transport); calls in flight finish on the old connection")
  String setUpstreamTransport(@Description(name = "transport", value = "tls or tcp")
      String transport);

  @Description("Switch the ClearIP connection to another URI; calls in flight finish on the "
      + "old one")
  String setUpstreamUri(@Description(name = "uri",
      value = "e.g. sip:sip.clearip.com:5061;transport=tls") String uri);

  @Description("Replace the allow-list of sources (a fleet: on every node)")
  String setAccessAllow(@Description(name = "cidrs",
      value = "comma-separated CIDRs, e.g. 192.0.2.0/24,2001:db8::/32") String cidrs);

  @Description("Replace the emergency numbers, never screened (a fleet: on every node)")
  String setEmergencyNumbers(@Description(name = "numbers",
      value = "comma-separated numbers, e.g. 911,933,112") String numbers);

  @Description("Re-read the configuration file; a file with any problem is rejected whole")
  String reloadConfiguration();

  @Description("Trace every SIP message (pcap or HEP, as trace.* says)")
  String startTrace(@Description(name = "seconds",
      value = "how long to trace; 0 until stopTrace") int seconds);

  @Description("Stop the trace started by startTrace")
  String stopTrace();
}
