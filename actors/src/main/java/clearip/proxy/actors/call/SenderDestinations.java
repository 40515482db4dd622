package clearip.proxy.actors.call;

import clearip.proxy.actors.call.txn.Destination;
import clearip.proxy.streams.transport.BoundAddresses;
import clearip.proxy.streams.transport.SendResult;
import clearip.proxy.streams.transport.Sender;
import clearip.proxy.streams.transport.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Inline mode's {@link Destinations} over the transports' {@link Sender}: IP literals go out at
 * once, host names are resolved on the blocking dispatcher first (A/AAAA, first address).
 */
public final class SenderDestinations implements Destinations {
  private final String advertise;
  private final Executor blocking;
  private volatile Sender sender;
  private volatile Map<Transport, String> sentBy = Map.of();

  public SenderDestinations(String advertise, Executor blocking) {
    this.advertise = advertise;
    this.blocking = blocking;
  }

  public void sender(Sender s) {
    this.sender = s;
  }

  /** Our addresses, once the listeners are bound. */
  public void bound(BoundAddresses b) {
    Map<Transport, String> m = new EnumMap<>(Transport.class);
    for (Transport t : Transport.values()) {
      List<InetSocketAddress> list = b.of(t);
      if (list.isEmpty()) list = b.udp().isEmpty() ? b.tcp() : b.udp();
      if (!list.isEmpty()) m.put(t, hostPort(list.get(0)));
    }
    sentBy = m;
  }

  private String hostPort(InetSocketAddress a) {
    String host;
    if (!advertise.isEmpty()) {
      host = advertise;
    } else if (a.getAddress().isAnyLocalAddress()) {
      try {
        host = InetAddress.getLocalHost().getHostAddress();
      } catch (UnknownHostException e) {
        host = "127.0.0.1";
      }
    } else {
      host = a.getAddress().getHostAddress();
    }
    if (host.indexOf(':') >= 0 && !host.startsWith("[")) host = "[" + host + "]";
    return host + ":" + a.getPort();
  }

  @Override
  public String localSentBy(Transport transport) {
    String s = sentBy.get(transport);
    return s == null ? "127.0.0.1:5060" : s;
  }

  @Override
  public void send(Destination d, byte[] message, Consumer<SendResult> result) {
    Sender s = sender;
    if (s == null) {
      result.accept(new SendResult.Failed("transports not started"));
      return;
    }
    if (d.isAddress()) {
      s.send(d.transport(), new InetSocketAddress(d.host(), d.port()), d.serverName(), message,
          result);
      return;
    }
    CompletableFuture.supplyAsync(() -> {
      try {
        return InetAddress.getByName(d.host());
      } catch (UnknownHostException e) {
        return null;
      }
    }, blocking).whenComplete((addr, e) -> {
      if (addr == null) {
        result.accept(new SendResult.Failed("cannot resolve " + d.host()));
      } else {
        s.send(d.transport(), new InetSocketAddress(addr, d.port()), d.serverName(), message,
            result);
      }
    });
  }
}
