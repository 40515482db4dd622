package clearip.proxy.ops.jmx;

import clearip.proxy.actors.upstream.UpstreamConnection;

/**
 * What the {@code Proxy} and {@code Upstream} MXBeans read and operate beyond the meters: the
 * operator's actions and the proxy's state. Implemented by the operations (admin), so JMX is one
 * channel to them among others and knows nothing of the server.
 */
public interface ProxyControl {

  /** {@code tls-proxy} or {@code inline}. */
  String mode();

  int callsInFlight();

  int callsAwaitingAnswer();

  String upstreamUri();

  boolean isDraining();

  /** Null when ready to take calls; otherwise why not. */
  String notReadyReason();

  /** The upstream connection's status, at most about a second old. */
  UpstreamConnection.Status upstreamStatus();

  String drain();

  String setUpstreamTransport(String transport);

  String setUpstreamUri(String uri);

  String reloadConfiguration();

  /** The allow-list in force, comma-separated CIDRs. */
  String accessAllow();

  /** The emergency numbers in force, comma-separated. */
  String emergencyNumbers();

  String setAccessAllow(String cidrs);

  String setEmergencyNumbers(String numbers);
}
