package clearip.proxy.streams.tls;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Owns what a TLS listener needs: its identity and, for mutual TLS, the CA bundle that client
 * certificates must chain to (present means a client certificate is required).
 */
public record ServerTlsSettings(PemIdentity identity, Optional<Path> clientCaBundle) {
  public ServerTlsSettings {
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(clientCaBundle, "clientCaBundle");
  }

  /** A listener that does not ask clients for certificates. */
  public static ServerTlsSettings of(Path certificateChain, Path privateKey) {
    return new ServerTlsSettings(new PemIdentity(certificateChain, privateKey), Optional.empty());
  }

  /**
   * The same listener, requiring every client to present a certificate issued by a CA in the
   * bundle.
   */
  public ServerTlsSettings requireClientCertificates(Path caBundle) {
    return new ServerTlsSettings(identity, Optional.of(caBundle));
  }
}
