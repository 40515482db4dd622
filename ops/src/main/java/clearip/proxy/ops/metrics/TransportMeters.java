package clearip.proxy.ops.metrics;

import clearip.proxy.streams.transport.Transport;
import clearip.proxy.streams.transport.TransportMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link TransportMetrics} on Micrometer counters, one per transport, created up front: messages
 * in and out, sources dropped by the allow-list, malformed messages, connections refused, full
 * queues, failed sends, and the open inbound connections per transport.
 */
public final class TransportMeters implements TransportMetrics {
  private static final Transport[] TRANSPORTS = Transport.values();

  private final Counter[] messagesIn = new Counter[TRANSPORTS.length];
  private final Counter[] messagesOut = new Counter[TRANSPORTS.length];
  private final Counter[] dropped = new Counter[TRANSPORTS.length];
  private final Counter[] malformed = new Counter[TRANSPORTS.length];
  private final Counter[] refused = new Counter[TRANSPORTS.length];
  private final Counter[] queueFull = new Counter[TRANSPORTS.length];
  private final Counter[] sendFailed = new Counter[TRANSPORTS.length];
  private final AtomicInteger[] openInbound = new AtomicInteger[TRANSPORTS.length];

  public TransportMeters(MeterRegistry registry) {
    for (Transport t : TRANSPORTS) {
      int i = t.ordinal();
      String tag = t.name().toLowerCase(java.util.Locale.ROOT);
      messagesIn[i] = counter(registry, "clearip.sip.messages.in",
          "Well-formed SIP messages received", tag);
      messagesOut[i] = counter(registry, "clearip.sip.messages.out",
          "SIP messages queued for sending", tag);
      dropped[i] = counter(registry, "clearip.sources.dropped",
          "Datagrams and connections from sources outside the allow-list", tag);
      malformed[i] = counter(registry, "clearip.sip.malformed",
          "Malformed messages or broken stream framing", tag);
      refused[i] = counter(registry, "clearip.connections.refused",
          "Inbound connections closed at accept (allow-list or connection limits)", tag);
      queueFull[i] = counter(registry, "clearip.sip.queue.full",
          "Messages not sent because an outbound queue was full", tag);
      sendFailed[i] = counter(registry, "clearip.sip.send.failed",
          "Sends to destinations that failed", tag);
      openInbound[i] = new AtomicInteger();
      if (t.isStream()) {
        io.micrometer.core.instrument.Gauge.builder("clearip.connections.open", openInbound[i],
                AtomicInteger::get)
            .description("Inbound TCP or TLS connections open now, by transport")
            .tag("transport", tag).register(registry);
      }
    }
  }

  private static Counter counter(MeterRegistry r, String name, String description, String t) {
    return Counter.builder(name).description(description).tag("transport", t).register(r);
  }

  @Override
  public void messageIn(Transport transport) {
    messagesIn[transport.ordinal()].increment();
  }

  @Override
  public void messageOut(Transport transport) {
    messagesOut[transport.ordinal()].increment();
  }

  @Override
  public void droppedByAccessList(Transport transport) {
    dropped[transport.ordinal()].increment();
  }

  @Override
  public void malformed(Transport transport, boolean request) {
    malformed[transport.ordinal()].increment();
  }

  @Override
  public void connectionRefused(Transport transport, Refusal reason) {
    refused[transport.ordinal()].increment();
  }

  @Override
  public void connectionOpened(Transport transport, boolean outbound) {
    if (!outbound) openInbound[transport.ordinal()].incrementAndGet();
  }

  @Override
  public void connectionClosed(Transport transport, boolean outbound) {
    if (!outbound) openInbound[transport.ordinal()].decrementAndGet();
  }

  @Override
  public void queueFull(Transport transport) {
    queueFull[transport.ordinal()].increment();
  }

  @Override
  public void sendFailed(Transport transport) {
    sendFailed[transport.ordinal()].increment();
  }

  // ---- read side, for JMX ----

  public long droppedSources() {
    return sum(dropped);
  }

  public long malformed() {
    return sum(malformed);
  }

  /** Inbound TCP or TLS connections open now. */
  public int openInbound(Transport transport) {
    return openInbound[transport.ordinal()].get();
  }

  private static long sum(Counter[] cs) {
    double s = 0;
    for (Counter c : cs) s += c.count();
    return (long) s;
  }
}
