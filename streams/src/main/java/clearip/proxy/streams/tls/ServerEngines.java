package clearip.proxy.streams.tls;

import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * Owns a listener's built {@link SSLContext} and makes one server-mode {@link SSLEngine} per
 * accepted connection: TLS 1.3/1.2, strong suites, client certificate required when configured.
 * Thread-safe; pass {@code serverEngines::newEngine} to {@code Tcp.bindWithTls}.
 */
public final class ServerEngines {
  private final SSLContext context;
  private final List<String> cipherSuites;
  private final boolean requireClientCertificate;
  // Read-only after construction; setSSLParameters copies it into each engine.
  private final SSLParameters parameters;

  ServerEngines(SSLContext context, List<String> cipherSuites, boolean requireClientCertificate) {
    this.context = context;
    this.cipherSuites = List.copyOf(cipherSuites);
    this.requireClientCertificate = requireClientCertificate;
    this.parameters = sslParameters();
  }

  /** A fresh server-mode engine for one connection. */
  public SSLEngine newEngine() {
    SSLEngine engine = context.createSSLEngine();
    engine.setUseClientMode(false);
    engine.setSSLParameters(parameters);
    return engine;
  }

  /**
   * A new copy of the parameters every engine gets, for use with the context's sockets (tests,
   * tools).
   */
  public SSLParameters sslParameters() {
    SSLParameters p = new SSLParameters();
    p.setProtocols(TlsContexts.PROTOCOLS.toArray(new String[0]));
    p.setCipherSuites(cipherSuites.toArray(new String[0]));
    // Our order puts forward-secret AEAD suites first; do not let clients pick weaker ones.
    p.setUseCipherSuitesOrder(true);
    p.setNeedClientAuth(requireClientCertificate);
    return p;
  }

  /** The built context, shared by all engines of this listener. */
  public SSLContext sslContext() {
    return context;
  }

  public boolean requiresClientCertificate() {
    return requireClientCertificate;
  }
}
