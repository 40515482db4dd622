package clearip.proxy.streams.tls;

import java.net.IDN;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * Owns the built {@link SSLContext} for outgoing connections and makes one client-mode {@link
 * SSLEngine} per connection: TLS 1.3/1.2, strong suites, SNI for DNS names, and the peer's
 * certificate checked against the dialled host (DNS or IP SAN) unless switched off. Thread-safe.
 */
public final class ClientEngines {
  private final SSLContext context;
  private final List<String> cipherSuites;
  private final boolean verifyHostname;

  ClientEngines(SSLContext context, List<String> cipherSuites, boolean verifyHostname) {
    this.context = context;
    this.cipherSuites = List.copyOf(cipherSuites);
    this.verifyHostname = verifyHostname;
  }

  /**
   * A fresh client-mode engine for a connection to {@code peerHost} (DNS name or IP literal, IPv6
   * with or without brackets); the host is what the certificate must name, and the host and port
   * key TLS session resumption.
   */
  public SSLEngine newEngine(String peerHost, int peerPort) {
    String host = normalizeHost(peerHost);
    SSLEngine engine = context.createSSLEngine(host, peerPort);
    engine.setUseClientMode(true);
    engine.setSSLParameters(sslParameters(host));
    return engine;
  }

  /**
   * {@link #newEngine} for a fixed peer, in the shape {@code Tcp.outgoingConnectionWithTls} takes.
   */
  public Supplier<SSLEngine> engineSupplier(String peerHost, int peerPort) {
    return () -> newEngine(peerHost, peerPort);
  }

  /**
   * The parameters {@link #newEngine} applies for {@code peerHost}, for use with the context's
   * sockets (tests, tools); the socket must be created with the same host.
   */
  public SSLParameters sslParameters(String peerHost) {
    String host = normalizeHost(peerHost);
    SSLParameters p = new SSLParameters();
    p.setProtocols(TlsContexts.PROTOCOLS.toArray(new String[0]));
    p.setCipherSuites(cipherSuites.toArray(new String[0]));
    // "HTTPS" is RFC 2818/6125 matching: DNS SANs with wildcards, IP SANs for IP literals.
    p.setEndpointIdentificationAlgorithm(verifyHostname ? "HTTPS" : null);
    p.setServerNames(serverNames(host));
    return p;
  }

  /** The built context, shared by all engines. */
  public SSLContext sslContext() {
    return context;
  }

  public boolean verifiesHostname() {
    return verifyHostname;
  }

  /** Strips IPv6 brackets and a DNS root dot, which certificates and SNI never carry. */
  static String normalizeHost(String peerHost) {
    String host = peerHost.strip();
    if (host.startsWith("[") && host.endsWith("]")) {
      return host.substring(1, host.length() - 1);
    }
    if (host.endsWith(".") && !isIpLiteral(host.substring(0, host.length() - 1))) {
      return host.substring(0, host.length() - 1);
    }
    return host;
  }

  /**
   * SNI only carries DNS names (RFC 6066 section 3); an empty list also stops the JDK adding one.
   */
  static List<SNIServerName> serverNames(String host) {
    if (host.isEmpty() || isIpLiteral(host)) {
      return List.of();
    }
    try {
      return List.of(new SNIHostName(IDN.toASCII(host, IDN.USE_STD3_ASCII_RULES)));
    } catch (IllegalArgumentException e) {
      // Not a valid DNS name (e.g. an underscore); better no SNI than a failed connection here.
      return List.of();
    }
  }

  /** IPv4 dotted quad or IPv6 literal, decided without any name lookup. */
  static boolean isIpLiteral(String host) {
    if (host.indexOf(':') >= 0) {
      return true; // DNS names never contain ':'; IPv6 (with optional %zone) always does.
    }
    String[] parts = host.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String part : parts) {
      if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
        return false;
      }
      if (Integer.parseInt(part) > 255) {
        return false;
      }
    }
    return true;
  }
}
