package clearip.proxy.streams.tls;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Owns where a TLS identity lives on disk: a PEM certificate chain (leaf first) and the PEM private
 * key of its leaf.
 */
public record PemIdentity(Path certificateChain, Path privateKey) {
  public PemIdentity {
    Objects.requireNonNull(certificateChain, "certificateChain");
    Objects.requireNonNull(privateKey, "privateKey");
  }

  /** Loads and cross-checks both files; see {@link PemFiles#readIdentity(Path, Path)}. */
  public TlsIdentity load() throws TlsMaterialException {
    return PemFiles.readIdentity(certificateChain, privateKey);
  }
}
