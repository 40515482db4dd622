package clearip.proxy.emulator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Signs STIR/SHAKEN PASSporTs (RFC 8225, RFC 8588) with ES256 and formats them as an RFC 8224
 * {@code Identity} header value: {@code <jws>;info=<x5u>;alg=ES256;ppt=shaken}. JDK only.
 *
 * <p>An ES256 signature costs far more than everything else the emulator does for a call, so a
 * signed header may be reused for the same (attest, orig, dest) for a configured time; verifiers
 * accept an {@code iat} up to 60 s old, which bounds a sensible reuse time. Thread-safe.
 */
public final class PassportSigner {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final int MAX_CACHED = 65_536;

  private final PrivateKey privateKey;
  private final ECPublicKey publicKey; // null when loaded from a file
  private final String x5u;
  private final String encodedHeader; // base64url of the canonical JWS header, with the dot
  private final String headerParams; // ";info=<x5u>;alg=ES256;ppt=shaken"
  private final Clock clock;
  private final long reuseNanos;
  private final boolean reuseAcrossNumbers;
  private final ThreadLocal<Signature> signatures;
  private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

  private record Cached(String value, long expiresAt) {}

  private PassportSigner(PrivateKey privateKey, ECPublicKey publicKey, String x5u, Clock clock,
      Duration reuse, boolean reuseAcrossNumbers) {
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.x5u = x5u;
    this.clock = clock;
    this.reuseNanos = reuse.toNanos();
    this.reuseAcrossNumbers = reuseAcrossNumbers;
    this.encodedHeader = B64.encodeToString(
        canonicalHeader(x5u).getBytes(StandardCharsets.UTF_8)) + ".";
    this.headerParams = ";info=<" + x5u + ">;alg=ES256;ppt=shaken";
    this.signatures = ThreadLocal.withInitial(this::newSignature);
  }

  /** A signer with a fresh P-256 key pair. */
  public static PassportSigner generate(String x5u, Clock clock, Duration reuse) {
    return generate(x5u, clock, reuse, false);
  }

