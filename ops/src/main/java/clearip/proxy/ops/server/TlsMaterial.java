package clearip.proxy.ops.server;

import clearip.proxy.streams.tls.ClientEngines;
import clearip.proxy.streams.tls.ServerEngines;
import javax.net.ssl.SSLEngine;

/**
 * The TLS certificates and keys in force, as engine factories the listeners and outbound
 * connections call for each new connection. A reload replaces them: connections opened after it
 * present the new certificate (or trust the new CA); established connections keep their engine
 * and are not dropped.
 */
final class TlsMaterial {
  private volatile ServerEngines server; // null: no TLS listener, and a reload cannot add one
  private volatile ClientEngines client;

  TlsMaterial(ServerEngines server, ClientEngines client) {
    this.server = server;
    this.client = client;
  }

  SSLEngine newServerEngine() {
    return server.newEngine();
  }

  SSLEngine newClientEngine(String peerHost, int peerPort) {
    return client.newEngine(peerHost, peerPort);
  }

  boolean hasListener() {
    return server != null;
  }

  /** From now on, new connections use these; {@code server} is ignored without a listener. */
  void replace(ServerEngines newServer, ClientEngines newClient) {
    if (server != null && newServer != null) server = newServer;
    client = newClient;
  }
}
