package clearip.proxy.streams.transport;

import java.net.InetSocketAddress;

/**
 * Where a message came from, and the way back to it: the connection it arrived on (TCP, TLS) or
 * the socket it arrived at (UDP), per RFC 3261 section 18.2.2.
 */
public interface Origin {

  Transport transport();

  /** The peer's address and port as seen on the wire. */
  InetSocketAddress remote();

  /** Our listening address and port the message arrived at. */
  InetSocketAddress local();

  /**
   * Sends a message back: on the same connection (TCP/TLS), or from the same socket to
   * {@link #remote()} (UDP). Never blocks.
   *
   * @return false when it could not be sent (connection closed, its bounded queue full)
   */
  boolean reply(byte[] message);

  /** True while the connection is open (always true for UDP). */
  boolean isOpen();

  /**
   * Closes the connection (TCP, TLS) once what is already queued on it is sent; nothing for UDP.
   * Never blocks.
   */
  default void close() {}
}
