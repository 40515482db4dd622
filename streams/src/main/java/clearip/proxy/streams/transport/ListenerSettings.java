package clearip.proxy.streams.transport;

import clearip.proxy.sip.codec.ParseLimits;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Where and how the proxy listens for SIP. Each address list may hold several IPv4 and IPv6
 * addresses; an empty list disables that transport. Port 0 binds an ephemeral port (tests).
 *
 * @param udp UDP listening addresses (default 0.0.0.0:5060)
 * @param tcp TCP listening addresses (default 0.0.0.0:5060)
 * @param tls TLS listening addresses (default 0.0.0.0:5061); need a server engine factory
 * @param parseLimits bounds for the decoder and the stream framer
 * @param idleTimeout a TCP/TLS connection with no traffic either way for this long is closed
 * @param tlsHandshakeTimeout an inbound TLS connection not handshaken by then is closed
 * @param firstMessageTimeout an inbound connection that has not sent a whole SIP message by
 *     then is closed (it holds a slot of the connection limits for nothing)
 * @param messageTimeout a message begun on a connection must be complete within this, or the
 *     connection is closed (a sender trickling bytes holds the connection hostage)
 * @param maxConnections inbound TCP+TLS connections held at once over all listeners
 * @param maxConnectionsPerSource inbound TCP+TLS connections held at once per source IP
 * @param connectionQueueSize outbound messages queued per connection; a reply to a full queue
 *     fails ({@link Origin#reply} returns false) and is counted
 * @param udpReceiveBufferSize SO_RCVBUF for UDP sockets in bytes; 0 keeps the OS default
 * @param backlog TCP accept backlog
 * @param serverName host name put in Warning headers of stateless error responses
 */
public record ListenerSettings(
    List<InetSocketAddress> udp,
    List<InetSocketAddress> tcp,
    List<InetSocketAddress> tls,
    ParseLimits parseLimits,
    Duration idleTimeout,
    Duration tlsHandshakeTimeout,
    Duration firstMessageTimeout,
    Duration messageTimeout,
    int maxConnections,
    int maxConnectionsPerSource,
    int connectionQueueSize,
    int udpReceiveBufferSize,
    int backlog,
    String serverName) {

  public ListenerSettings {
    udp = List.copyOf(udp);
    tcp = List.copyOf(tcp);
    tls = List.copyOf(tls);
    Objects.requireNonNull(parseLimits, "parseLimits");
    positive(idleTimeout, "idleTimeout");
    positive(tlsHandshakeTimeout, "tlsHandshakeTimeout");
    positive(firstMessageTimeout, "firstMessageTimeout");
    positive(messageTimeout, "messageTimeout");
    if (maxConnections <= 0) throw new IllegalArgumentException("maxConnections must be > 0");
    if (maxConnectionsPerSource <= 0) {
      throw new IllegalArgumentException("maxConnectionsPerSource must be > 0");
    }
    if (connectionQueueSize <= 0) {
      throw new IllegalArgumentException("connectionQueueSize must be > 0");
    }
    if (udpReceiveBufferSize < 0) {
      throw new IllegalArgumentException("udpReceiveBufferSize must be >= 0");
    }
    if (backlog <= 0) throw new IllegalArgumentException("backlog must be > 0");
    if (serverName == null || serverName.isBlank()) {
      throw new IllegalArgumentException("serverName must not be blank");
    }
  }

  static void positive(Duration d, String name) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be a positive duration, was " + d);
    }
  }

  /** UDP and TCP on 0.0.0.0:5060, TLS on 0.0.0.0:5061, limits sized for a carrier edge. */
  public static ListenerSettings defaults() {
    return new ListenerSettings(
        List.of(new InetSocketAddress("0.0.0.0", 5060)),
        List.of(new InetSocketAddress("0.0.0.0", 5060)),
        List.of(new InetSocketAddress("0.0.0.0", 5061)),
        ParseLimits.DEFAULT,
        Duration.ofMinutes(10),
        Duration.ofSeconds(10),
        Duration.ofSeconds(10),
        Duration.ofSeconds(5),
        10_000,
        256,
        1024,
        0,
        1024,
        "clearip-proxy");
  }

  public ListenerSettings withAddresses(List<InetSocketAddress> udp, List<InetSocketAddress> tcp,
      List<InetSocketAddress> tls) {
    return new ListenerSettings(udp, tcp, tls, parseLimits, idleTimeout, tlsHandshakeTimeout,
        firstMessageTimeout, messageTimeout, maxConnections, maxConnectionsPerSource, connectionQueueSize, udpReceiveBufferSize,
        backlog, serverName);
  }

  public ListenerSettings withTimeouts(Duration idleTimeout, Duration tlsHandshakeTimeout) {
    return new ListenerSettings(udp, tcp, tls, parseLimits, idleTimeout, tlsHandshakeTimeout,
        firstMessageTimeout, messageTimeout, maxConnections, maxConnectionsPerSource, connectionQueueSize, udpReceiveBufferSize,
        backlog, serverName);
  }

  public ListenerSettings withMessageTimeouts(Duration firstMessage, Duration message) {
    return new ListenerSettings(udp, tcp, tls, parseLimits, idleTimeout, tlsHandshakeTimeout,
        firstMessage, message, maxConnections, maxConnectionsPerSource, connectionQueueSize,
        udpReceiveBufferSize, backlog, serverName);
  }

  public ListenerSettings withConnectionLimits(int maxConnections, int maxConnectionsPerSource) {
    return new ListenerSettings(udp, tcp, tls, parseLimits, idleTimeout, tlsHandshakeTimeout,
        firstMessageTimeout, messageTimeout, maxConnections, maxConnectionsPerSource, connectionQueueSize, udpReceiveBufferSize,
        backlog, serverName);
  }
}
