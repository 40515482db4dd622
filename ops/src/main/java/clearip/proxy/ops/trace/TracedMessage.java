package clearip.proxy.ops.trace;

import clearip.proxy.streams.transport.MessageTap.Direction;
import clearip.proxy.streams.transport.Transport;
import java.net.InetSocketAddress;

/** One tapped message waiting for the writer thread; {@code message} is never modified. */
record TracedMessage(Direction direction, Transport transport, InetSocketAddress local,
    InetSocketAddress remote, byte[] message, long epochMicros) {

  /** Source and destination on the wire: the remote sent what came in, we sent what went out. */
  Endpoints endpoints() {
    return direction == Direction.IN ? Endpoints.of(remote, local) : Endpoints.of(local, remote);
  }

  /** TCP for TCP and TLS legs (the clear text of TLS, on the real TLS port), UDP otherwise. */
  boolean tcp() {
    return transport.isStream();
  }
}
