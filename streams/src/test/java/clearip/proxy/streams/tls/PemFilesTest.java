package clearip.proxy.streams.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.streams.tls.TestPki.KeyType;
import clearip.proxy.streams.tls.TestPki.Leaf;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class PemFilesTest {
  @TempDir static Path dir;
  static TestPki pki;
  static Leaf ec;
  static Leaf rsa;

  @BeforeAll
  static void createPki() {
    pki = TestPki.create(dir.resolve("pki"));
    ec = pki.issue("ec", KeyType.EC_P256, "localhost");
    rsa = pki.issue("rsa", KeyType.RSA_2048, "localhost");
  }

  @Test
  void readsPkcs8EcKey() throws Exception {
    assertSameKey(ec.key(), PemFiles.readPrivateKey(ec.privateKey()));
    assertTrue(Files.readString(ec.privateKey()).startsWith("-----BEGIN PRIVATE KEY-----"));
  }

  @Test
  void readsSec1EcKey() throws Exception {
    assertTrue(
        Files.readString(ec.traditionalPrivateKey()).startsWith("-----BEGIN EC PRIVATE KEY-----"));
    assertSameKey(ec.key(), PemFiles.readPrivateKey(ec.traditionalPrivateKey()));
  }

  @Test
  void readsPkcs8RsaKey() throws Exception {
    assertSameKey(rsa.key(), PemFiles.readPrivateKey(rsa.privateKey()));
  }

  @Test
  void readsPkcs1RsaKey() throws Exception {
    assertTrue(
        Files.readString(rsa.traditionalPrivateKey())
            .startsWith("-----BEGIN RSA PRIVATE KEY-----"));
    assertSameKey(rsa.key(), PemFiles.readPrivateKey(rsa.traditionalPrivateKey()));
  }

  @Test
  void readsOpensslTraditionalKeysLikeTheirPkcs8Forms() throws Exception {
    for (String[] pair :
        new String[][] {
          {"openssl-ec-sec1.pem", "openssl-ec-pkcs8.pem"},
          {"openssl-rsa-pkcs1.pem", "openssl-rsa-pkcs8.pem"}
        }) {
      PrivateKey traditional = PemFiles.readPrivateKey(copyResource(pair[0]));
      PrivateKey pkcs8 = PemFiles.readPrivateKey(copyResource(pair[1]));
      assertSameKey(pkcs8, traditional);
    }
  }

  @Test
  void readsKeyWithEcParametersBlockAndCrlfLineEndings() throws Exception {
    // "openssl ecparam -genkey" writes an EC PARAMETERS block first; Windows tools write CRLF.
    String key = Files.readString(ec.traditionalPrivateKey());
    String text =
        ("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n" + key)
            .replace("\n", "\r\n");
    Path file = TestPki.writeFile(dir, "with-params.key", text);
    assertSameKey(ec.key(), PemFiles.readPrivateKey(file));
  }

  @Test
  void readsChainInFileOrderIgnoringTextAroundBlocks() throws Exception {
    String chain = Files.readString(ec.chain());
    Path file =
        TestPki.writeFile(dir, "annotated.crt", "subject=CN = ec\nissuer=CN = Test CA\n" + chain);
    List<X509Certificate> certificates = PemFiles.readCertificates(file);
    assertEquals(List.of(ec.x509(), pki.caX509()), certificates);
  }

  @Test
  void readsCaBundleIntoTrustStore() throws Exception {
    TestPki other = TestPki.create(dir.resolve("other"), "Other CA");
    Path bundle =
        TestPki.writeFile(
            dir,
            "bundle.pem",
            Files.readString(pki.caCertificate()) + Files.readString(other.caCertificate()));
    KeyStore store = PemFiles.readTrustStore(bundle);
    assertEquals(2, store.size());
    List<String> aliases = Collections.list(store.aliases());
    for (String alias : aliases) {
      assertTrue(store.isCertificateEntry(alias), alias);
    }
    assertTrue(store.getCertificateAlias(other.caX509()) != null);
  }

  @Test
  void readsMatchingIdentity() throws Exception {
    TlsIdentity identity = PemFiles.readIdentity(rsa.chain(), rsa.traditionalPrivateKey());
    assertEquals(rsa.x509(), identity.leaf());
    assertEquals(2, identity.chain().size());
    assertFalse(identity.toString().contains(rsa.key().toString()));
  }

  // ---- errors: each names the file and the fault ----

  @Test
  void missingFile() {
    Path missing = dir.resolve("nope.pem");
    assertProblem(missing, "file not found", () -> PemFiles.readCertificates(missing));
  }

  @Test
  void directoryInsteadOfFile() {
    assertProblem(dir, "is a directory, expected a PEM file", () -> PemFiles.readPrivateKey(dir));
  }

  @Test
  void emptyFile() {
    Path file = TestPki.writeFile(dir, "empty.pem", "\n");
    assertProblem(file, "file is empty", () -> PemFiles.readCertificates(file));
  }

  @Test
  void binaryDerFile() throws Exception {
    Path file = dir.resolve("cert.der");
    Files.write(file, ec.x509().getEncoded());
    assertProblem(
        file,
        "no PEM blocks found; the file looks like binary DER",
        () -> PemFiles.readCertificates(file));
  }

  @Test
  void noPemBlocks() {
    Path file = TestPki.writeFile(dir, "text.pem", "hello\n");
    assertProblem(
        file,
        "no PEM blocks found (expected lines like -----BEGIN CERTIFICATE----- or "
            + "-----BEGIN PRIVATE KEY-----)",
        () -> PemFiles.readCertificates(file));
  }

  @Test
  void noCertificateFound() {
    assertProblem(
        ec.privateKey(),
        "no certificate found (found PRIVATE KEY); expected a -----BEGIN CERTIFICATE----- block",
        () -> PemFiles.readCertificates(ec.privateKey()));
  }

  @Test
  void noPrivateKeyFound() {
    assertProblem(
        ec.chain(),
        "no private key found (found CERTIFICATE); expected a PEM block PRIVATE KEY,"
            + " RSA PRIVATE KEY or EC PRIVATE KEY",
        () -> PemFiles.readPrivateKey(ec.chain()));
  }

  @Test
  void twoPrivateKeys() throws Exception {
    Path file =
        TestPki.writeFile(
            dir, "two.key", Files.readString(ec.privateKey()) + Files.readString(rsa.privateKey()));
    assertProblem(
        file, "contains 2 private keys; expected exactly one", () -> PemFiles.readPrivateKey(file));
  }

  @Test
  void unsupportedKeyAlgorithm() throws Exception {
    KeyPairGenerator dsa = KeyPairGenerator.getInstance("DSA");
    dsa.initialize(2048);
    Path dsaFile =
        TestPki.writeFile(
            dir,
            "dsa.key",
            TestPki.pem("PRIVATE KEY", dsa.generateKeyPair().getPrivate().getEncoded()));
    assertProblem(
        dsaFile,
        "unsupported key type DSA in PEM block 1 (PRIVATE KEY, line 1) (supported: RSA, EC)",
        () -> PemFiles.readPrivateKey(dsaFile));

    Path edFile =
        TestPki.writeFile(
            dir,
            "ed25519.key",
            TestPki.pem(
                "PRIVATE KEY",
                KeyPairGenerator.getInstance("Ed25519")
                    .generateKeyPair()
                    .getPrivate()
                    .getEncoded()));
    assertProblem(
        edFile,
        "unsupported key type Ed25519 in PEM block 1 (PRIVATE KEY, line 1) (supported: RSA, EC)",
        () -> PemFiles.readPrivateKey(edFile));
  }

  @Test
  void unsupportedKeyBlock() {
    Path file = TestPki.writeFile(dir, "ssh.key", TestPki.pem("OPENSSH PRIVATE KEY", new byte[16]));
    assertProblem(
        file,
        "unsupported key type: PEM block OPENSSH PRIVATE KEY (supported: PRIVATE KEY,"
            + " RSA PRIVATE KEY, EC PRIVATE KEY)",
        () -> PemFiles.readPrivateKey(file));
  }

  @Test
  void encryptedKeys() {
    Path pkcs8 =
        TestPki.writeFile(dir, "enc8.key", TestPki.pem("ENCRYPTED PRIVATE KEY", new byte[16]));
    assertProblem(
        pkcs8,
        "private key is encrypted (passphrase-protected), which is not supported",
        () -> PemFiles.readPrivateKey(pkcs8));
    Path legacy =
        TestPki.writeFile(
            dir,
            "enc1.key",
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
                + "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n"
                + "-----END RSA PRIVATE KEY-----\n");
    assertProblem(
        legacy,
        "private key is encrypted (passphrase-protected), which is not supported",
        () -> PemFiles.readPrivateKey(legacy));
  }

  @Test
  void malformedKeyBody() {
    Path file =
        TestPki.writeFile(dir, "bad.key", TestPki.pem("RSA PRIVATE KEY", new byte[] {1, 2}));
    assertProblem(
        file,
        "malformed PEM block 1 (RSA PRIVATE KEY, line 1): ",
        () -> PemFiles.readPrivateKey(file));
    Path ec8 =
        TestPki.writeFile(
            dir,
            "bad-ec8.key",
            TestPki.pem(
                "PRIVATE KEY",
                Der.encode(
                    Der.SEQUENCE,
                    new byte[] {2, 1, 0},
                    Der.encode(Der.SEQUENCE, Der.OID_EC_PUBLIC_KEY),
                    Der.encode(Der.OCTET_STRING, new byte[] {5}))));
    assertProblem(ec8, "malformed EC key in PEM block 1", () -> PemFiles.readPrivateKey(ec8));
  }

  @Test
  void invalidBase64() {
    Path file =
        TestPki.writeFile(
            dir, "b64.crt", "-----BEGIN CERTIFICATE-----\nMII*\n-----END CERTIFICATE-----\n");
    assertProblem(
        file,
        "PEM block 1 (CERTIFICATE, line 1) is not valid base64",
        () -> PemFiles.readCertificates(file));
  }

  @Test
  void blockWithoutEnd() {
    Path file = TestPki.writeFile(dir, "noend.crt", "\n-----BEGIN CERTIFICATE-----\nAAAA\n");
    assertProblem(
        file,
        "PEM block CERTIFICATE starting at line 2 has no END line",
        () -> PemFiles.readCertificates(file));
  }

  @Test
  void mismatchedEndLine() {
    Path file =
        TestPki.writeFile(
            dir, "mixed.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n");
    assertProblem(
        file,
        "PEM block CERTIFICATE starting at line 1 ends with END PRIVATE KEY at line 3",
        () -> PemFiles.readCertificates(file));
  }

  @Test
  void notACertificate() {
    Path file =
        TestPki.writeFile(dir, "junk.crt", TestPki.pem("CERTIFICATE", new byte[] {0x30, 0}));
    assertProblem(
        file,
        "PEM block 1 (CERTIFICATE, line 1) is not a valid X.509 certificate",
        () -> PemFiles.readCertificates(file));
  }

  @Test
  void keyDoesNotMatchCertificate() {
    Leaf otherEc = pki.issue("other-ec", KeyType.EC_P256, "localhost");
    assertProblem(
        otherEc.privateKey(),
        "private key does not match the first certificate in " + ec.chain() + " (CN=ec)",
        () -> PemFiles.readIdentity(ec.chain(), otherEc.privateKey()));
    Leaf otherRsa = pki.issue("other-rsa", KeyType.RSA_2048, "localhost");
    assertProblem(
        otherRsa.traditionalPrivateKey(),
        "private key does not match the first certificate in " + rsa.certificate() + " (CN=rsa)",
        () -> PemFiles.readIdentity(rsa.certificate(), otherRsa.traditionalPrivateKey()));
  }

  @Test
  void keyOfOtherAlgorithmThanCertificate() {
    assertProblem(
        rsa.privateKey(),
        "private key is RSA but the first certificate in "
            + ec.certificate()
            + " (CN=ec) has an EC public key",
        () -> PemFiles.readIdentity(ec.certificate(), rsa.privateKey()));
  }

  @Test
  void keyMatchesLaterCertificateInChain() throws Exception {
    Path reversed =
        TestPki.writeFile(
            dir,
            "reversed.crt",
            Files.readString(pki.caCertificate()) + Files.readString(ec.certificate()));
    assertProblem(
        ec.privateKey(),
        "private key matches certificate 2 in "
            + reversed
            + " (CN=ec), not the first; the leaf certificate must come first",
        () -> PemFiles.readIdentity(reversed, ec.privateKey()));
  }

  private static void assertProblem(Path file, String expectedProblem, Executable load) {
    TlsMaterialException e = assertThrows(TlsMaterialException.class, load);
    assertEquals(file, e.file());
    assertTrue(
        e.problem().startsWith(expectedProblem),
        () -> "problem was: " + e.problem() + "\nexpected start: " + expectedProblem);
    assertEquals(file + ": " + e.problem(), e.getMessage());
  }

  /** Same key value; encodings may differ (SEC1 inside PKCS#8 may carry the curve twice). */
  private static void assertSameKey(PrivateKey expected, PrivateKey actual) {
    assertEquals(expected.getAlgorithm(), actual.getAlgorithm());
    if (expected instanceof ECPrivateKey e && actual instanceof ECPrivateKey a) {
      assertEquals(e.getS(), a.getS());
      assertEquals(e.getParams().getCurve(), a.getParams().getCurve());
      assertEquals(e.getParams().getGenerator(), a.getParams().getGenerator());
    } else if (expected instanceof RSAPrivateCrtKey e && actual instanceof RSAPrivateCrtKey a) {
      assertEquals(e.getModulus(), a.getModulus());
      assertEquals(e.getPrivateExponent(), a.getPrivateExponent());
      assertEquals(e.getPublicExponent(), a.getPublicExponent());
    } else {
      throw new AssertionError("unexpected key classes " + expected + ", " + actual);
    }
  }

  private static Path copyResource(String name) throws IOException {
    try (InputStream in = PemFilesTest.class.getResourceAsStream(name)) {
      return TestPki.writeFile(dir, name, new String(in.readAllBytes(), StandardCharsets.US_ASCII));
    }
  }
}
