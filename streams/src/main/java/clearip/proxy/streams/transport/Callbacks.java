package clearip.proxy.streams.transport;

import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs caller-supplied callbacks so that a throwing one cannot break a stream or an actor. */
final class Callbacks {
  private static final Logger log = LoggerFactory.getLogger(Callbacks.class);

  private Callbacks() {}

  static void run(Consumer<SendResult> callback, SendResult result) {
    try {
      callback.accept(result);
    } catch (RuntimeException e) {
      log.warn("Send result callback threw {}", e.toString());
      log.debug("Send result callback failure", e);
    }
  }
}
