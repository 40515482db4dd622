package clearip.proxy.streams.transport;

/**
 * What happened to a message offered to a connection's bounded outbound queue (ClearIP's, a
 * switch's or a destination's); known at once, never later.
 */
public enum Offer {
  /** Queued for writing on the connection. */
  ENQUEUED,
  /** The bounded queue is full: the peer or the link is not keeping up. */
  FULL,
  /** The connection is not up (closed, or ClearIP's not connected). */
  CLOSED
}
