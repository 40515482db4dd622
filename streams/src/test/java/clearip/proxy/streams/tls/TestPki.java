package clearip.proxy.streams.tls;

import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * Owns a throw-away test PKI in one directory: a CA and the leaf certificates it issues, all
 * written as PEM files the production loaders read.
 *
 * <p>Usage: {@code TestPki pki = TestPki.create(tempDir); TestPki.Leaf server = pki.issue("server",
 * KeyType.EC_P256, "localhost", "127.0.0.1", "::1");} then point settings at {@code
 * pki.caCertificate()}, {@code server.certificate()} and {@code server.privateKey()}. A second
 * {@code TestPki} in another directory is an untrusted CA. Modules using this from the streams
 * test-jar also need {@code org.bouncycastle:bcpkix-jdk18on} in test scope.
 */
public final class TestPki {
  /** Key algorithm of a generated key pair. */
  public enum KeyType {
    EC_P256("SHA256withECDSA"),
    RSA_2048("SHA256withRSA");

    private final String signatureAlgorithm;

    KeyType(String signatureAlgorithm) {
      this.signatureAlgorithm = signatureAlgorithm;
    }
  }

  /**
   * One issued certificate and its key, as objects and as PEM files.
   *
   * @param certificate PEM with the leaf certificate only
   * @param chain PEM with the leaf followed by the issuing CA certificate
   * @param privateKey PEM {@code PRIVATE KEY} (PKCS#8)
   * @param traditionalPrivateKey PEM {@code RSA PRIVATE KEY} (PKCS#1) or {@code EC PRIVATE KEY}
   *     (SEC1, named curve and public key included, as OpenSSL writes it)
   */
  public record Leaf(
      X509Certificate x509,
      PrivateKey key,
      Path certificate,
      Path chain,
      Path privateKey,
      Path traditionalPrivateKey) {}

  private static final Duration VALIDITY = Duration.ofDays(1);
  private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

  private final Path directory;
  private final String name;
  private final KeyPair caKeys;
  private final X509Certificate caX509;
  private final Path caCertificate;
  private final Path caKey;

  private TestPki(
      Path directory,
      String name,
      KeyPair caKeys,
      X509Certificate caX509,
      Path caCertificate,
      Path caKey) {
    this.directory = directory;
    this.name = name;
    this.caKeys = caKeys;
    this.caX509 = caX509;
    this.caCertificate = caCertificate;
    this.caKey = caKey;
  }

  /** A new CA (EC P-256, "CN=Test CA") whose files go into {@code directory}. */
  public static TestPki create(Path directory) {
    return create(directory, "Test CA");
  }

