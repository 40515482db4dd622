package clearip.proxy.streams.tls;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A TLS server and a client that trust each other and nobody else, on 127.0.0.1 only: a fresh
 * EC P-256 key and a self-signed certificate naming 127.0.0.1, made in memory and never written
 * out. For a connection the proxy makes to itself (the warm-up's stand-in for ClearIP), so that
 * the real TLS code runs without any certificate of the operator's.
 */
public final class LoopbackTls {
  private static final char[] PASSWORD = "in-memory".toCharArray();
  private static final byte[] OID_ECDSA_SHA256 =
      Der.encode(Der.OBJECT_IDENTIFIER, bytes(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02));
  private static final byte[] OID_COMMON_NAME = Der.encode(Der.OBJECT_IDENTIFIER, bytes(0x55, 4, 3));
  private static final byte[] OID_SUBJECT_ALT_NAME =
      Der.encode(Der.OBJECT_IDENTIFIER, bytes(0x55, 0x1d, 0x11));
  private static final int UTF8_STRING = 0x0c;
  private static final int UTC_TIME = 0x17;
  private static final int SET = 0x31;

  private final ServerEngines server;
  private final ClientEngines client;

  private LoopbackTls(ServerEngines server, ClientEngines client) {
    this.server = server;
    this.client = client;
  }

  /** Makes the key, the certificate and both contexts (a few milliseconds). */
  public static LoopbackTls create() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair keys = g.generateKeyPair();
      X509Certificate cert = selfSigned(keys);

      KeyStore identity = KeyStore.getInstance("PKCS12");
      identity.load(null, null);
      identity.setKeyEntry("identity", keys.getPrivate(), PASSWORD,
          new X509Certificate[] {cert});
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(identity, PASSWORD);
      SSLContext serverContext = TlsContexts.context(kmf.getKeyManagers(), null);

      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("loopback", cert);
      SSLContext clientContext = TlsContexts.context(null, TlsContexts.trustManagers(trust));
      return new LoopbackTls(
          new ServerEngines(serverContext, TlsContexts.strongCipherSuites(serverContext), false),
          new ClientEngines(clientContext, TlsContexts.strongCipherSuites(clientContext), true));
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot make loopback TLS material", e);
    }
  }

  /** Server-mode engines presenting the loopback certificate. */
  public ServerEngines server() {
    return server;
  }

  /** Client-mode engines that trust the loopback certificate only (and check 127.0.0.1). */
  public ClientEngines client() {
    return client;
  }

  /** An X.509 v3 certificate (RFC 5280 4.1) for 127.0.0.1, valid from an hour ago for a day. */
  private static X509Certificate selfSigned(KeyPair keys) throws GeneralSecurityException {
    byte[] name = Der.encode(Der.SEQUENCE, Der.encode(SET, Der.encode(Der.SEQUENCE,
        OID_COMMON_NAME,
        Der.encode(UTF8_STRING, "clearip-proxy loopback".getBytes(StandardCharsets.UTF_8)))));
    byte[] algorithm = Der.encode(Der.SEQUENCE, OID_ECDSA_SHA256);
    Instant now = Instant.now();
    byte[] validity = Der.encode(Der.SEQUENCE, utcTime(now.minus(Duration.ofHours(1))),
        utcTime(now.plus(Duration.ofDays(1))));
    byte[] serial = Der.encode(Der.INTEGER,
        new BigInteger(63, new SecureRandom()).add(BigInteger.ONE).toByteArray());
    // subjectAltName: iPAddress [7] 127.0.0.1
    byte[] san = Der.encode(Der.SEQUENCE, OID_SUBJECT_ALT_NAME, Der.encode(Der.OCTET_STRING,
        Der.encode(Der.SEQUENCE, Der.encode(0x87, bytes(127, 0, 0, 1)))));
    byte[] extensions = Der.encode(0xa3, Der.encode(Der.SEQUENCE, san));
    byte[] version3 = Der.encode(Der.CONTEXT_0, Der.encode(Der.INTEGER, bytes(2)));
    byte[] tbs = Der.encode(Der.SEQUENCE, version3, serial, algorithm, name, validity, name,
        keys.getPublic().getEncoded(), extensions);
    Signature signer = Signature.getInstance("SHA256withECDSA");
    signer.initSign(keys.getPrivate());
    signer.update(tbs);
    byte[] signature = signer.sign();
    byte[] bits = new byte[signature.length + 1]; // no unused bits
    System.arraycopy(signature, 0, bits, 1, signature.length);
    byte[] cert = Der.encode(Der.SEQUENCE, tbs, algorithm, Der.encode(Der.BIT_STRING, bits));
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(cert));
  }

  private static byte[] utcTime(Instant t) {
    String s = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC).format(t);
    return Der.encode(UTC_TIME, s.getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) b[i] = (byte) values[i];
    return b;
  }
}
