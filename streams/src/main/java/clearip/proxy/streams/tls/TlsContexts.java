package clearip.proxy.streams.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns turning TLS settings into ready {@link SSLContext}s, built once per listener or upstream
 * because loading keys and trust stores is slow, and wrapped in engine factories that are cheap to
 * call once per connection.
 */
public final class TlsContexts {
  private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);

  /** Older protocols are broken or deprecated (RFC 8996). */
  static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /** Only in-memory and never written out; PKCS12 key entries need some password. */
  private static final char[] IN_MEMORY_PASSWORD = "in-memory".toCharArray();

  /** The JDK's switch that makes a server refuse renegotiation a client starts (TLS 1.2). */
  static final String REJECT_CLIENT_RENEGOTIATION = "jdk.tls.rejectClientInitiatedRenegotiation";

  static {
    // Every renegotiation costs the server a full handshake of CPU and is no use to SIP: a peer
    // repeating it could keep the call threads busy. The JDK reads this once, at its first
    // server handshake, which comes after this class is loaded. An explicit -D setting wins.
    if (System.getProperty(REJECT_CLIENT_RENEGOTIATION) == null) {
      System.setProperty(REJECT_CLIENT_RENEGOTIATION, "true");
    }
  }

  private TlsContexts() {}

  /**
   * Loads and checks the listener's identity (and client CA bundle) and builds its context;
   * logs the certificate it will present.
   */
  public static ServerEngines server(ServerTlsSettings settings) throws TlsMaterialException {
    return server(settings, true);
  }

  /**
   * Proves the listener's files usable, as {@link #server(ServerTlsSettings)} would, without a
   * word in the log: the proxy that then starts on them says what it presents, once.
   */
  public static void check(ServerTlsSettings settings) throws TlsMaterialException {
    server(settings, false);
  }

  /** As {@link #check(ServerTlsSettings)}, for the client side (upstream.tls). */
  public static void check(ClientTlsSettings settings) throws TlsMaterialException {
    client(settings, false);
  }

  private static ServerEngines server(ServerTlsSettings settings, boolean describe)
      throws TlsMaterialException {
    TlsIdentity identity = settings.identity().load();
    if (describe) logIdentity("TLS listener", settings.identity(), identity);
    TrustManager[] trust = null;
    if (settings.clientCaBundle().isPresent()) {
      trust = trustManagers(PemFiles.readTrustStore(settings.clientCaBundle().get()));
    }
    SSLContext context = context(keyManagers(settings.identity(), identity), trust);
    return new ServerEngines(
        context, strongCipherSuites(context), settings.clientCaBundle().isPresent());
  }

  /**
   * Loads the trust (and optional client identity) for outgoing connections and builds the context.
   */
  public static ClientEngines client(ClientTlsSettings settings) throws TlsMaterialException {
    return client(settings, true);
  }

  private static ClientEngines client(ClientTlsSettings settings, boolean describe)
      throws TlsMaterialException {
    KeyManager[] keys = null;
    if (settings.identity().isPresent()) {
      PemIdentity files = settings.identity().get();
      TlsIdentity identity = files.load();
      if (describe) logIdentity("TLS client", files, identity);
      keys = keyManagers(files, identity);
    }
    KeyStore trustStore =
        settings.caBundle().isPresent() ? PemFiles.readTrustStore(settings.caBundle().get()) : null;
    if (!settings.verifyHostname() && describe) {
      log.warn(
          "TLS hostname verification is off: any certificate from a trusted CA is accepted for"
              + " any upstream host");
    }
    SSLContext context = context(keys, trustManagers(trustStore));
    return new ClientEngines(context, strongCipherSuites(context), settings.verifyHostname());
  }

  /**
   * The JDK's enabled cipher suites, in its order, minus those without forward secrecy (static RSA
   * key exchange) and those not AEAD (CBC with HMAC), as in common "intermediate" profiles.
   */
  static List<String> strongCipherSuites(SSLContext context) {
    return Arrays.stream(context.getDefaultSSLParameters().getCipherSuites())
        .filter(TlsContexts::isStrong)
        .toList();
  }

  static boolean isStrong(String suite) {
    if (suite.startsWith("TLS_AES_") || suite.startsWith("TLS_CHACHA20_")) {
      return true; // TLS 1.3 suites are all AEAD with ephemeral key exchange.
    }
    if (suite.endsWith("_SCSV")) {
      return true; // Signalling values, not ciphers.
    }
    boolean ephemeral = suite.startsWith("TLS_ECDHE_") || suite.startsWith("TLS_DHE_RSA_");
    boolean aead = suite.contains("_GCM_") || suite.contains("_CHACHA20_POLY1305_");
    return ephemeral && aead;
  }

  static SSLContext context(KeyManager[] keys, TrustManager[] trust) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys, trust, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JDK cannot create a TLS context", e);
    }
  }

  private static KeyManager[] keyManagers(PemIdentity files, TlsIdentity identity)
      throws TlsMaterialException {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry(
          "identity",
          identity.privateKey(),
          IN_MEMORY_PASSWORD,
          identity.chain().toArray(new X509Certificate[0]));
      KeyManagerFactory factory =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(store, IN_MEMORY_PASSWORD);
      return factory.getKeyManagers();
    } catch (GeneralSecurityException e) {
      throw new TlsMaterialException(
          files.privateKey(), "the JDK cannot use this key for TLS: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create an in-memory PKCS12 key store", e);
    }
  }

  /** PKIX trust over {@code store}, or over the JDK's default trust store when it is null. */
  static TrustManager[] trustManagers(KeyStore store) {
    try {
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      factory.init(store);
      TrustManager[] managers = factory.getTrustManagers();
      for (int i = 0; i < managers.length; i++) {
        if (managers[i] instanceof X509ExtendedTrustManager x509) {
          managers[i] = new ExplainingTrustManager(x509);
        }
      }
      return managers;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JDK cannot create a PKIX trust manager", e);
    }
  }

  private static void logIdentity(String role, PemIdentity files, TlsIdentity identity) {
    X509Certificate leaf = identity.leaf();
    Path chainFile = files.certificateChain();
    log.info("{} certificate from {}: {}", role, chainFile, ExplainingTrustManager.describe(leaf));
    Instant now = Instant.now();
    if (now.isAfter(leaf.getNotAfter().toInstant())) {
      log.warn(
          "{} certificate in {} expired at {}", role, chainFile, leaf.getNotAfter().toInstant());
    } else if (now.isBefore(leaf.getNotBefore().toInstant())) {
      log.warn(
          "{} certificate in {} is not valid before {}",
          role,
          chainFile,
          leaf.getNotBefore().toInstant());
    }
    List<X509Certificate> chain = identity.chain();
    for (int i = 0; i + 1 < chain.size(); i++) {
      if (!chain
          .get(i)
          .getIssuerX500Principal()
          .equals(chain.get(i + 1).getSubjectX500Principal())) {
        log.warn(
            "{}: certificate {} was not issued by certificate {} that follows it; peers may fail to"
                + " build the chain",
            chainFile,
            i + 1,
            i + 2);
      }
    }
  }
}
