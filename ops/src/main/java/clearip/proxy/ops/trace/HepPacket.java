package clearip.proxy.ops.trace;

import java.nio.ByteBuffer;

/**
 * HEPv3 encoding (the Homer encapsulation protocol): "HEP3", the total length, then chunks of
 * vendor id, type id, length (header included) and value, network byte order. Only generic
 * chunks (vendor 0) are written. Pure functions.
 */
final class HepPacket {
  static final byte[] MAGIC = {'H', 'E', 'P', '3'};
  static final int FAMILY = 1;
  static final int PROTOCOL = 2;
  static final int IPV4_SRC = 3;
  static final int IPV4_DST = 4;
  static final int IPV6_SRC = 5;
  static final int IPV6_DST = 6;
  static final int SRC_PORT = 7;
  static final int DST_PORT = 8;
  static final int SECONDS = 9;
  static final int MICROS = 10;
  static final int PROTO_TYPE = 11;
  static final int CAPTURE_ID = 12;
  static final int AUTH_KEY = 14;
  static final int PAYLOAD = 15;
  /** Address families as HEP writes them (the BSD socket values). */
  static final int AF_INET = 2;
  static final int AF_INET6 = 10;
  /** Payload protocol type 1: SIP. */
  static final int SIP = 1;
  /** Largest UDP payload the collector can receive. */
  static final int MAX_PACKET = 65_507;
  private static final int CHUNK_HEADER = 6;

  private HepPacket() {}

  /** The packet for one message, or null when it would not fit in one datagram. */
  static byte[] encode(long epochMicros, Endpoints e, int ipProtocol, int captureId,
      byte[] authKey, byte[] payload) {
    int addr = e.src.length;
    int size = 6 + (CHUNK_HEADER + 1) * 2 + (CHUNK_HEADER + addr) * 2 + (CHUNK_HEADER + 2) * 2
        + (CHUNK_HEADER + 4) * 2 + (CHUNK_HEADER + 1) + (CHUNK_HEADER + 4)
        + (authKey.length > 0 ? CHUNK_HEADER + authKey.length : 0)
        + CHUNK_HEADER + payload.length;
    if (size > MAX_PACKET) return null;
    ByteBuffer b = ByteBuffer.allocate(size);
    b.put(MAGIC).putShort((short) size);
    chunk(b, FAMILY, 1).put((byte) (e.ipv4() ? AF_INET : AF_INET6));
    chunk(b, PROTOCOL, 1).put((byte) ipProtocol);
    chunk(b, e.ipv4() ? IPV4_SRC : IPV6_SRC, addr).put(e.src);
    chunk(b, e.ipv4() ? IPV4_DST : IPV6_DST, addr).put(e.dst);
    chunk(b, SRC_PORT, 2).putShort((short) e.srcPort);
    chunk(b, DST_PORT, 2).putShort((short) e.dstPort);
    chunk(b, SECONDS, 4).putInt((int) (epochMicros / 1_000_000));
    chunk(b, MICROS, 4).putInt((int) (epochMicros % 1_000_000));
    chunk(b, PROTO_TYPE, 1).put((byte) SIP);
    chunk(b, CAPTURE_ID, 4).putInt(captureId);
    if (authKey.length > 0) chunk(b, AUTH_KEY, authKey.length).put(authKey);
    chunk(b, PAYLOAD, payload.length).put(payload);
    return b.array();
  }

  private static ByteBuffer chunk(ByteBuffer b, int type, int valueLength) {
    return b.putShort((short) 0).putShort((short) type)
        .putShort((short) (CHUNK_HEADER + valueLength));
  }
}
