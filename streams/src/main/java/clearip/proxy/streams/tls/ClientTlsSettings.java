package clearip.proxy.streams.tls;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Owns how outgoing TLS connections authenticate: whom to trust (a CA bundle, or the JDK's default
 * trust store when absent), whether the peer's certificate must name the host we dialled, and an
 * optional client certificate for mutual TLS.
 */
public record ClientTlsSettings(
    Optional<Path> caBundle, boolean verifyHostname, Optional<PemIdentity> identity) {
  public ClientTlsSettings {
    Objects.requireNonNull(caBundle, "caBundle");
    Objects.requireNonNull(identity, "identity");
  }

  /** JDK default trust store, hostname verification on, no client certificate. */
  public static ClientTlsSettings defaults() {
    return new ClientTlsSettings(Optional.empty(), true, Optional.empty());
  }

  public ClientTlsSettings withCaBundle(Path caBundle) {
    return new ClientTlsSettings(Optional.of(caBundle), verifyHostname, identity);
  }

  public ClientTlsSettings withHostnameVerification(boolean verify) {
    return new ClientTlsSettings(caBundle, verify, identity);
  }

  public ClientTlsSettings withClientCertificate(Path certificateChain, Path privateKey) {
    return new ClientTlsSettings(
        caBundle, verifyHostname, Optional.of(new PemIdentity(certificateChain, privateKey)));
  }
}
