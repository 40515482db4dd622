package clearip.proxy.streams.transport;

import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * Sends requests and responses to destinations that are not the origin of a message: inline-mode
 * Contacts, and responses whose connection has gone (RFC 3261 section 18.2.2). Connections are
 * opened on demand and reused per (transport, address); UDP goes out from the listening socket.
 */
public interface Sender {

  /**
   * Sends without blocking. {@code result} is called once, from any thread, with {@link
   * SendResult.Sent} or {@link SendResult.Failed}, and after Sent perhaps once more with {@link
   * SendResult.Lost} (the connection ended soon after); it must not block either.
   *
   * @param serverName host name for TLS SNI and certificate verification, or null to verify the
   *     address itself
   */
  void send(Transport transport, InetSocketAddress destination, String serverName, byte[] message,
      Consumer<SendResult> result);
}
