package clearip.proxy.streams.transport;

import java.net.InetSocketAddress;
import java.util.List;

/** The addresses the listeners actually bound, in configuration order (real ports for port 0). */
public record BoundAddresses(List<InetSocketAddress> udp, List<InetSocketAddress> tcp,
    List<InetSocketAddress> tls) {

  public BoundAddresses {
    udp = List.copyOf(udp);
    tcp = List.copyOf(tcp);
    tls = List.copyOf(tls);
  }

  public List<InetSocketAddress> of(Transport transport) {
    return switch (transport) {
      case UDP -> udp;
      case TCP -> tcp;
      case TLS -> tls;
    };
  }
}
