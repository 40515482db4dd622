package clearip.proxy.emulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Es256Test {

  @Test
  void jdkSignaturesSurviveTheRoundTripAndStillVerify() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair kp = g.generateKeyPair();
    Signature signer = Signature.getInstance("SHA256withECDSA");
    Signature verifier = Signature.getInstance("SHA256withECDSA");
    boolean sawHighBit = false;
    // among 200 signatures a value with its top bit set (DER then adds a 0x00 sign octet) is
    // all but certain; short values are rarer and covered by padsShortValuesAndDropsSignOctets
    for (int i = 0; i < 200; i++) {
      byte[] data = ("message " + i).getBytes(StandardCharsets.US_ASCII);
      signer.initSign(kp.getPrivate());
      signer.update(data);
      byte[] der = signer.sign();
      byte[] jose = Es256.derToJose(der);
      assertEquals(64, jose.length);
      BigInteger r = new BigInteger(1, Arrays.copyOfRange(jose, 0, 32));
      BigInteger s = new BigInteger(1, Arrays.copyOfRange(jose, 32, 64));
      sawHighBit |= r.bitLength() == 256 || s.bitLength() == 256;
      assertArrayEquals(der, Es256.joseToDer(jose), "DER re-encoding must be identical");
      verifier.initVerify(kp.getPublic());
      verifier.update(data);
      assertTrue(verifier.verify(Es256.joseToDer(jose)));
    }
    assertTrue(sawHighBit);
  }

  @Test
  void padsShortValuesAndDropsSignOctets() {
    // r = 0x01 (one octet), s = 0x80 followed by 31 octets (needs a 0x00 sign octet in DER)
    byte[] s = new byte[33];
    s[1] = (byte) 0x80;
    s[32] = 0x01;
    byte[] der = new byte[2 + 3 + 2 + 33];
    der[0] = 0x30;
    der[1] = (byte) (3 + 2 + 33);
    der[2] = 0x02;
    der[3] = 1;
    der[4] = 1;
    der[5] = 0x02;
    der[6] = 33;
    System.arraycopy(s, 0, der, 7, 33);
    byte[] jose = Es256.derToJose(der);
    byte[] expected = new byte[64];
    expected[31] = 1;
    expected[32] = (byte) 0x80;
    expected[63] = 0x01;
    assertArrayEquals(expected, jose);
    assertArrayEquals(der, Es256.joseToDer(jose));
  }

  @Test
  void rejectsMalformedInput() {
    assertThrows(IllegalArgumentException.class, () -> Es256.derToJose(new byte[] {0x30, 0}));
    assertThrows(IllegalArgumentException.class,
        () -> Es256.derToJose(new byte[] {0x31, 6, 2, 1, 1, 2, 1, 1}));
    assertThrows(IllegalArgumentException.class,
        () -> Es256.derToJose(new byte[] {0x30, 7, 2, 1, 1, 2, 1, 1})); // length mismatch
    assertThrows(IllegalArgumentException.class,
        () -> Es256.derToJose(new byte[] {0x30, 6, 2, 1, (byte) 0x81, 2, 1, 1})); // negative
    byte[] tooLong = new byte[2 + 2 + 33 + 3];
    tooLong[0] = 0x30;
    tooLong[1] = (byte) (2 + 33 + 3);
    tooLong[2] = 0x02;
    tooLong[3] = 33;
    tooLong[4] = 0x01; // 33 significant octets
    tooLong[37] = 0x02;
    tooLong[38] = 1;
    tooLong[39] = 1;
    assertThrows(IllegalArgumentException.class, () -> Es256.derToJose(tooLong));
    assertThrows(IllegalArgumentException.class, () -> Es256.joseToDer(new byte[63]));
  }
}
