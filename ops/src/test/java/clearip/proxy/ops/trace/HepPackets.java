package clearip.proxy.ops.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads a HEPv3 packet back into its chunks (vendor 0), checking the framing on the way. */
public final class HepPackets {
  private HepPackets() {}

  public static Map<Integer, byte[]> parse(byte[] p, int length) {
    ByteBuffer b = ByteBuffer.wrap(p, 0, length);
    assertEquals("HEP3", new String(p, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
    b.position(4);
    assertEquals(length, b.getShort() & 0xffff, "HEP total length");
    Map<Integer, byte[]> chunks = new LinkedHashMap<>();
    while (b.hasRemaining()) {
      assertEquals(0, b.getShort(), "vendor id");
      int type = b.getShort() & 0xffff;
      int len = b.getShort() & 0xffff;
      byte[] v = Arrays.copyOfRange(p, b.position(), b.position() + len - 6);
      b.position(b.position() + len - 6);
      chunks.put(type, v);
    }
    return chunks;
  }

  public static int uint(byte[] v) {
    int x = 0;
    for (byte y : v) x = (x << 8) | (y & 0xff);
    return x;
  }
}
