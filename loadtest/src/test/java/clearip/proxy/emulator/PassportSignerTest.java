package clearip.proxy.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PassportSignerTest {
  private static final String X5U = "https://certs.example.org/shaken/cert.pem";
  private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L),
      ZoneOffset.UTC);
  private static final Pattern IDENTITY = Pattern.compile(
      "([A-Za-z0-9_-]+)\\.([A-Za-z0-9_-]+)\\.([A-Za-z0-9_-]+);info=<([^>]+)>;alg=ES256;ppt=shaken");
  private static final Pattern CLAIMS = Pattern.compile(
      "\\{\"attest\":\"A\",\"dest\":\\{\"tn\":\\[\"14016401234\"]},\"iat\":1700000000,"
          + "\"orig\":\\{\"tn\":\"14045266060\"},\"origid\":\"([0-9a-f-]{36})\"}");

  @Test
  void identityIsASignedShakenPassportWithCanonicalJson() throws Exception {
    PassportSigner signer = PassportSigner.generate(X5U, CLOCK, Duration.ZERO);
    String value = signer.identity("A", "+1-404-526-6060", "+14016401234");
    Matcher m = IDENTITY.matcher(value);
    assertTrue(m.matches(), value);
    assertEquals(X5U, m.group(4));
    assertEquals("{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":\"" + X5U
        + "\"}", b64(m.group(1)));
    String claims = b64(m.group(2));
    Matcher c = CLAIMS.matcher(claims);
    assertTrue(c.matches(), claims);
    String origid = c.group(1);
    assertEquals(origid, java.util.UUID.fromString(origid).toString());
    assertEquals(4, java.util.UUID.fromString(origid).version());
    byte[] sig = Base64.getUrlDecoder().decode(m.group(3));
    assertEquals(64, sig.length);
    assertTrue(verifies(signer.publicKey().orElseThrow(), m.group(1) + "." + m.group(2), sig));
    // no padding, no white space anywhere in the JWS
    assertTrue(value.indexOf('=') > value.indexOf(";info"), "base64url without padding");
  }

  @Test
  void signatureFailsForAnotherKeyOrAlteredClaims() throws Exception {
    PassportSigner signer = PassportSigner.generate(X5U, CLOCK, Duration.ZERO);
    Matcher m = IDENTITY.matcher(signer.identity("A", "14045266060", "14016401234"));
    assertTrue(m.matches());
    byte[] sig = Base64.getUrlDecoder().decode(m.group(3));
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    assertTrue(!verifies(g.generateKeyPair().getPublic(), m.group(1) + "." + m.group(2), sig));
    String altered = Base64.getUrlEncoder().withoutPadding().encodeToString(
        b64(m.group(2)).replace("\"A\"", "\"B\"").getBytes(StandardCharsets.UTF_8));
    assertTrue(!verifies(signer.publicKey().orElseThrow(), m.group(1) + "." + altered, sig));
  }

  @Test
  void canonicalJsonSortsKeysAndEscapesOnlyWhatJsonRequires() {
    assertEquals("{\"attest\":\"C\",\"dest\":{\"tn\":[\"1\"]},\"iat\":5,\"orig\":{\"tn\":\"a\\\"b\\\\\"},"
        + "\"origid\":\"x/y\"}", PassportSigner.canonicalClaims("C", "1", 5, "a\"b\\", "x/y"));
    assertEquals("{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":\"https://a/b\"}",
        PassportSigner.canonicalHeader("https://a/b"));
    assertEquals("14045550100", PassportSigner.canonicalTn("+1 (404)".replace(" ", "")
        + "555-0100"));
  }

  @Test
  void reusesASignedIdentityOnlyForTheSameNumbersWithinTheReuseTime() {
    PassportSigner reusing = PassportSigner.generate(X5U, CLOCK, Duration.ofMinutes(1));
    String a = reusing.identity("A", "14045266060", "14016401234");
    assertSame(a, reusing.identity("A", "14045266060", "14016401234"));
    assertNotEquals(a, reusing.identity("B", "14045266060", "14016401234"));
    assertNotEquals(a, reusing.identity("A", "14045266060", "14016401235"));
    PassportSigner shared = PassportSigner.generate(X5U, CLOCK, Duration.ofMinutes(1), true);
    String s = shared.identity("A", "14045266060", "14016401234");
    assertSame(s, shared.identity("A", "12125550100", "13035550100"));
    assertNotEquals(s, shared.identity("B", "12125550100", "13035550100"));
    PassportSigner fresh = PassportSigner.generate(X5U, CLOCK, Duration.ZERO);
    assertNotEquals(fresh.identity("A", "1", "2"), fresh.identity("A", "1", "2"),
        "a fresh origid (and signature) per call");
  }

  @Test
  void loadsAPkcs8PemKey(@TempDir Path dir) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair kp = g.generateKeyPair();
    Path pem = dir.resolve("key.pem");
    Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(kp.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n");
    PassportSigner signer = PassportSigner.load(pem, X5U, CLOCK, Duration.ZERO);
    Matcher m = IDENTITY.matcher(signer.identity("A", "1", "2"));
    assertTrue(m.matches());
    assertTrue(verifies(kp.getPublic(), m.group(1) + "." + m.group(2),
        Base64.getUrlDecoder().decode(m.group(3))));

    Path notPem = dir.resolve("bad.pem");
    Files.writeString(notPem, "hello");
    IOException e = assertThrows(IOException.class,
        () -> PassportSigner.load(notPem, X5U, CLOCK, Duration.ZERO));
    assertTrue(e.getMessage().contains("no PEM PKCS#8 block"), e.getMessage());
  }

  private static String b64(String s) {
    return new String(Base64.getUrlDecoder().decode(s), StandardCharsets.UTF_8);
  }

  /** Verifies as an RFC 8224 verifier does: R||S converted to DER for the JDK. */
  private static boolean verifies(PublicKey key, String signingInput, byte[] joseSignature)
      throws Exception {
    Signature v = Signature.getInstance("SHA256withECDSA");
    v.initVerify(key);
    v.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return v.verify(Es256.joseToDer(joseSignature));
  }
}