  /**
   * A signer with a fresh P-256 key pair.
   *
   * @param reuse how long a signed header is reused for the same (attest, orig, dest)
   * @param reuseAcrossNumbers reuse it for every call of the same attestation level instead, so
   *     that load tests with a new number per call do not pay a signature per call (the claims
   *     then name the numbers of the call that was signed)
   */
  public static PassportSigner generate(String x5u, Clock clock, Duration reuse,
      boolean reuseAcrossNumbers) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair kp = g.generateKeyPair();
      return new PassportSigner(kp.getPrivate(), (ECPublicKey) kp.getPublic(), x5u, clock, reuse,
          reuseAcrossNumbers);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK offers no EC P-256 key generation", e);
    }
  }

  /** A signer with the P-256 private key from a PEM PKCS#8 file ({@code BEGIN PRIVATE KEY}). */
  public static PassportSigner load(Path pkcs8Pem, String x5u, Clock clock, Duration reuse)
      throws IOException {
    return load(pkcs8Pem, x5u, clock, reuse, false);
  }

  /** As {@link #load(Path, String, Clock, Duration)}, with the reuse rule of {@link #generate}. */
  public static PassportSigner load(Path pkcs8Pem, String x5u, Clock clock, Duration reuse,
      boolean reuseAcrossNumbers) throws IOException {
    String pem = Files.readString(pkcs8Pem, StandardCharsets.US_ASCII);
    String begin = "-----BEGIN PRIVATE KEY-----";
    String end = "-----END PRIVATE KEY-----";
    int b = pem.indexOf(begin);
    int e = pem.indexOf(end);
    if (b < 0 || e < b) {
      throw new IOException(pkcs8Pem + ": no PEM PKCS#8 block (" + begin + ")");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e));
    } catch (IllegalArgumentException ex) {
      throw new IOException(pkcs8Pem + ": bad base64 in the PEM block", ex);
    }
    PrivateKey key;
    try {
      key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException ex) {
      throw new IOException(pkcs8Pem + ": not an EC PKCS#8 private key", ex);
    }
    if (!(key instanceof ECPrivateKey ec) || ec.getParams().getCurve().getField().getFieldSize()
        != 256) {
      throw new IOException(pkcs8Pem + ": the key must be an EC P-256 key for ES256");
    }
    return new PassportSigner(key, null, x5u, clock, reuse, reuseAcrossNumbers);
  }

  /** The public key, when the signer generated its own key pair. */
  public Optional<ECPublicKey> publicKey() {
    return Optional.ofNullable(publicKey);
  }

  public String x5u() {
    return x5u;
  }

  /**
   * The {@code Identity} header value for a call from {@code orig} to {@code dest} (numbers as
   * they appear in the SIP URIs; canonicalised here per RFC 8224 section 8.3).
   */
  public String identity(String attest, String orig, String dest) {
    String o = canonicalTn(orig);
    String d = canonicalTn(dest);
    if (reuseNanos <= 0) return sign(attest, o, d);
    String key = reuseAcrossNumbers ? attest : attest + '\n' + o + '\n' + d;
    long now = System.nanoTime();
    Cached c = cache.get(key);
    if (c != null && now - c.expiresAt < 0) return c.value;
    String v = sign(attest, o, d);
    if (cache.size() >= MAX_CACHED) cache.clear(); // crude bound; a load test rarely gets here
    cache.put(key, new Cached(v, now + reuseNanos));
    return v;
  }

  private String sign(String attest, String orig, String dest) {
    long iat = clock.instant().getEpochSecond();
    ThreadLocalRandom r = ThreadLocalRandom.current();
    // a random (version 4) UUID; ThreadLocalRandom avoids SecureRandom's lock on the hot path
    long msb = (r.nextLong() & ~0xF000L) | 0x4000L;
    long lsb = (r.nextLong() & ~(0xC000_0000_0000_0000L)) | 0x8000_0000_0000_0000L;
    String origid = new UUID(msb, lsb).toString();
    String claims = canonicalClaims(attest, dest, iat, orig, origid);
    String signingInput = encodedHeader + B64.encodeToString(
        claims.getBytes(StandardCharsets.UTF_8));
    byte[] der;
    try {
      Signature s = signatures.get();
      s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      der = s.sign(); // also resets it for the next use on this thread
    } catch (SignatureException e) {
      throw new IllegalStateException("ES256 signing failed", e);
    }
    return signingInput + '.' + B64.encodeToString(Es256.derToJose(der)) + headerParams;
  }

  private Signature newSignature() {
    try {
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initSign(privateKey);
      return s;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot initialise SHA256withECDSA", e);
    }
  }

  // ---- canonical JSON (RFC 8225 section 9: keys in lexicographic order, no white space) ----

  /** The JWS protected header of a SHAKEN PASSporT, canonical. */
  public static String canonicalHeader(String x5u) {
    StringBuilder sb = new StringBuilder(80 + x5u.length());
    sb.append("{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":");
    jsonString(sb, x5u);
    return sb.append('}').toString();
  }

  /** The PASSporT claims, canonical (keys sorted at every level, no white space). */
  public static String canonicalClaims(String attest, String destTn, long iat, String origTn,
      String origid) {
    StringBuilder sb = new StringBuilder(160);
    sb.append("{\"attest\":");
    jsonString(sb, attest);
    sb.append(",\"dest\":{\"tn\":[");
    jsonString(sb, destTn);
    sb.append("]},\"iat\":").append(iat).append(",\"orig\":{\"tn\":");
    jsonString(sb, origTn);
    sb.append("},\"origid\":");
    jsonString(sb, origid);
    return sb.append('}').toString();
  }

  /**
   * A telephone number as PASSporT carries it (RFC 8224 section 8.3): visual separators and a
   * leading '+' removed. Anything that is not a number is kept as it is.
   */
  public static String canonicalTn(String number) {
    return Numbers.normalize(number);
  }

  private static void jsonString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c); // RFC 8225 section 9: no escaping of '/' or non-ASCII
      }
    }
    sb.append('"');
  }
}
