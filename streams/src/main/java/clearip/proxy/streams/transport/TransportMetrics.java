package clearip.proxy.streams.transport;

/**
 * Counters the transports report to; ops implements it with real meters. Every method is called
 * on hot paths (stream and IO threads): implementations must be cheap and must not block. The
 * defaults do nothing.
 */
public interface TransportMetrics {

  /** Does nothing; the default when no metrics are wired. */
  TransportMetrics NONE = new TransportMetrics() {};

  /** Why an inbound connection was closed at accept. */
  enum Refusal {
    /** The source is not on the allow-list. */
    ACCESS_LIST,
    /** The listener already holds the maximum number of connections. */
    TOTAL_LIMIT,
    /** The source address already holds the maximum number of connections. */
    PER_SOURCE_LIMIT
  }

  /** A UDP datagram was read from a listening socket (keep-alives and drops included). */
  default void datagramIn() {}

  /** A UDP datagram was handed to a listening socket for sending. */
  default void datagramOut() {}

  /** A well-formed message was handed to the inbound handler. */
  default void messageIn(Transport transport) {}

  /** A message was queued for sending (reply, stateless response, or {@link Sender} send). */
  default void messageOut(Transport transport) {}

  /** A datagram or connection was refused because its source is not on the allow-list. */
  default void droppedByAccessList(Transport transport) {}

  /** A malformed message (or broken stream framing) was received. */
  default void malformed(Transport transport, boolean request) {}

  /** An inbound connection was accepted. */
  default void connectionAccepted(Transport transport) {}

  /** An inbound connection was closed at accept. */
  default void connectionRefused(Transport transport, Refusal reason) {}

  /** A connection (inbound or outbound) was opened; pairs with {@link #connectionClosed}. */
  default void connectionOpened(Transport transport, boolean outbound) {}

  /** A connection (inbound or outbound) ended, for whatever reason. */
  default void connectionClosed(Transport transport, boolean outbound) {}

  /** A message was not sent because a bounded outbound queue (or the UDP socket) was full. */
  default void queueFull(Transport transport) {}

  /** A {@link Sender} send was reported as {@link SendResult.Failed}. */
  default void sendFailed(Transport transport) {}
}
