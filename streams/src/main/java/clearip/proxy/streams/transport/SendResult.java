package clearip.proxy.streams.transport;

/** Outcome of sending a message to a destination, reported to whoever asked for the send. */
public sealed interface SendResult {

  /**
   * The message was handed to the socket (not a delivery confirmation). A {@link Lost} may
   * follow.
   */
  enum Sent implements SendResult { INSTANCE }

  /**
   * After {@link Sent}: the TCP/TLS connection that carried the message ended soon after (within
   * {@link #WATCH_NANOS}), e.g. reset by the peer, and whether the peer read the message is
   * unknown; or the UDP destination's host said its port is closed (ICMP port unreachable, see
   * {@link PortUnreachableWatch}). A request that got no answer yet is best taken as failed.
   */
  record Lost(String reason) implements SendResult {}

  /** How long after a send a lost connection is still reported as {@link Lost}. */
  long WATCH_NANOS = 32_000_000_000L;

  /**
   * The destination could not be reached: connect refused or timed out, TLS handshake failed,
   * connection lost before the write, bounded queue full. RFC 3261 section 8.1.3.1 treats this as
   * a 503 from that destination.
   *
   * @param notConnected no connection to the destination could be made (TCP/TLS connect refused
   *     or timed out, handshake failed): the destination does not take this transport, as far as
   *     we can tell. False for everything else (a local limit, a connection lost after it was up,
   *     UDP).
   */
  record Failed(String reason, boolean notConnected) implements SendResult {
    public Failed(String reason) {
      this(reason, false);
    }
  }
}
