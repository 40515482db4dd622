package clearip.proxy.actors.call;

import clearip.proxy.actors.call.txn.Destination;
import clearip.proxy.streams.transport.SendResult;
import clearip.proxy.streams.transport.Transport;
import java.util.function.Consumer;

/** Inline mode's way out to the destinations of a 302, and our address for their Via. */
public interface Destinations {

  /**
   * Sends without blocking (resolving a host name off the actor threads if needed); the result
   * comes exactly once, from any thread.
   */
  void send(Destination destination, byte[] message, Consumer<SendResult> result);

  /** Our {@code host:port} for requests sent over that transport (Via sent-by, Record-Route). */
  String localSentBy(Transport transport);

  /** For tls-proxy mode, where nothing is sent to destinations. */
  Destinations NONE = new Destinations() {
    @Override
    public void send(Destination destination, byte[] message, Consumer<SendResult> result) {
      result.accept(new SendResult.Failed("inline mode is off"));
    }

    @Override
    public String localSentBy(Transport transport) {
      return "127.0.0.1";
    }
  };
}
