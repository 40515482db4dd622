package clearip.proxy.streams.transport;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.pekko.util.ByteString;

/**
 * One message waiting in a connection's bounded queue, with the callback to tell its fate to
 * ({@link Sender} sends) or none (replies, pongs). The callback runs once, and once more with
 * {@link SendResult.Lost} when the connection ends soon after the send.
 */
final class Outgoing {
  final ByteString bytes;
  private final Consumer<SendResult> callback;
  private final AtomicBoolean done;
  private final AtomicBoolean lost = new AtomicBoolean();
  /** When the stream took it on an established connection (Sent); for the watch window. */
  volatile long sentNanos;
  /** Set when the stream took the message, possibly before the connection was established. */
  volatile boolean emitted;

  Outgoing(ByteString bytes, Consumer<SendResult> callback) {
    this.bytes = bytes;
    this.callback = callback;
    this.done = callback == null ? null : new AtomicBoolean();
  }

  boolean tracked() {
    return callback != null;
  }

  /** After Sent, reports that the connection was lost; at most once. */
  void lose(String reason) {
    if (callback == null || !done.get() || !lost.compareAndSet(false, true)) return;
    Callbacks.run(callback, new SendResult.Lost(reason));
  }

  /** Reports the result unless one was reported already; true when this call reported it. */
  boolean complete(SendResult result) {
    if (callback == null || !done.compareAndSet(false, true)) return false;
    Callbacks.run(callback, result);
    return true;
  }
}
