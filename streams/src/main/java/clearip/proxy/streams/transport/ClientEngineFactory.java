package clearip.proxy.streams.transport;

import javax.net.ssl.SSLEngine;

/**
 * Creates client-mode SSL engines for outbound TLS connections (ClearIP's, destinations'), one per
 * connection, with SNI and hostname verification set up for {@code peerHost}. Must not block.
 */
@FunctionalInterface
public interface ClientEngineFactory {

  /**
   * @param peerHost the server name to send in SNI and to verify the certificate against (ClearIP's
   *     host, a {@link Sender} server name, or the destination address when none was given)
   */
  SSLEngine newEngine(String peerHost, int peerPort);
}
