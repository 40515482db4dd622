package clearip.proxy.actors.call.txn;

import clearip.proxy.sip.uri.SipUri;
import clearip.proxy.streams.transport.Transport;

/**
 * Where one attempt of inline mode goes: transport, host (an address, or a name still to be
 * resolved) and port, from a Contact URI (RFC 3263 section 4 without NAPTR/SRV: explicit
 * transport parameter, sips ⇒ TLS, else UDP; explicit port or the transport's default).
 *
 * @param serverName the host as written, for TLS SNI and certificate verification
 * @param transportExplicit the URI named the transport ({@code transport=} or {@code sips:});
 *     false when UDP is only the default of RFC 3263
 */
public record Destination(Transport transport, String host, int port, String serverName,
    boolean transportExplicit) {

  public Destination(Transport transport, String host, int port, String serverName) {
    this(transport, host, port, serverName, true);
  }

  /** The destination of a SIP/SIPS URI, or null when its transport is not one we speak. */
  public static Destination of(SipUri uri) {
    Transport t;
    String param = uri.transport();
    if (uri.scheme().equals("sips")) {
      t = Transport.TLS;
    } else if (param == null) {
      t = Transport.UDP;
    } else {
      t = Transport.parse(param);
      if (t == null) return null;
    }
    int port = uri.port() >= 0 ? uri.port() : t.defaultPort();
    return new Destination(t, uri.hostAddress(), port, uri.hostAddress(),
        param != null || uri.scheme().equals("sips"));
  }

  /** The same host over another transport (a default port becomes that transport's default). */
  public Destination withTransport(Transport t) {
    return new Destination(t, host, port == transport.defaultPort() ? t.defaultPort() : port,
        serverName, transportExplicit);
  }

  /** True when the host is an IP literal (no DNS lookup needed). */
  public boolean isAddress() {
    return host.indexOf(':') >= 0 || host.matches("[0-9.]+");
  }

  @Override
  public String toString() {
    return transport.name().toLowerCase(java.util.Locale.ROOT) + ":"
        + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
