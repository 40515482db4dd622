package clearip.proxy.streams.transport;

import java.net.InetSocketAddress;

/**
 * Sees every SIP message the proxy receives or sends, in clear text: after TLS decryption on the
 * way in, before TLS encryption on the way out. Installed per actor system through {@link
 * MessageTaps}; {@link #NONE} (the default) costs one volatile read per message and allocates
 * nothing.
 *
 * <p>Called on stream, actor and IO threads, so an implementation must not block (queue and
 * return). It must not modify {@code message}; it may keep it, since message arrays are never
 * modified once received or handed to a transport.
 */
@FunctionalInterface
public interface MessageTap {

  /** Whether the proxy received the message or sent it. */
  enum Direction { IN, OUT }

  /** Taps nothing. */
  MessageTap NONE = (direction, transport, local, remote, message) -> {};

  /**
   * One message, whole (a datagram, a stream frame, or a message queued on a connection).
   *
   * @param transport the transport of this leg: TLS legs are reported as TLS with the clear text
   * @param local our end: the listening socket (UDP) or the connection's local address; null
   *     only when it is not known (an upstream connection racing its own connect)
   * @param remote the peer's address and port as seen on the wire
   */
  void onMessage(Direction direction, Transport transport, InetSocketAddress local,
      InetSocketAddress remote, byte[] message);
}
