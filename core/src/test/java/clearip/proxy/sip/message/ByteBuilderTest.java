package clearip.proxy.sip.message;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ByteBuilderTest {
  @Test
  void growsAndEncodesTextAsUtf8() {
    ByteBuilder b = new ByteBuilder(2);
    b.append("CSeq: ").appendDecimal(4_294_967_295L).append((byte) ' ').append("Zoë")
        .append(new byte[] {'!', '?'}, 0, 1).appendDecimal(0).appendDecimal(-7);
    assertArrayEquals("CSeq: 4294967295 Zoë!0-7".getBytes(StandardCharsets.UTF_8),
        b.toByteArray());
  }

  @Test
  void takeHandsOverAnExactlyFullArrayAndCopiesOtherwise() {
    ByteBuilder exact = new ByteBuilder(3).append("ACK");
    byte[] taken = exact.take();
    assertEquals("ACK", new String(taken, StandardCharsets.US_ASCII));
    ByteBuilder roomy = new ByteBuilder(8).append("ACK");
    assertEquals(3, roomy.take().length);
    ByteBuilder reused = new ByteBuilder(3).append("BYE");
    assertNotSame(reused.toByteArray(), reused.toByteArray(), "toByteArray always copies");
  }
}
