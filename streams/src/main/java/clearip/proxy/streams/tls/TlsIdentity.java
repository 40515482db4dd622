package clearip.proxy.streams.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * Owns a loaded certificate chain (leaf first) together with the private key of its leaf.
 *
 * @param chain the leaf certificate followed by the certificates that issued it; never empty
 * @param privateKey the private key of the leaf certificate
 */
public record TlsIdentity(List<X509Certificate> chain, PrivateKey privateKey) {
  public TlsIdentity {
    chain = List.copyOf(chain);
    Objects.requireNonNull(privateKey, "privateKey");
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("certificate chain is empty");
    }
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  /** Never prints key material. */
  @Override
  public String toString() {
    return "TlsIdentity["
        + leaf().getSubjectX500Principal().getName()
        + ", "
        + privateKey.getAlgorithm()
        + " key, chain of "
        + chain.size()
        + "]";
  }
}
