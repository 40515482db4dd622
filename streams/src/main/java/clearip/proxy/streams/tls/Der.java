package clearip.proxy.streams.tls;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * Owns the little DER (ASN.1) reading and writing needed to turn traditional OpenSSL key files
 * (PKCS#1 RSA, SEC1 EC) into PKCS#8, which is the only private key encoding the JDK reads.
 */
final class Der {
  static final int INTEGER = 0x02;
  static final int BIT_STRING = 0x03;
  static final int OCTET_STRING = 0x04;
  static final int NULL = 0x05;
  static final int OBJECT_IDENTIFIER = 0x06;
  static final int SEQUENCE = 0x30;
  static final int CONTEXT_0 = 0xa0;

  // Whole TLVs, so they can be compared and embedded as they are.
  static final byte[] OID_RSA_ENCRYPTION =
      bytes(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01);
  static final byte[] OID_EC_PUBLIC_KEY =
      bytes(0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);
  private static final byte[] VERSION_0 = bytes(0x02, 0x01, 0x00);
  private static final byte[] DER_NULL = bytes(0x05, 0x00);

  private Der() {}

  /** Malformed or unsupported DER; the message says what, for an operator. */
  static final class DerException extends Exception {
    private static final long serialVersionUID = 1L;

    DerException(String message) {
      super(message);
    }
  }

  /** One tag-length-value inside {@code buf}. */
  record Tlv(int tag, byte[] buf, int start, int valueStart, int end) {
    byte[] value() {
      return Arrays.copyOfRange(buf, valueStart, end);
    }

    /** The whole TLV, tag and length included. */
    byte[] encoded() {
      return Arrays.copyOfRange(buf, start, end);
    }

    Reader contents() {
      return new Reader(buf, valueStart, end);
    }
  }

  /** Reads consecutive TLVs from a slice of a byte array, checking every length against it. */
  static final class Reader {
    private final byte[] buf;
    private final int end;
    private int pos;

    Reader(byte[] buf) {
      this(buf, 0, buf.length);
    }

    Reader(byte[] buf, int from, int end) {
      this.buf = buf;
      this.pos = from;
      this.end = end;
    }

    boolean hasMore() {
      return pos < end;
    }

    Tlv next() throws DerException {
      int start = pos;
      if (end - pos < 2) {
        throw new DerException("truncated DER at byte " + pos);
      }
      int tag = buf[pos++] & 0xff;
      if ((tag & 0x1f) == 0x1f) {
        throw new DerException("unsupported multi-byte DER tag at byte " + start);
      }
      int first = buf[pos++] & 0xff;
      int length;
      if (first < 0x80) {
        length = first;
      } else if (first == 0x80) {
        throw new DerException("indefinite length (BER, not DER) at byte " + start);
      } else {
        int count = first & 0x7f;
        if (count > 3) {
          // Key files are far below 16 MiB; anything longer is garbage, not a key.
          throw new DerException("DER length too large at byte " + start);
        }
        if (end - pos < count) {
          throw new DerException("truncated DER length at byte " + start);
        }
        length = 0;
        for (int i = 0; i < count; i++) {
          length = (length << 8) | (buf[pos++] & 0xff);
        }
        if (length < 0x80 || (buf[pos - count] & 0xff) == 0) {
          throw new DerException("non-minimal DER length at byte " + start);
        }
      }
      if (length > end - pos) {
        throw new DerException(
            "DER value at byte "
                + start
                + " claims "
                + length
                + " bytes, only "
                + (end - pos)
                + " left");
      }
      int valueStart = pos;
      pos += length;
      return new Tlv(tag, buf, start, valueStart, pos);
    }

    Tlv next(int expectedTag, String what) throws DerException {
      if (!hasMore()) {
        throw new DerException(what + " is missing");
      }
      Tlv tlv = next();
      if (tlv.tag() != expectedTag) {
        throw new DerException(
            what
                + " has DER tag 0x"
                + Integer.toHexString(tlv.tag())
                + ", expected 0x"
                + Integer.toHexString(expectedTag));
      }
      return tlv;
    }
  }

  /** Reads {@code der} as exactly one TLV with the given tag and nothing after it. */
  static Tlv single(byte[] der, int expectedTag, String what) throws DerException {
    Reader reader = new Reader(der);
    Tlv tlv = reader.next(expectedTag, what);
    if (reader.hasMore()) {
      throw new DerException(what + " is followed by " + (der.length - tlv.end()) + " extra bytes");
    }
    return tlv;
  }

  /** Encodes one TLV whose value is the concatenation of {@code parts}. */
  static byte[] encode(int tag, byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(length + 6);
    out.write(tag);
    out.writeBytes(encodeLength(length));
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  /** DER definite length: short form below 128, else 0x80|n followed by n big-endian bytes. */
  static byte[] encodeLength(int length) {
    if (length < 0) {
      throw new IllegalArgumentException("negative length " + length);
    }
    if (length < 0x80) {
      return new byte[] {(byte) length};
    }
    int count = (Integer.SIZE - Integer.numberOfLeadingZeros(length) + 7) / 8;
    byte[] out = new byte[count + 1];
    out[0] = (byte) (0x80 | count);
    for (int i = count; i > 0; i--) {
      out[i] = (byte) length;
      length >>>= 8;
    }
    return out;
  }

  /**
   * Wraps a PKCS#1 {@code RSAPrivateKey} into a PKCS#8 {@code PrivateKeyInfo} (RFC 5208): version
   * 0, algorithm rsaEncryption with NULL parameters (RFC 8017 A.1), the PKCS#1 bytes as the octet
   * string.
   */
  static byte[] pkcs1RsaToPkcs8(byte[] pkcs1) throws DerException {
    Reader fields = single(pkcs1, SEQUENCE, "RSAPrivateKey").contents();
    fields.next(INTEGER, "RSAPrivateKey version");
    fields.next(INTEGER, "RSAPrivateKey modulus");
    return encode(
        SEQUENCE,
        VERSION_0,
        encode(SEQUENCE, OID_RSA_ENCRYPTION, DER_NULL),
        encode(OCTET_STRING, pkcs1));
  }

  /**
   * Wraps a SEC1 {@code ECPrivateKey} (RFC 5915) into PKCS#8 (RFC 5208 / RFC 5480): the curve OID
   * moves from the key's optional {@code [0] parameters} into the algorithm identifier, and the
   * SEC1 bytes stay whole as the octet string (the JDK ignores the repeated parameters and public
   * key).
   */
  static byte[] sec1EcToPkcs8(byte[] sec1) throws DerException {
    Reader fields = single(sec1, SEQUENCE, "ECPrivateKey").contents();
    Tlv version = fields.next(INTEGER, "ECPrivateKey version");
    if (!Arrays.equals(version.value(), new byte[] {1})) {
      throw new DerException("ECPrivateKey version is not 1");
    }
    fields.next(OCTET_STRING, "ECPrivateKey privateKey");
    byte[] curve = null;
    while (fields.hasMore()) {
      Tlv field = fields.next();
      if (field.tag() == CONTEXT_0) {
        Tlv parameters = field.contents().next();
        if (parameters.tag() != OBJECT_IDENTIFIER) {
          throw new DerException(
              "EC key uses explicit curve parameters; only named curves are supported");
        }
        curve = parameters.encoded();
      }
    }
    if (curve == null) {
      throw new DerException("EC key does not name its curve (no parameters field)");
    }
    return encode(
        SEQUENCE,
        VERSION_0,
        encode(SEQUENCE, OID_EC_PUBLIC_KEY, curve),
        encode(OCTET_STRING, sec1));
  }

  /** The algorithm OID (whole TLV) of a PKCS#8 {@code PrivateKeyInfo}. */
  static byte[] pkcs8AlgorithmOid(byte[] pkcs8) throws DerException {
    Reader fields = single(pkcs8, SEQUENCE, "PrivateKeyInfo").contents();
    fields.next(INTEGER, "PrivateKeyInfo version");
    Reader algorithm = fields.next(SEQUENCE, "PrivateKeyInfo algorithm").contents();
    return algorithm.next(OBJECT_IDENTIFIER, "PrivateKeyInfo algorithm OID").encoded();
  }

  /** Dotted form of an OID TLV, for messages ("1.2.840.10040.4.1"). */
  static String oidToString(byte[] oidTlv) throws DerException {
    byte[] value = single(oidTlv, OBJECT_IDENTIFIER, "OID").value();
    StringBuilder out = new StringBuilder();
    BigInteger arc = BigInteger.ZERO;
    boolean first = true;
    for (byte b : value) {
      arc = arc.shiftLeft(7).or(BigInteger.valueOf(b & 0x7f));
      if ((b & 0x80) != 0) {
        continue;
      }
      if (first) {
        // The first encoded arc packs the first two: 40 * x + y, with x at most 2.
        int x = arc.compareTo(BigInteger.valueOf(80)) >= 0 ? 2 : arc.intValue() / 40;
        out.append(x).append('.').append(arc.subtract(BigInteger.valueOf(40L * x)));
        first = false;
      } else {
        out.append('.').append(arc);
      }
      arc = BigInteger.ZERO;
    }
    if (first || arc.signum() != 0 || (value[value.length - 1] & 0x80) != 0) {
      throw new DerException("malformed OID");
    }
    return out.toString();
  }

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }
}
