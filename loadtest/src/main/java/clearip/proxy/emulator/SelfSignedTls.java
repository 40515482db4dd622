package clearip.proxy.emulator;

import clearip.proxy.streams.tls.ServerTlsSettings;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away self-signed certificate for {@code localhost}, 127.0.0.1 and ::1, for TLS
 * listeners started without configured material (and for the demo, which tells the proxy to
 * trust it). Nobody else trusts it: clients must be told to.
 */
public final class SelfSignedTls {
  private SelfSignedTls() {}

  /** Writes a fresh EC P-256 key and certificate as PEM files in a temporary directory. */
  public static ServerTlsSettings create() throws IOException {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair keys = g.generateKeyPair();
      Instant now = Instant.now();
      X500Name name = new X500Name("CN=localhost,O=clearip-emulator");
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name,
          BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(Duration.ofHours(1))),
          Date.from(now.plus(Duration.ofDays(365))), name, keys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.dNSName, "localhost"),
          new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
          new GeneralName(GeneralName.iPAddress, "::1")}));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
      Path dir = Files.createTempDirectory("clearip-emulator-tls");
      Path certFile = dir.resolve("localhost.crt");
      Path keyFile = dir.resolve("localhost.key");
      Files.writeString(certFile, pem("CERTIFICATE", cert.getEncoded()),
          StandardCharsets.US_ASCII);
      Files.writeString(keyFile, pem("PRIVATE KEY", keys.getPrivate().getEncoded()),
          StandardCharsets.US_ASCII);
      for (Path p : new Path[] {dir, certFile, keyFile}) p.toFile().deleteOnExit();
      return ServerTlsSettings.of(certFile, keyFile);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot make a self-signed certificate", e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
