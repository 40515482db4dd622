package clearip.proxy.streams.upstream;

import clearip.proxy.sip.uri.SipUri;
import clearip.proxy.streams.transport.Transport;
import java.time.Duration;

/**
 * Where ClearIP is and how the connections to it are kept.
 *
 * @param uri as configured, e.g. {@code sip:sip.clearip.com:5061;transport=tls}
 * @param transport TLS or TCP, from the URI's transport parameter (sips: means TLS)
 * @param host host name or address to resolve; also the TLS server name (SNI, verification)
 * @param connections parallel connections, to spread load over cores (default 1)
 * @param keepAliveInterval CRLF keep-alive period (RFC 5626), 0 = off
 * @param pingInterval OPTIONS health-check period, 0 = off
 * @param pingTimeout an OPTIONS unanswered this long recycles the connection
 * @param maxConsecutiveTimeouts this many calls in a row timing out with no response in between
 *     recycles the connection (it is wedged), 0 = off
 * @param drainTimeout how long a replaced connection may finish its calls before it is closed
 */
public record UpstreamSettings(String uri, Transport transport, String host, int port,
    int connections, UpstreamLinkSettings link, Duration keepAliveInterval,
    Duration pingInterval, Duration pingTimeout, int maxConsecutiveTimeouts,
    Duration backoffMin, Duration backoffMax, double backoffJitter, Duration drainTimeout) {

  public static final String DEFAULT_URI = "sip:sip.clearip.com:5061;transport=tls";

  public UpstreamSettings {
    if (transport != Transport.TLS && transport != Transport.TCP) {
      throw new IllegalArgumentException("ClearIP is reached over tls or tcp, not " + transport);
    }
    if (connections < 1) throw new IllegalArgumentException("connections must be at least 1");
  }

  /** Target parts from a SIP URI: transport parameter (default tls), host, port (5061/5060). */
  public static UpstreamSettings fromUri(String uri) {
    SipUri u = SipUri.parse(uri);
    if (u == null) throw new IllegalArgumentException("not a SIP URI: " + uri);
    String t = u.transport();
    Transport transport = t == null ? Transport.TLS : Transport.parse(t);
    if (transport == null || transport == Transport.UDP) {
      throw new IllegalArgumentException("upstream transport must be tls or tcp: " + uri);
    }
    int port = u.port() >= 0 ? u.port() : transport.defaultPort();
    return new UpstreamSettings(uri, transport, u.hostAddress(), port, 1,
        UpstreamLinkSettings.defaults(), Duration.ofSeconds(30), Duration.ofSeconds(30),
        Duration.ofSeconds(5), 5, Duration.ofMillis(200), Duration.ofSeconds(10), 0.2,
        Duration.ofSeconds(10));
  }

  public UpstreamSettings withTarget(String newUri) {
    UpstreamSettings t = fromUri(newUri);
    return new UpstreamSettings(newUri, t.transport, t.host, t.port, connections, link,
        keepAliveInterval, pingInterval, pingTimeout, maxConsecutiveTimeouts, backoffMin,
        backoffMax, backoffJitter, drainTimeout);
  }

  public UpstreamSettings withConnections(int n) {
    return new UpstreamSettings(uri, transport, host, port, n, link, keepAliveInterval,
        pingInterval, pingTimeout, maxConsecutiveTimeouts, backoffMin, backoffMax, backoffJitter,
        drainTimeout);
  }

  public UpstreamSettings withTimers(Duration keepAlive, Duration ping, Duration pingTimeout) {
    return new UpstreamSettings(uri, transport, host, port, connections, link, keepAlive, ping,
        pingTimeout, maxConsecutiveTimeouts, backoffMin, backoffMax, backoffJitter, drainTimeout);
  }

  public UpstreamSettings withLink(UpstreamLinkSettings l) {
    return new UpstreamSettings(uri, transport, host, port, connections, l, keepAliveInterval,
        pingInterval, pingTimeout, maxConsecutiveTimeouts, backoffMin, backoffMax, backoffJitter,
        drainTimeout);
  }

  public UpstreamSettings withBackoff(Duration min, Duration max, double jitter) {
    return new UpstreamSettings(uri, transport, host, port, connections, link, keepAliveInterval,
        pingInterval, pingTimeout, maxConsecutiveTimeouts, min, max, jitter, drainTimeout);
  }

  public UpstreamSettings withMaxConsecutiveTimeouts(int n) {
    return new UpstreamSettings(uri, transport, host, port, connections, link, keepAliveInterval,
        pingInterval, pingTimeout, n, backoffMin, backoffMax, backoffJitter, drainTimeout);
  }
}