  /** A new CA named {@code CN=caName}; files are prefixed with a file-safe form of the name. */
  public static TestPki create(Path directory, String caName) {
    try {
      Files.createDirectories(directory);
      KeyPair keys = generate(KeyType.EC_P256);
      X500Name subject = new X500Name("CN=" + caName);
      Instant now = Instant.now();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              subject,
              nextSerial(),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(Duration.ofDays(30))),
              subject,
              keys.getPublic());
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          utils.createSubjectKeyIdentifier(keys.getPublic()));
      X509Certificate ca = sign(builder, keys.getPrivate(), KeyType.EC_P256);
      String prefix = fileName(caName);
      Path certificate = directory.resolve(prefix + ".crt");
      Path key = directory.resolve(prefix + ".key");
      writePem(certificate, ca);
      writePem(key, new JcaPKCS8Generator(keys.getPrivate(), null));
      return new TestPki(directory, caName, keys, ca, certificate, key);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot create test CA", e);
    }
  }

  /** The CA certificate PEM: a CA bundle with one certificate. */
  public Path caCertificate() {
    return caCertificate;
  }

  /** The CA private key PEM (PKCS#8). */
  public Path caKey() {
    return caKey;
  }

  public X509Certificate caX509() {
    return caX509;
  }

  public Path directory() {
    return directory;
  }

  /**
   * A leaf valid from an hour ago for a day, usable as server and client certificate, with {@code
   * CN=name} and subject alternative names {@code sans}: IP literals ("127.0.0.1", "::1") become IP
   * SANs, anything else DNS SANs. Files: {@code name.crt}, {@code name-chain.crt}, {@code
   * name.key}, {@code name-traditional.key}.
   */
  public Leaf issue(String name, KeyType type, String... sans) {
    Instant now = Instant.now();
    return issue(name, type, now.minus(Duration.ofHours(1)), now.plus(VALIDITY), sans);
  }

  /** Like {@link #issue} but valid only in the past: expired a day ago. */
  public Leaf issueExpired(String name, KeyType type, String... sans) {
    Instant now = Instant.now();
    return issue(name, type, now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)), sans);
  }

  /** Like {@link #issue} but with an explicit validity period. */
  public Leaf issue(
      String name, KeyType type, Instant notBefore, Instant notAfter, String... sans) {
    try {
      KeyPair keys = generate(type);
      X509v3CertificateBuilder builder =
          leafBuilder(
              new X500Name(caX509.getSubjectX500Principal().getName()),
              name,
              keys.getPublic(),
              notBefore,
              notAfter,
              type,
              sans);
      builder.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(caX509));
      X509Certificate leaf = sign(builder, caKeys.getPrivate(), KeyType.EC_P256);
      return write(directory, name, leaf, keys, caX509);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot issue test certificate " + name, e);
    }
  }

  /**
   * A self-signed leaf (not a CA) in {@code directory}, trusted by nobody; its chain file holds
   * just itself.
   */
  public static Leaf selfSigned(Path directory, String name, KeyType type, String... sans) {
    try {
      Files.createDirectories(directory);
      KeyPair keys = generate(type);
      Instant now = Instant.now();
      X509v3CertificateBuilder builder =
          leafBuilder(
              new X500Name("CN=" + name),
              name,
              keys.getPublic(),
              now.minus(Duration.ofHours(1)),
              now.plus(VALIDITY),
              type,
              sans);
      X509Certificate leaf = sign(builder, keys.getPrivate(), type);
      return write(directory, name, leaf, keys, null);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot create self-signed certificate " + name, e);
    }
  }

  @Override
  public String toString() {
    return "TestPki[" + name + " in " + directory + "]";
  }

  /** Writes {@code text} to {@code directory/fileName}, for hand-made broken PEM files. */
  public static Path writeFile(Path directory, String fileName, String text) {
    try {
      return Files.writeString(directory.resolve(fileName), text, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** PEM text of {@code type} with {@code der} as body, 64 base64 characters a line. */
  public static String pem(String type, byte[] der) {
    try (var out = new java.io.StringWriter();
        var writer = new JcaPEMWriter(out)) {
      writer.writeObject(new PemObject(type, der));
      writer.flush();
      return out.toString();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The SEC1 ECPrivateKey of {@code key} with curve and public key, as OpenSSL writes it. */
  public static byte[] sec1(ECPrivateKey key, PublicKey publicKey) {
    try {
      ASN1BitString point =
          SubjectPublicKeyInfo.getInstance(publicKey.getEncoded()).getPublicKeyData();
      return new org.bouncycastle.asn1.sec.ECPrivateKey(
              256, key.getS(), point, SECObjectIdentifiers.secp256r1)
          .getEncoded("DER");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The PKCS#1 RSAPrivateKey inside a PKCS#8 RSA key. */
  public static byte[] pkcs1(PrivateKey rsaKey) {
    try {
      ASN1Primitive inner =
          PrivateKeyInfo.getInstance(rsaKey.getEncoded()).parsePrivateKey().toASN1Primitive();
      return inner.getEncoded("DER");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509v3CertificateBuilder leafBuilder(
      X500Name issuer,
      String name,
      PublicKey publicKey,
      Instant notBefore,
      Instant notAfter,
      KeyType type,
      String... sans)
      throws IOException, GeneralSecurityException {
    X509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            issuer,
            nextSerial(),
            Date.from(notBefore),
            Date.from(notAfter),
            new X500Name("CN=" + name),
            publicKey);
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    int usage =
        type == KeyType.RSA_2048
            ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment
            : KeyUsage.digitalSignature;
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
    builder.addExtension(
        Extension.extendedKeyUsage,
        false,
        new ExtendedKeyUsage(
            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
    builder.addExtension(
        Extension.subjectKeyIdentifier,
        false,
        new JcaX509ExtensionUtils().createSubjectKeyIdentifier(publicKey));
    if (sans.length > 0) {
      List<GeneralName> names = new ArrayList<>();
      for (String san : sans) {
        boolean ip = IPAddress.isValid(san);
        names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, san));
      }
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(names.toArray(new GeneralName[0])));
    }
    return builder;
  }

  private static Leaf write(
      Path directory, String name, X509Certificate leaf, KeyPair keys, X509Certificate issuer)
      throws IOException {
    String prefix = fileName(name);
    Path certificate = directory.resolve(prefix + ".crt");
    Path chain = directory.resolve(prefix + "-chain.crt");
    Path key = directory.resolve(prefix + ".key");
    Path traditional = directory.resolve(prefix + "-traditional.key");
    writePem(certificate, leaf);
    if (issuer == null) {
      writePem(chain, leaf);
    } else {
      writePem(chain, leaf, issuer);
    }
    writePem(key, new JcaPKCS8Generator(keys.getPrivate(), null));
    PrivateKey privateKey = keys.getPrivate();
    String traditionalPem =
        privateKey instanceof ECPrivateKey ec
            ? pem("EC PRIVATE KEY", sec1(ec, keys.getPublic()))
            : pem("RSA PRIVATE KEY", pkcs1(privateKey));
    Files.writeString(traditional, traditionalPem, StandardCharsets.US_ASCII);
    return new Leaf(leaf, privateKey, certificate, chain, key, traditional);
  }

  private static KeyPair generate(KeyType type) throws GeneralSecurityException {
    if (type == KeyType.EC_P256) {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    }
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    return generator.generateKeyPair();
  }

  private static X509Certificate sign(
      X509v3CertificateBuilder builder, PrivateKey signerKey, KeyType signerType)
      throws GeneralSecurityException {
    try {
      var signer = new JcaContentSignerBuilder(signerType.signatureAlgorithm).build(signerKey);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static void writePem(Path file, Object... objects) throws IOException {
    try (Writer out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
        JcaPEMWriter writer = new JcaPEMWriter(out)) {
      for (Object object : objects) {
        writer.writeObject(object);
      }
    }
  }

  private static BigInteger nextSerial() {
    return BigInteger.valueOf(SERIALS.incrementAndGet());
  }

  private static String fileName(String name) {
    return Objects.requireNonNull(name).replaceAll("[^A-Za-z0-9._-]", "-");
  }
}
