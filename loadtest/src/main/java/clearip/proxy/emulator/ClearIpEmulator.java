package clearip.proxy.emulator;

import clearip.proxy.sip.codec.ParseLimits;
import clearip.proxy.streams.tls.ServerEngines;
import clearip.proxy.streams.tls.ServerTlsSettings;
import clearip.proxy.streams.tls.TlsContexts;
import clearip.proxy.streams.transport.AccessList;
import clearip.proxy.streams.transport.BoundAddresses;
import clearip.proxy.streams.transport.ListenerSettings;
import clearip.proxy.streams.transport.TransportEndpoints;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * A running ClearIP emulator: the SIP listeners of {@link EmulatorSettings} answering through an
 * {@link EmulatorHandler}.
 *
 * <pre>{@code
 * ClearIpEmulator e = ClearIpEmulator.start(system, EmulatorSettings.defaults())
 *     .toCompletableFuture().get(10, SECONDS);
 * InetSocketAddress udp = e.bound().udp().get(0);
 * ...
 * e.stop();
 * }</pre>
 */
public final class ClearIpEmulator {
  private final TransportEndpoints endpoints;
  private final EmulatorHandler handler;
  private final PassportSigner signer;
  private final BoundAddresses bound;

  private ClearIpEmulator(TransportEndpoints endpoints, EmulatorHandler handler,
      PassportSigner signer, BoundAddresses bound) {
    this.endpoints = endpoints;
    this.handler = handler;
    this.signer = signer;
    this.bound = bound;
  }

  /**
   * Loads the signing key and TLS material, binds every configured listener and completes once
   * all are bound; fails (having unbound what did bind) when any material or address is bad.
   */
  public static CompletionStage<ClearIpEmulator> start(ActorSystem<?> system,
      EmulatorSettings settings) {
    PassportSigner signer;
    Supplier<SSLEngine> tlsEngines = null;
    try {
      signer = signer(settings);
      if (!settings.tls().isEmpty()) {
        ServerTlsSettings tls = settings.tlsCertificate().isPresent()
            && settings.tlsPrivateKey().isPresent()
            ? ServerTlsSettings.of(settings.tlsCertificate().get(), settings.tlsPrivateKey().get())
            : SelfSignedTls.create();
        ServerEngines engines = TlsContexts.server(tls);
        tlsEngines = engines::newEngine;
      }
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
    EmulatorHandler handler = new EmulatorHandler(settings, signer, Delayer.of(system));
    TransportEndpoints endpoints = TransportEndpoints.builder(system, handler)
        .listeners(listeners(settings))
        // every source reaches the handler, which answers those outside `allow` itself (403)
        .accessList(AccessList.parse(List.of("0.0.0.0/0", "::/0")))
        .tlsServer(tlsEngines)
        .build();
    return endpoints.start().thenApply(b -> new ClearIpEmulator(endpoints, handler, signer, b));
  }

  private static PassportSigner signer(EmulatorSettings s) throws java.io.IOException {
    if (s.signingKey().isPresent()) {
      return PassportSigner.load(s.signingKey().get(), s.x5u(), Clock.systemUTC(),
          s.identityReuse(), s.identityReuseAcrossNumbers());
    }
    return PassportSigner.generate(s.x5u(), Clock.systemUTC(), s.identityReuse(),
        s.identityReuseAcrossNumbers());
  }

  private static ListenerSettings listeners(EmulatorSettings s) {
    ListenerSettings d = ListenerSettings.defaults();
    // like ClearIP, it keeps a customer's connection that is silent after its handshake until
    // the idle timeout: a proxy connects ahead of its first call (the switch-side default, 10 s,
    // cut a fleet node's fresh connection to ClearIP, and the calls of the reconnect got 503)
    return new ListenerSettings(addresses(s.udp()), addresses(s.tcp()), addresses(s.tls()),
        ParseLimits.DEFAULT, d.idleTimeout(), d.tlsHandshakeTimeout(), d.idleTimeout(),
        d.messageTimeout(), s.maxConnections(),
        s.maxConnections(), d.connectionQueueSize(), d.udpReceiveBufferSize(), d.backlog(),
        "clearip-emulator");
  }

  private static List<InetSocketAddress> addresses(List<EmulatorSettings.Endpoint> endpoints) {
    return endpoints.stream().map(e -> new InetSocketAddress(e.host(), e.port())).toList();
  }

  /** The addresses actually bound (real ports where port 0 was configured). */
  public BoundAddresses bound() {
    return bound;
  }

  /** The request handler, for its counters. */
  public EmulatorHandler handler() {
    return handler;
  }

  /** The PASSporT signer (its public key, when generated, verifies the Identity headers). */
  public PassportSigner signer() {
    return signer;
  }

  /** Unbinds the listeners and closes the connections; completes when unbound. */
  public CompletionStage<Done> stop() {
    return endpoints.stop();
  }

  /** One line per transport, e.g. {@code udp 127.0.0.1:5070}. */
  public String describeBound() {
    StringBuilder sb = new StringBuilder();
    line(sb, "udp", bound.udp());
    line(sb, "tcp", bound.tcp());
    line(sb, "tls", bound.tls());
    return sb.toString();
  }

  private static void line(StringBuilder sb, String name, List<InetSocketAddress> addresses) {
    for (InetSocketAddress a : addresses) {
      String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
      if (host.indexOf(':') >= 0) host = "[" + host + "]";
      sb.append(name).append(' ').append(host).append(':').append(a.getPort()).append('\n');
    }
  }
}
