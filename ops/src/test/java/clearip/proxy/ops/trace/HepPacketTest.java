package clearip.proxy.ops.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HepPacketTest {
  static final byte[] SIP = "SIP/2.0 302 Moved Temporarily\r\nContent-Length: 0\r\n\r\n"
      .getBytes(StandardCharsets.US_ASCII);

  @Test
  void ipv4PacketHasEveryGenericChunk() {
    Endpoints e = Endpoints.of(new InetSocketAddress("192.0.2.1", 5061),
        new InetSocketAddress("198.51.100.7", 40001));
    byte[] p = HepPacket.encode(1_700_000_000_654_321L, e, 6, 2001,
        "secret".getBytes(StandardCharsets.US_ASCII), SIP);
    Map<Integer, byte[]> c = HepPackets.parse(p, p.length);
    assertEquals(2, HepPackets.uint(c.get(1)), "AF_INET");
    assertEquals(6, HepPackets.uint(c.get(2)), "TCP");
    assertArrayEquals(new byte[] {(byte) 192, 0, 2, 1}, c.get(3));
    assertArrayEquals(new byte[] {(byte) 198, 51, 100, 7}, c.get(4));
    assertEquals(5061, HepPackets.uint(c.get(7)));
    assertEquals(40001, HepPackets.uint(c.get(8)));
    assertEquals(1_700_000_000, HepPackets.uint(c.get(9)));
    assertEquals(654_321, HepPackets.uint(c.get(10)));
    assertEquals(1, HepPackets.uint(c.get(11)), "SIP");
    assertEquals(2001, HepPackets.uint(c.get(12)));
    assertEquals("secret", new String(c.get(14), StandardCharsets.US_ASCII));
    assertArrayEquals(SIP, c.get(15));
  }

  @Test
  void ipv6PacketUsesTheIpv6ChunksAndNoKeyWhenNoPassword() {
    Endpoints e = Endpoints.of(new InetSocketAddress("2001:db8::1", 5060),
        new InetSocketAddress("2001:db8::2", 5060));
    byte[] p = HepPacket.encode(0, e, 17, 1, new byte[0], SIP);
    Map<Integer, byte[]> c = HepPackets.parse(p, p.length);
    assertEquals(10, HepPackets.uint(c.get(1)), "AF_INET6");
    assertEquals(16, c.get(5).length);
    assertEquals(16, c.get(6).length);
    assertFalse(c.containsKey(3));
    assertFalse(c.containsKey(14));
  }

  @Test
  void aMessageTooLargeForOneDatagramIsNotEncoded() {
    Endpoints e = Endpoints.of(new InetSocketAddress("192.0.2.1", 1),
        new InetSocketAddress("192.0.2.2", 2));
    assertNull(HepPacket.encode(0, e, 6, 1, new byte[0], new byte[65_500]));
  }
}
