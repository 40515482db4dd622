package clearip.proxy.ops.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class PcapRecordsTest {
  static final byte[] SIP = ("INVITE sip:14016401234@192.0.2.9 SIP/2.0\r\n"
      + "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
  static final long T = 1_700_000_000_123_456L;

  static InetSocketAddress at(String host, int port) {
    return new InetSocketAddress(host, port);
  }

  @Test
  void fileHeaderIsClassicPcapOfRawIp() {
    ByteBuffer h = ByteBuffer.wrap(PcapRecords.fileHeader());
    assertEquals(24, h.remaining());
    assertEquals(0xa1b2c3d4, h.getInt());
    assertEquals(2, h.getShort());
    assertEquals(4, h.getShort());
    assertEquals(0, h.getInt());
    assertEquals(0, h.getInt());
    assertEquals(PcapRecords.SNAPLEN, h.getInt());
    assertEquals(101, h.getInt());
  }

  @Test
  void checksumMatchesTheTextbookIpv4Example() {
    byte[] header = HexFormat.of().parseHex("450000730000400040110000c0a80001c0a800c7");
    assertEquals(0xb861, PcapRecords.checksum(header, 0, header.length, 0));
  }

  @Test
  void ipv4UdpRecordCarriesTheRealAddressesAndValidChecksums() {
    Endpoints e = Endpoints.of(at("192.0.2.1", 40000), at("198.51.100.7", 5060));
    byte[] r = PcapRecords.udp(T, e, 7, SIP, 0, SIP.length);
    ByteBuffer b = ByteBuffer.wrap(r);
    assertEquals(1_700_000_000, b.getInt(0));
    assertEquals(123_456, b.getInt(4));
    int total = 20 + 8 + SIP.length;
    assertEquals(total, b.getInt(8));
    assertEquals(total, b.getInt(12));
    int ip = 16;
    assertEquals(0x45, r[ip] & 0xff);
    assertEquals(total, b.getShort(ip + 2) & 0xffff);
    assertEquals(7, b.getShort(ip + 4));
    assertEquals(0x4000, b.getShort(ip + 6));
    assertEquals(64, r[ip + 8]);
    assertEquals(17, r[ip + 9]);
    assertArrayEquals(new byte[] {(byte) 192, 0, 2, 1}, Arrays.copyOfRange(r, ip + 12, ip + 16));
    assertArrayEquals(new byte[] {(byte) 198, 51, 100, 7},
        Arrays.copyOfRange(r, ip + 16, ip + 20));
    assertEquals(0, PcapRecords.checksum(r, ip, 20, 0), "IPv4 header checksum");
    int udp = ip + 20;
    assertEquals(40000, b.getShort(udp) & 0xffff);
    assertEquals(5060, b.getShort(udp + 2) & 0xffff);
    assertEquals(8 + SIP.length, b.getShort(udp + 4));
    assertUdpOrTcpChecksumValid(r, e, 17, udp);
    assertArrayEquals(SIP, Arrays.copyOfRange(r, udp + 8, r.length));
  }

  @Test
  void ipv4TcpSegmentCarriesSequenceAckAndValidChecksum() {
    Endpoints e = Endpoints.of(at("127.0.0.1", 51000), at("127.0.0.1", 5061));
    byte[] r = PcapRecords.tcp(T, e, 1, 0xfffffff0L, 1234, SIP, 0, SIP.length);
    ByteBuffer b = ByteBuffer.wrap(r);
    int ip = 16;
    assertEquals(6, r[ip + 9]);
    assertEquals(20 + 20 + SIP.length, b.getShort(ip + 2));
    assertEquals(0, PcapRecords.checksum(r, ip, 20, 0));
    int tcp = ip + 20;
    assertEquals(51000, b.getShort(tcp) & 0xffff);
    assertEquals(5061, b.getShort(tcp + 2) & 0xffff);
    assertEquals(0xfffffff0L, b.getInt(tcp + 4) & 0xffffffffL);
    assertEquals(1234, b.getInt(tcp + 8));
    assertEquals(0x50, r[tcp + 12] & 0xff, "data offset 5 words");
    assertEquals(0x18, r[tcp + 13], "PSH+ACK");
    assertEquals(0xffff, b.getShort(tcp + 14) & 0xffff);
    assertUdpOrTcpChecksumValid(r, e, 6, tcp);
    assertArrayEquals(SIP, Arrays.copyOfRange(r, tcp + 20, r.length));
  }

  @Test
  void ipv6UdpRecordHasTheIpv6HeaderAndValidChecksum() {
    Endpoints e = Endpoints.of(at("2001:db8::1", 5060), at("2001:db8::2", 5062));
    byte[] odd = Arrays.copyOf(SIP, SIP.length + 1); // odd length: the checksum pads
    odd[SIP.length] = 'x';
    byte[] r = PcapRecords.udp(T, e, 1, odd, 0, odd.length);
    ByteBuffer b = ByteBuffer.wrap(r);
    int ip = 16;
    assertEquals(6, (r[ip] & 0xf0) >> 4);
    assertEquals(8 + odd.length, b.getShort(ip + 4));
    assertEquals(17, r[ip + 6]);
    assertEquals(64, r[ip + 7]);
    assertEquals(0x20, r[ip + 8] & 0xff);
    assertEquals(1, r[ip + 23]);
    assertEquals(2, r[ip + 39]);
    assertUdpOrTcpChecksumValid(r, e, 17, ip + 40);
    assertEquals(16 + 40 + 8 + odd.length, r.length);
  }

  @Test
  void mixedFamiliesAreWrittenAsIpv4MappedIpv6() {
    Endpoints e = Endpoints.of(at("2001:db8::1", 5060), at("192.0.2.1", 5060));
    assertEquals(16, e.dst.length);
    assertEquals((byte) 0xff, e.dst[10]);
    assertEquals((byte) 192, e.dst[12]);
  }

  @Test
  void anIpv6WildcardNextToAnIpv4PeerBecomesTheIpv4Wildcard() {
    Endpoints e = Endpoints.of(at("::", 5060), at("192.0.2.1", 5060));
    assertEquals(4, e.src.length);
  }

  @Test
  void anUnknownEndIsTheUnspecifiedAddressAndPortZero() {
    Endpoints e = Endpoints.of(null, at("192.0.2.1", 5061));
    assertArrayEquals(new byte[4], e.src);
    assertEquals(0, e.srcPort);
  }

  /** Checksumming a segment with its own checksum in place, over the pseudo-header, gives 0. */
  static void assertUdpOrTcpChecksumValid(byte[] r, Endpoints e, int proto, int l4) {
    int len = r.length - l4;
    assertEquals(0, PcapRecords.checksum(r, l4, len, PcapRecords.pseudoHeaderSum(e, proto, len)),
        "transport checksum");
  }
}
