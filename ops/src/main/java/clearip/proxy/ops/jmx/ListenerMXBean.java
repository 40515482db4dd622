package clearip.proxy.ops.jmx;

/** {@code clearip.proxy:type=Listener,name=<transport>-<address>}: one bound SIP listener. */
@Description("One bound SIP listener")
public interface ListenerMXBean {
  @Description("udp, tcp or tls")
  String getTransport();

  @Description("The bound address, host:port")
  String getAddress();

  @Description("Inbound connections open now on this transport (TCP and TLS; 0 for UDP)")
  int getOpenConnections();
}
