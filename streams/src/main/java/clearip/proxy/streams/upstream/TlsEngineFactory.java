package clearip.proxy.streams.upstream;

import javax.net.ssl.SSLEngine;

/** Creates a client SSLEngine for one connection to a peer (SNI and hostname check set up). */
@FunctionalInterface
public interface TlsEngineFactory {
  SSLEngine create(String peerHost, int peerPort);
}
