package clearip.proxy.ops.jmx;

/** {@code clearip.proxy:type=Listener,name=<transport>-<address>}: one bound SIP listener. */
public interface ListenerMXBean {
  /** udp, tcp or tls. */
  String getTransport();

  /** The bound address, host:port. */
  String getAddress();

  /** Inbound connections open now on this transport (TCP and TLS; 0 for UDP). */
  int getOpenConnections();
}
