package clearip.proxy.streams.transport;

/**
 * Why the transports closed a connection themselves (handshake timeout, shutdown). Carries no
 * stack trace: it describes an expected network event, not a bug.
 */
final class TransportException extends RuntimeException {
  TransportException(String message) {
    super(message, null, false, false);
  }
}
