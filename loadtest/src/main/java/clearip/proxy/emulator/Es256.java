package clearip.proxy.emulator;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * Converts ECDSA P-256 signatures between the DER form the JDK produces and verifies
 * ({@code SEQUENCE { INTEGER r, INTEGER s }}) and the fixed 64-byte {@code R || S} form JWS ES256
 * requires (RFC 7518 section 3.4).
 */
public final class Es256 {
  /** Octets of each of R and S in the JWS form (the P-256 order is 256 bits). */
  public static final int HALF = 32;

  private Es256() {}

  /**
   * DER {@code SEQUENCE { INTEGER r, INTEGER s }} to 64-byte {@code R || S}, each value
   * left-padded with zeros to 32 octets.
   *
   * @throws IllegalArgumentException when the input is not such a DER sequence, or a value does
   *     not fit in 32 octets
   */
  public static byte[] derToJose(byte[] der) {
    int p = 0;
    if (der.length < 8 || der[p++] != 0x30) throw bad("not a DER SEQUENCE");
    int[] len = new int[1];
    p = readLength(der, p, len);
    if (p + len[0] != der.length) throw bad("SEQUENCE length does not match the input");
    byte[] out = new byte[2 * HALF];
    p = readInteger(der, p, out, 0);
    p = readInteger(der, p, out, HALF);
    if (p != der.length) throw bad("trailing octets after S");
    return out;
  }

  /** 64-byte {@code R || S} to DER, for {@link java.security.Signature#verify}. */
  public static byte[] joseToDer(byte[] jose) {
    if (jose.length != 2 * HALF) {
      throw bad("ES256 signature must be " + 2 * HALF + " octets, was " + jose.length);
    }
    byte[] r = new BigInteger(1, Arrays.copyOfRange(jose, 0, HALF)).toByteArray();
    byte[] s = new BigInteger(1, Arrays.copyOfRange(jose, HALF, 2 * HALF)).toByteArray();
    // each INTEGER: 0x02, length, minimal two's-complement value (toByteArray() gives exactly that)
    int body = 2 + r.length + 2 + s.length; // < 128, so a one-octet length suffices
    byte[] out = new byte[2 + body];
    int p = 0;
    out[p++] = 0x30;
    out[p++] = (byte) body;
    out[p++] = 0x02;
    out[p++] = (byte) r.length;
    System.arraycopy(r, 0, out, p, r.length);
    p += r.length;
    out[p++] = 0x02;
    out[p++] = (byte) s.length;
    System.arraycopy(s, 0, out, p, s.length);
    return out;
  }

  private static int readLength(byte[] der, int p, int[] len) {
    if (p >= der.length) throw bad("truncated length");
    int b = der[p++] & 0xff;
    if (b < 0x80) {
      len[0] = b;
      return p;
    }
    if (b != 0x81 || p >= der.length) throw bad("unsupported DER length form");
    len[0] = der[p++] & 0xff;
    if (len[0] < 0x80) throw bad("non-minimal DER length");
    return p;
  }

  /** Reads one INTEGER at p into out[off, off+32), right-aligned; returns the next position. */
  private static int readInteger(byte[] der, int p, byte[] out, int off) {
    if (p >= der.length || der[p++] != 0x02) throw bad("expected INTEGER");
    int[] len = new int[1];
    p = readLength(der, p, len);
    int n = len[0];
    if (n == 0 || p + n > der.length) throw bad("bad INTEGER length");
    if ((der[p] & 0x80) != 0) throw bad("negative INTEGER");
    int from = p;
    int count = n;
    // drop the sign octet(s) DER adds when the top bit of the value is set
    while (count > HALF && der[from] == 0) {
      from++;
      count--;
    }
    if (count > HALF) throw bad("INTEGER longer than " + HALF + " octets");
    System.arraycopy(der, from, out, off + HALF - count, count);
    return p + n;
  }

  private static IllegalArgumentException bad(String why) {
    return new IllegalArgumentException("malformed ECDSA signature: " + why);
  }
}
