package clearip.proxy.streams.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.streams.tls.Der.DerException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class DerTest {

  @Test
  void encodesLengthsInShortAndLongForm() {
    assertArrayEquals(bytes(0x00), Der.encodeLength(0));
    assertArrayEquals(bytes(0x7f), Der.encodeLength(127));
    assertArrayEquals(bytes(0x81, 0x80), Der.encodeLength(128));
    assertArrayEquals(bytes(0x81, 0xff), Der.encodeLength(255));
    assertArrayEquals(bytes(0x82, 0x01, 0x00), Der.encodeLength(256));
    assertArrayEquals(bytes(0x82, 0xff, 0xff), Der.encodeLength(65535));
    assertArrayEquals(bytes(0x83, 0x01, 0x00, 0x00), Der.encodeLength(65536));
  }

  @Test
  void readsBackWhatItEncodes() throws DerException {
    for (int size : new int[] {0, 1, 127, 128, 255, 256, 1190, 65536}) {
      byte[] value = new byte[size];
      byte[] encoded = Der.encode(Der.OCTET_STRING, value);
      Der.Tlv tlv = Der.single(encoded, Der.OCTET_STRING, "value");
      assertEquals(size, tlv.value().length, "size " + size);
      assertArrayEquals(encoded, tlv.encoded());
    }
  }

  @Test
  void rejectsIndefiniteLength() {
    DerException e =
        assertThrows(
            DerException.class, () -> Der.single(bytes(0x30, 0x80, 0, 0), Der.SEQUENCE, "x"));
    assertTrue(e.getMessage().contains("indefinite"), e.getMessage());
  }

  @Test
  void rejectsNonMinimalLength() {
    assertThrows(
        DerException.class, () -> Der.single(bytes(0x04, 0x81, 0x01, 0x00), Der.OCTET_STRING, "x"));
    assertThrows(
        DerException.class,
        () -> Der.single(bytes(0x04, 0x82, 0x00, 0x01, 0x00), Der.OCTET_STRING, "x"));
  }

  @Test
  void rejectsLengthBeyondInput() {
    DerException e =
        assertThrows(
            DerException.class, () -> Der.single(bytes(0x30, 0x05, 0x02, 0x01), Der.SEQUENCE, "x"));
    assertTrue(e.getMessage().contains("claims 5 bytes"), e.getMessage());
  }

  @Test
  void rejectsTrailingBytesAndWrongTag() {
    assertThrows(DerException.class, () -> Der.single(bytes(0x05, 0x00, 0x00), Der.NULL, "x"));
    DerException e =
        assertThrows(
            DerException.class, () -> Der.single(bytes(0x05, 0x00), Der.SEQUENCE, "thing"));
    assertEquals("thing has DER tag 0x5, expected 0x30", e.getMessage());
  }

  @Test
  void printsOids() throws DerException {
    assertEquals("1.2.840.113549.1.1.1", Der.oidToString(Der.OID_RSA_ENCRYPTION));
    assertEquals("1.2.840.10045.2.1", Der.oidToString(Der.OID_EC_PUBLIC_KEY));
    assertEquals("2.999.3", Der.oidToString(bytes(0x06, 0x03, 0x88, 0x37, 0x03)));
  }

  @Test
  void wrapsPkcs1ExactlyAsTheJdkEncodesRsaKeys() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair keys = generator.generateKeyPair();
    byte[] pkcs1 = TestPki.pkcs1(keys.getPrivate());
    assertArrayEquals(keys.getPrivate().getEncoded(), Der.pkcs1RsaToPkcs8(pkcs1));
  }

  @Test
  void wrapsOpensslPkcs1ExactlyAsOpensslWritesPkcs8() throws Exception {
    byte[] pkcs1 = resourcePem("openssl-rsa-pkcs1.pem");
    byte[] pkcs8 = resourcePem("openssl-rsa-pkcs8.pem");
    assertArrayEquals(pkcs8, Der.pkcs1RsaToPkcs8(pkcs1));
  }

  @Test
  void wrapsOpensslSec1IntoTheSameKeyAsOpensslPkcs8() throws Exception {
    byte[] sec1 = resourcePem("openssl-ec-sec1.pem");
    byte[] pkcs8 = resourcePem("openssl-ec-pkcs8.pem");
    KeyFactory ec = KeyFactory.getInstance("EC");
    ECPrivateKey expected = (ECPrivateKey) ec.generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    ECPrivateKey actual =
        (ECPrivateKey) ec.generatePrivate(new PKCS8EncodedKeySpec(Der.sec1EcToPkcs8(sec1)));
    assertEquals(expected.getS(), actual.getS());
    assertEquals(expected.getParams().getCurve(), actual.getParams().getCurve());
    // Algorithm identifier must be the same bytes: id-ecPublicKey + prime256v1.
    assertArrayEquals(Der.pkcs8AlgorithmOid(pkcs8), Der.pkcs8AlgorithmOid(Der.sec1EcToPkcs8(sec1)));
  }

  @Test
  void wrapsGeneratedSec1IntoAnEquivalentKey() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair keys = generator.generateKeyPair();
    ECPrivateKey key = (ECPrivateKey) keys.getPrivate();
    byte[] pkcs8 = Der.sec1EcToPkcs8(TestPki.sec1(key, keys.getPublic()));
    ECPrivateKey back =
        (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    assertEquals(key.getS(), back.getS());
  }

  @Test
  void refusesSec1WithoutNamedCurve() {
    // SEQUENCE { INTEGER 1, OCTET STRING (1 byte) }: legal SEC1, but the curve is unknown.
    byte[] sec1 = bytes(0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x07);
    DerException e = assertThrows(DerException.class, () -> Der.sec1EcToPkcs8(sec1));
    assertTrue(e.getMessage().contains("does not name its curve"), e.getMessage());
  }

  @Test
  void refusesSec1WithExplicitCurveParameters() {
    // [0] holds a SEQUENCE (explicit ECParameters) instead of an OID.
    byte[] sec1 = bytes(0x30, 0x0a, 0x02, 0x01, 0x01, 0x04, 0x01, 0x07, 0xa0, 0x02, 0x30, 0x00);
    DerException e = assertThrows(DerException.class, () -> Der.sec1EcToPkcs8(sec1));
    assertTrue(e.getMessage().contains("explicit curve parameters"), e.getMessage());
  }

  @Test
  void refusesPkcs1ThatIsNotASequenceOfIntegers() {
    assertThrows(
        DerException.class, () -> Der.pkcs1RsaToPkcs8(bytes(0x30, 0x03, 0x04, 0x01, 0x00)));
    assertThrows(DerException.class, () -> Der.pkcs1RsaToPkcs8(new byte[0]));
  }

  static byte[] resourcePem(String name) throws IOException {
    try (InputStream in = DerTest.class.getResourceAsStream(name)) {
      String text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      String body = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
      return Base64.getDecoder().decode(body);
    }
  }

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }
}
