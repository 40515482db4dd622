package clearip.proxy.streams.transport;

/** Outcome of sending a message to a destination, reported to whoever asked for the send. */
public sealed interface SendResult {

  /** The message was handed to the socket (not a delivery confirmation). */
  enum Sent implements SendResult { INSTANCE }

  /**
   * The destination could not be reached: connect refused or timed out, TLS handshake failed,
   * connection lost before the write, bounded queue full. RFC 3261 section 8.1.3.1 treats this as
   * a 503 from that destination.
   */
  record Failed(String reason) implements SendResult {}
}
