package clearip.proxy.ops.launcher;

import clearip.proxy.ops.admin.AdminHttpServer;
import clearip.proxy.ops.admin.ProxyOperations;
import clearip.proxy.ops.cluster.Fleet;
import clearip.proxy.ops.config.ClusterSettings;
import clearip.proxy.ops.jmx.JmxExporter;
import clearip.proxy.ops.metrics.ProxyMetrics;
import clearip.proxy.ops.server.ProxyServer;
import clearip.proxy.ops.trace.TraceControl;
import clearip.proxy.streams.transport.ListenerBindException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.CompletionStage;
import javax.management.JMException;
import javax.management.MBeanServer;
import org.apache.pekko.Done;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything that watches and steers a running proxy: its meters, the JMX beans, the admin HTTP
 * endpoint, and the signals (SIGHUP reloads, SIGTERM drains and stops).
 */
public final class OperatorAccess implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OperatorAccess.class);

  private final ProxyOperations operations;
  private final JmxExporter jmx;
  private final Fleet fleet;
  private volatile AdminHttpServer admin;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  private OperatorAccess(ProxyOperations operations, JmxExporter jmx, Fleet fleet) {
    this.operations = operations;
    this.jmx = jmx;
    this.fleet = fleet;
  }

  /**
   * Publishes {@code server}'s meters and beans and starts the admin endpoint when configured.
   *
   * @param metrics the meters the server was started with
   * @param configFile the file the server's configuration came from, null for the defaults
   */
  public static OperatorAccess start(ProxyServer server, ProxyMetrics metrics, Path configFile,
      MBeanServer mbeans, TraceControl trace) throws IOException, JMException {
    return start(server, metrics, configFile, mbeans, trace, false);
  }

  /**
   * As above; with {@code signals}, SIGHUP, SIGTERM and SIGINT are handled ({@link
   * #handleSignals}) before the admin endpoint opens, so that a supervisor that sees {@code
   * /ready} may signal the process at once.
   */
  public static OperatorAccess start(ProxyServer server, ProxyMetrics metrics, Path configFile,
      MBeanServer mbeans, TraceControl trace, boolean signals) throws IOException, JMException {
    metrics.callsInFlight(server.registry()::inFlight);
    metrics.overload(server.registry().shedder()::admittedNow,
        server.registry().shedder()::lastDelayNanos, server.registry().shedder()::limitNanos);
    metrics.udpFallbacks(server.callContext().transports());
    metrics.upstreamAnswers(server.upstream().answers());
    metrics.intakeWait(server.registry().shedder()::intakeWaitNanos);
    ProxyOperations ops = new ProxyOperations(server, configFile);
    metrics.upstream(ops::upstreamStatus);
    metrics.ready(() -> ops.notReadyReason() == null);
    Fleet fleet = joinFleet(server, metrics, ops, trace);
    JmxExporter jmx;
    try {
      jmx = JmxExporter.register(mbeans, ops, server.bound(), metrics,
          fleet == null ? trace : fleet.trace());
      if (fleet != null) jmx.addCluster(fleet);
    } catch (JMException | RuntimeException e) {
      if (fleet != null) fleet.close();
      throw e;
    }
    OperatorAccess supervision = new OperatorAccess(ops, jmx, fleet);
    if (signals) supervision.handleSignals(supervision::drainAndStop);
    InetSocketAddress adminAddress = server.config().adminListen();
    if (adminAddress != null) {
      try {
        supervision.admin = AdminHttpServer.start(adminAddress, server.config().adminSettings(),
            metrics, ops);
      } catch (IOException e) {
        jmx.close();
        if (fleet != null) fleet.close();
        throw new ListenerBindException("admin", adminAddress, e);
      }
    }
    return supervision;
  }

  /**
   * With {@code cluster.enabled}: this node's place in the fleet, sharing the operator's
   * settings, its load and (inline.shared-penalty) failed destinations; null otherwise.
   */
  private static Fleet joinFleet(ProxyServer server, ProxyMetrics metrics, ProxyOperations ops,
      TraceControl trace) {
    ClusterSettings cluster = server.config().cluster();
    if (!cluster.enabled()) return null;
    Fleet fleet = Fleet.start(cluster, ops, trace, () -> String.format(java.util.Locale.ROOT,
        "inFlight=%d cps=%.1f upstream=%s", server.registry().inFlight(),
        metrics.calls().callsPerSecond(), server.upstream().isUp() ? "up" : "down"));
    server.callContext().transports().shareHealth(fleet.destinationHealth());
    metrics.cluster(fleet::membersWithStatus, fleet::settingsVersion);
    return fleet;
  }

  public ProxyOperations operations() {
    return operations;
  }

  /** The admin endpoint's address, null when it is off. */
  public InetSocketAddress adminAddress() {
    return admin == null ? null : admin.address();
  }

  /** Drains (up to shutdown.drain-timeout), stops the proxy, then the admin endpoint and JMX. */
  public CompletionStage<Done> drainAndStop() {
    return operations.drainAndStop(operations.running().drainTimeout())
        .whenComplete((d, e) -> close());
  }

  /**
   * SIGHUP reloads the configuration; SIGTERM and SIGINT run {@code onStop} (instead of the
   * JVM's exit, so a drained stop can exit 0). Where the JVM offers no signal API, nothing is
   * installed: the JVM's shutdown hook still stops the proxy.
   */
  private void handleSignals(Runnable onStop) {
    handle("HUP", () -> {
      log.info("SIGHUP: reloading the configuration");
      operations.reloadConfiguration(); // which logs what it did, once
    });
    handle("TERM", onStop);
    handle("INT", onStop);
  }

  private static void handle(String signal, Runnable action) {
    try {
      ClassLoader loader = OperatorAccess.class.getClassLoader();
      sun.misc.SignalHandler before = sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> {
        // the JVM's signal thread has no context class loader; reading config needs one
        Thread.currentThread().setContextClassLoader(loader);
        action.run();
      });
      if (before == sun.misc.SignalHandler.SIG_IGN) {
        // a signal ignored when the JVM started (nohup ignores HUP) stays ignored: the JVM
        // installs no handler for it, and a reload by signal would silently do nothing
        log.warn("SIG{} is ignored by this process (started under nohup, or by a parent that "
            + "ignores it): it does nothing here. Reload with 'clearip-proxy ctl reload' or the "
            + "JMX operation reloadConfiguration, or start the proxy without nohup (e.g. under "
            + "systemd)", signal);
      }
    } catch (Throwable e) { // LinkageError without jdk.unsupported, IllegalArgumentException
      log.info("SIG{} not handled here ({}); the JVM default applies", signal, e.toString());
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    AdminHttpServer a = admin;
    if (a != null) a.close();
    jmx.close();
    if (fleet != null) fleet.close();
  }
}
