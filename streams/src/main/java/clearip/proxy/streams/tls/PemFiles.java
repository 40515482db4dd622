package clearip.proxy.streams.tls;

import clearip.proxy.streams.tls.Der.DerException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Owns reading TLS material from PEM files: certificate chains, unencrypted private keys (PKCS#8,
 * PKCS#1 RSA, SEC1 EC) and CA bundles, with errors that name the file and what is wrong in it.
 */
public final class PemFiles {
  static final String CERTIFICATE = "CERTIFICATE";
  static final String PKCS8_KEY = "PRIVATE KEY";
  static final String PKCS1_RSA_KEY = "RSA PRIVATE KEY";
  static final String SEC1_EC_KEY = "EC PRIVATE KEY";
  static final String ENCRYPTED_KEY = "ENCRYPTED PRIVATE KEY";

  /**
   * Key algorithms a PKCS#8 file may carry, by OID, named for messages; only RSA and EC are used.
   */
  private static final Map<String, String> KEY_ALGORITHMS =
      Map.of(
          "1.2.840.113549.1.1.1", "RSA",
          "1.2.840.10045.2.1", "EC",
          "1.2.840.113549.1.1.10", "RSASSA-PSS",
          "1.2.840.10040.4.1", "DSA",
          "1.2.840.113549.1.3.1", "DH",
          "1.3.101.110", "X25519",
          "1.3.101.111", "X448",
          "1.3.101.112", "Ed25519",
          "1.3.101.113", "Ed448");

  private PemFiles() {}

  /**
   * Reads every {@code CERTIFICATE} block of {@code file}, in file order (for a chain: the leaf
   * first, then the certificates that issued it). Other blocks are ignored.
   */
  public static List<X509Certificate> readCertificates(Path file) throws TlsMaterialException {
    List<Pem.Block> blocks = Pem.read(file);
    CertificateFactory factory = certificateFactory();
    List<X509Certificate> certificates = new ArrayList<>();
    for (Pem.Block block : blocks) {
      if (!block.label().equals(CERTIFICATE)) {
        continue;
      }
      try {
        certificates.add(
            (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der())));
      } catch (CertificateException e) {
        throw new TlsMaterialException(
            file, block.describe() + " is not a valid X.509 certificate: " + e.getMessage(), e);
      }
    }
    if (certificates.isEmpty()) {
      throw new TlsMaterialException(
          file,
          "no certificate found (found "
              + Pem.labels(blocks)
              + "); expected a -----BEGIN CERTIFICATE----- block");
    }
    return List.copyOf(certificates);
  }

  /**
   * Reads the one unencrypted private key in {@code file}: {@code PRIVATE KEY} (PKCS#8), {@code RSA
   * PRIVATE KEY} (PKCS#1) or {@code EC PRIVATE KEY} (SEC1, named curve). Key types: RSA and EC.
   */
  public static PrivateKey readPrivateKey(Path file) throws TlsMaterialException {
    List<Pem.Block> blocks = Pem.read(file);
    List<Pem.Block> keys =
        blocks.stream().filter(block -> block.label().endsWith("PRIVATE KEY")).toList();
    if (keys.isEmpty()) {
      throw new TlsMaterialException(
          file,
          "no private key found (found "
              + Pem.labels(blocks)
              + "); expected a PEM block "
              + PKCS8_KEY
              + ", "
              + PKCS1_RSA_KEY
              + " or "
              + SEC1_EC_KEY);
    }
    if (keys.size() > 1) {
      throw new TlsMaterialException(
          file, "contains " + keys.size() + " private keys; expected exactly one");
    }
    Pem.Block block = keys.get(0);
    if (block.label().equals(ENCRYPTED_KEY) || block.encrypted()) {
      throw new TlsMaterialException(
          file,
          "private key is encrypted (passphrase-protected), which is not supported; store it"
              + " unencrypted and readable only by the proxy (openssl pkey -in FILE -out NEWFILE)");
    }
    byte[] pkcs8;
    try {
      pkcs8 =
          switch (block.label()) {
            case PKCS8_KEY -> block.der();
            case PKCS1_RSA_KEY -> Der.pkcs1RsaToPkcs8(block.der());
            case SEC1_EC_KEY -> Der.sec1EcToPkcs8(block.der());
            default ->
                throw new TlsMaterialException(
                    file,
                    "unsupported key type: PEM block "
                        + block.label()
                        + " (supported: "
                        + PKCS8_KEY
                        + ", "
                        + PKCS1_RSA_KEY
                        + ", "
                        + SEC1_EC_KEY
                        + ")");
          };
    } catch (DerException e) {
      throw new TlsMaterialException(file, "malformed " + block.describe() + ": " + e.getMessage());
    }
    String algorithm = keyAlgorithm(file, block, pkcs8);
    try {
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (InvalidKeySpecException e) {
      throw new TlsMaterialException(
          file,
          "malformed " + algorithm + " key in " + block.describe() + ": " + e.getMessage(),
          e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JDK lacks the " + algorithm + " key factory", e);
    }
  }

  /**
   * Reads every certificate of a CA bundle into an in-memory trust store; each one is a trust
   * anchor.
   */
  public static KeyStore readTrustStore(Path caBundle) throws TlsMaterialException {
    List<X509Certificate> certificates = readCertificates(caBundle);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      for (int i = 0; i < certificates.size(); i++) {
        store.setCertificateEntry("ca-" + (i + 1), certificates.get(i));
      }
      return store;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot create an in-memory PKCS12 key store", e);
    }
  }

  /**
   * Reads a certificate chain and its private key, and checks that the key belongs to the first
   * (leaf) certificate.
   */
  public static TlsIdentity readIdentity(Path certificateChain, Path privateKey)
      throws TlsMaterialException {
    List<X509Certificate> chain = readCertificates(certificateChain);
    PrivateKey key = readPrivateKey(privateKey);
    X509Certificate leaf = chain.get(0);
    if (!key.getAlgorithm().equals(leaf.getPublicKey().getAlgorithm())) {
      throw new TlsMaterialException(
          privateKey,
          "private key is "
              + key.getAlgorithm()
              + " but the first certificate in "
              + certificateChain
              + " ("
              + leaf.getSubjectX500Principal().getName()
              + ") has an "
              + leaf.getPublicKey().getAlgorithm()
              + " public key");
    }
    if (!belongTogether(key, leaf.getPublicKey())) {
      for (int i = 1; i < chain.size(); i++) {
        if (belongTogether(key, chain.get(i).getPublicKey())) {
          throw new TlsMaterialException(
              privateKey,
              "private key matches certificate "
                  + (i + 1)
                  + " in "
                  + certificateChain
                  + " ("
                  + chain.get(i).getSubjectX500Principal().getName()
                  + "), not the first; the leaf certificate must come first");
        }
      }
      throw new TlsMaterialException(
          privateKey,
          "private key does not match the first certificate in "
              + certificateChain
              + " ("
              + leaf.getSubjectX500Principal().getName()
              + ")");
    }
    return new TlsIdentity(chain, key);
  }

  /** Whether {@code key} is the private half of {@code publicKey}. */
  static boolean belongTogether(PrivateKey key, PublicKey publicKey) {
    if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
      return false;
    }
    if (key instanceof RSAKey rsa && publicKey instanceof RSAPublicKey rsaPublic) {
      boolean sameExponent =
          !(key instanceof RSAPrivateCrtKey crt)
              || crt.getPublicExponent().equals(rsaPublic.getPublicExponent());
      return sameExponent && rsa.getModulus().equals(rsaPublic.getModulus());
    }
    // No public point can be derived from an EC key through the JDK API: prove it by signing.
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance("SHA256withECDSA");
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance("SHA256withECDSA");
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      // A key on another curve cannot sign for this public key either.
      return false;
    }
  }

  private static String keyAlgorithm(Path file, Pem.Block block, byte[] pkcs8)
      throws TlsMaterialException {
    String oid;
    try {
      oid = Der.oidToString(Der.pkcs8AlgorithmOid(pkcs8));
    } catch (DerException e) {
      throw new TlsMaterialException(file, "malformed " + block.describe() + ": " + e.getMessage());
    }
    String name = KEY_ALGORITHMS.getOrDefault(oid, "with algorithm OID " + oid);
    if (!name.equals("RSA") && !name.equals("EC")) {
      throw new TlsMaterialException(
          file,
          "unsupported key type " + name + " in " + block.describe() + " (supported: RSA, EC)");
    }
    return name;
  }

  private static CertificateFactory certificateFactory() {
    try {
      return CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("JDK lacks the X.509 certificate factory", e);
    }
  }
}
