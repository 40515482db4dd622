package clearip.proxy.ops.trace;

import java.nio.ByteBuffer;

/**
 * Classic libpcap encoding (big-endian, microsecond timestamps, LINKTYPE_RAW): the file header,
 * and one record per packet with a synthesised IPv4 or IPv6 header and a UDP or TCP header
 * carrying the real addresses and ports, all checksums correct. Pure functions.
 *
 * <p>TCP segments carry PSH+ACK with the sequence and acknowledgement numbers given by the
 * caller ({@link TcpSequences}), so that Wireshark follows each connection as one stream.
 */
final class PcapRecords {
  static final int MAGIC = 0xa1b2c3d4;
  /** Raw IP: the version nibble tells IPv4 from IPv6. */
  static final int LINKTYPE_RAW = 101;
  static final int SNAPLEN = 262_144;
  static final int FILE_HEADER_SIZE = 24;
  static final int RECORD_HEADER_SIZE = 16;
  static final int PROTO_TCP = 6;
  static final int PROTO_UDP = 17;
  /** Largest payload in one synthesised packet: IP lengths are 16 bits. */
  static final int MAX_PAYLOAD = 65_535 - 20 - 20;
  /** TCP flags of every segment: PSH and ACK. */
  static final int TCP_PSH_ACK = 0x18;

  private PcapRecords() {}

  static byte[] fileHeader() {
    ByteBuffer b = ByteBuffer.allocate(FILE_HEADER_SIZE);
    b.putInt(MAGIC).putShort((short) 2).putShort((short) 4) // version 2.4
        .putInt(0).putInt(0) // GMT, timestamp accuracy
        .putInt(SNAPLEN).putInt(LINKTYPE_RAW);
    return b.array();
  }

  /** A UDP datagram; the payload is cut at {@link #MAX_PAYLOAD} (never reached by SIP). */
  static byte[] udp(long epochMicros, Endpoints e, int ipId, byte[] payload, int off, int len) {
    return packet(epochMicros, e, ipId, PROTO_UDP, 0, 0, payload, off,
        Math.min(len, MAX_PAYLOAD));
  }

  /** One TCP segment of at most {@link #MAX_PAYLOAD} bytes. */
  static byte[] tcp(long epochMicros, Endpoints e, int ipId, long seq, long ack, byte[] payload,
      int off, int len) {
    if (len > MAX_PAYLOAD) throw new IllegalArgumentException("segment too large: " + len);
    return packet(epochMicros, e, ipId, PROTO_TCP, seq, ack, payload, off, len);
  }

  private static byte[] packet(long epochMicros, Endpoints e, int ipId, int proto, long seq,
      long ack, byte[] payload, int off, int len) {
    int ipLen = e.ipv4() ? 20 : 40;
    int l4Len = (proto == PROTO_UDP ? 8 : 20) + len;
    int total = ipLen + l4Len;
    byte[] out = new byte[RECORD_HEADER_SIZE + total];
    ByteBuffer b = ByteBuffer.wrap(out);
    b.putInt((int) (epochMicros / 1_000_000)).putInt((int) (epochMicros % 1_000_000))
        .putInt(total).putInt(total);
    int ip = b.position();
    if (e.ipv4()) {
      b.put((byte) 0x45).put((byte) 0).putShort((short) total).putShort((short) ipId)
          .putShort((short) 0x4000) // don't fragment
          .put((byte) 64).put((byte) proto).putShort((short) 0).put(e.src).put(e.dst);
      b.putShort(ip + 10, (short) checksum(out, ip, 20, 0));
    } else {
      b.putInt(0x6000_0000).putShort((short) l4Len).put((byte) proto).put((byte) 64)
          .put(e.src).put(e.dst);
    }
    int l4 = b.position();
    b.putShort((short) e.srcPort).putShort((short) e.dstPort);
    int checksumAt;
    if (proto == PROTO_UDP) {
      b.putShort((short) l4Len);
      checksumAt = b.position();
      b.putShort((short) 0);
    } else {
      b.putInt((int) seq).putInt((int) ack).put((byte) 0x50) // data offset: 5 words
          .put((byte) TCP_PSH_ACK).putShort((short) 0xffff);
      checksumAt = b.position();
      b.putShort((short) 0).putShort((short) 0); // checksum, urgent pointer
    }
    b.put(payload, off, len);
    int sum = checksum(out, l4, l4Len, pseudoHeaderSum(e, proto, l4Len));
    if (proto == PROTO_UDP && sum == 0) sum = 0xffff; // 0 means "no checksum" in UDP
    b.putShort(checksumAt, (short) sum);
    return out;
  }

  /** The sum of the IPv4 or IPv6 pseudo-header, not yet folded or complemented. */
  static long pseudoHeaderSum(Endpoints e, int proto, int l4Len) {
    long sum = words(e.src) + words(e.dst) + proto;
    sum += e.ipv4() ? l4Len : ((l4Len >>> 16) + (l4Len & 0xffff));
    return sum;
  }

  /** The Internet checksum (RFC 1071) of {@code len} bytes, starting from {@code initial}. */
  static int checksum(byte[] b, int off, int len, long initial) {
    long sum = initial;
    int i = off;
    int end = off + len;
    for (; i + 1 < end; i += 2) sum += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
    if (i < end) sum += (b[i] & 0xff) << 8;
    while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
    return (int) (~sum & 0xffff);
  }

  private static long words(byte[] a) {
    long sum = 0;
    for (int i = 0; i < a.length; i += 2) sum += ((a[i] & 0xff) << 8) | (a[i + 1] & 0xff);
    return sum;
  }
}
