package clearip.proxy.streams.framing;

/** A connection's peer took too long to send a (first) whole SIP message; it is closed. */
public final class MessageTimeoutException extends RuntimeException {
  public MessageTimeoutException(String message) {
    super(message, null, false, false);
  }
}
