package clearip.proxy.ops.jmx;

import clearip.proxy.actors.call.txn.CallOutcome;
import clearip.proxy.actors.upstream.UpstreamConnection;
import clearip.proxy.ops.metrics.CallMeters;
import clearip.proxy.ops.metrics.ProxyMetrics;
import clearip.proxy.ops.metrics.TransportMeters;
import clearip.proxy.ops.trace.TraceControl;
import clearip.proxy.streams.transport.BoundAddresses;
import clearip.proxy.streams.transport.Transport;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers the proxy's MXBeans under the domain {@code clearip.proxy}: {@code type=Proxy},
 * {@code type=Upstream} and one {@code type=Listener,name=<transport>-<address>} per bound
 * listener; {@link #close()} unregisters them.
 */
public final class JmxExporter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JmxExporter.class);
  public static final String DOMAIN = "clearip.proxy";

  private final MBeanServer server;
  private final List<ObjectName> names = new ArrayList<>();

  private JmxExporter(MBeanServer server) {
    this.server = server;
  }

  public static ObjectName proxyName() {
    return name("type=Proxy");
  }

  public static ObjectName clusterName() {
    return name("type=Cluster");
  }

  public static ObjectName upstreamName() {
    return name("type=Upstream");
  }

  public static ObjectName listenerName(Transport t, InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    String address = (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    return name("type=Listener,name="
        + ObjectName.quote(t.name().toLowerCase(Locale.ROOT) + "-" + address));
  }

  private static ObjectName name(String properties) {
    try {
      return new ObjectName(DOMAIN + ":" + properties);
    } catch (JMException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /**
   * Registers every bean; fails (registering none) when a name is already taken.
   *
   * @param listeners the bound listeners, one Listener bean each
   */
  public static JmxExporter register(MBeanServer mbeans, ProxyControl control,
      BoundAddresses listeners, ProxyMetrics metrics, TraceControl trace) throws JMException {
    JmxExporter x = new JmxExporter(mbeans);
    try {
      x.add(new ProxyBean(control, metrics, trace), proxyName());
      x.add(new UpstreamBean(control), upstreamName());
      for (Transport t : Transport.values()) {
        for (InetSocketAddress a : listeners.of(t)) {
          x.add(new ListenerBean(t, a, metrics.transports()), listenerName(t, a));
        }
      }
    } catch (JMException | RuntimeException e) {
      x.close();
      throw e;
    }
    return x;
  }

  /** Adds {@code clearip.proxy:type=Cluster} (a node of a fleet), unregistered by close. */
  public void addCluster(ClusterView view) throws JMException {
    add(new ClusterBean(view), clusterName());
  }

  private void add(Object bean, ObjectName name) throws JMException {
    server.registerMBean(described(bean), name);
    names.add(name);
  }

  /** The bean with its interface's descriptions and parameter names. */
  private static Object described(Object bean) {
    if (bean instanceof ProxyMXBean p) return new DescribedMXBean<>(p, ProxyMXBean.class);
    if (bean instanceof UpstreamMXBean u) return new DescribedMXBean<>(u, UpstreamMXBean.class);
    if (bean instanceof ListenerMXBean l) return new DescribedMXBean<>(l, ListenerMXBean.class);
    if (bean instanceof ClusterMXBean c) return new DescribedMXBean<>(c, ClusterMXBean.class);
    return bean;
  }

  @Override
  public void close() {
    for (ObjectName n : names) {
      try {
        server.unregisterMBean(n);
      } catch (JMException e) {
        log.debug("could not unregister {}: {}", n, e.toString());
      }
    }
    names.clear();
  }

  /** The Proxy MXBean: reads meters, delegates operations. */
  static final class ProxyBean implements ProxyMXBean {
    private final ProxyControl control;
    private final CallMeters calls;
    private final TransportMeters transports;
    private final TraceControl trace;

    ProxyBean(ProxyControl control, ProxyMetrics metrics, TraceControl trace) {
      this.control = control;
      this.calls = metrics.calls();
      this.transports = metrics.transports();
      this.trace = trace;
    }

    @Override
    public String getMode() {
      return control.mode();
    }

    @Override
    public long getCallsReceived() {
      return calls.received();
    }

    @Override
    public long getCallsInFlight() {
      return control.callsInFlight();
    }

    @Override
    public long getCallsAwaitingAnswer() {
      return control.callsAwaitingAnswer();
    }

    @Override
    public double getCallsPerSecond() {
      return calls.callsPerSecond();
    }

    @Override
    public long getFinals1xx() {
      return calls.finals(1);
    }

    @Override
    public long getFinals2xx() {
      return calls.finals(2);
    }

    @Override
    public long getFinals3xx() {
      return calls.finals(3);
    }

    @Override
    public long getFinals4xx() {
      return calls.finals(4);
    }

    @Override
    public long getFinals5xx() {
      return calls.finals(5);
    }

    @Override
    public long getFinals6xx() {
      return calls.finals(6);
    }

    @Override
    public long getClearIp302() {
      return calls.clearIpAnswers(302);
    }

    @Override
    public long getClearIp403() {
      return calls.clearIpAnswers(403);
    }

    @Override
    public long getClearIp503() {
      return calls.clearIpAnswers(503);
    }

    @Override
    public long getClearIp603() {
      return calls.clearIpAnswers(603);
    }

    @Override
    public long getClearIpOther() {
      return calls.clearIpAnswers(0);
    }

    @Override
    public long getFailOpenTimeout() {
      return calls.failOpen(CallOutcome.FAIL_OPEN_TIMEOUT);
    }

    @Override
    public long getFailOpenUnavailable() {
      return calls.failOpen(CallOutcome.FAIL_OPEN_UNAVAILABLE);
    }

    @Override
    public long getFailOpenQueueFull() {
      return calls.failOpen(CallOutcome.FAIL_OPEN_QUEUE_FULL);
    }

    @Override
    public long getFailOpenOverload() {
      return calls.failOpen(CallOutcome.FAIL_OPEN_OVERLOAD);
    }

    @Override
    public long getEmergencyBypasses() {
      return calls.emergencyBypasses();
    }

    @Override
    public long getRejected() {
      return calls.rejected();
    }

    @Override
    public long getCancelled() {
      return calls.cancelled();
    }

    @Override
    public long getDroppedSources() {
      return transports.droppedSources();
    }

    @Override
    public long getMalformed() {
      return transports.malformed();
    }

    @Override
    public double getClearIpRttP50Millis() {
      return calls.clearIpRttMillis(0.5);
    }

    @Override
    public double getClearIpRttP99Millis() {
      return calls.clearIpRttMillis(0.99);
    }

    @Override
    public String getUpstreamUri() {
      return control.upstreamUri();
    }

    @Override
    public String getAccessAllow() {
      return control.accessAllow();
    }

    @Override
    public String getEmergencyNumbers() {
      return control.emergencyNumbers();
    }

    @Override
    public boolean isDraining() {
      return control.isDraining();
    }

    @Override
    public String setAccessAllow(String cidrs) {
      return control.setAccessAllow(cidrs);
    }

    @Override
    public String setEmergencyNumbers(String numbers) {
      return control.setEmergencyNumbers(numbers);
    }

    @Override
    public String getNotReadyReason() {
      String r = control.notReadyReason();
      return r == null ? "" : r;
    }

    @Override
    public String drain() {
      return control.drain();
    }

    @Override
    public String setUpstreamTransport(String transport) {
      return control.setUpstreamTransport(transport);
    }

    @Override
    public String setUpstreamUri(String uri) {
      return control.setUpstreamUri(uri);
    }

    @Override
    public String reloadConfiguration() {
      // The threads of a JMX agent started later (by attach: ctl --pid, jcmd
      // ManagementAgent.start) have no context class loader, which reading reference.conf needs
      Thread t = Thread.currentThread();
      ClassLoader before = t.getContextClassLoader();
      if (before == null) t.setContextClassLoader(ProxyBean.class.getClassLoader());
      try {
        return control.reloadConfiguration();
      } finally {
        if (before == null) t.setContextClassLoader(null);
      }
    }

    @Override
    public String startTrace(int seconds) {
      if (seconds < 0) throw new IllegalArgumentException("seconds must not be negative");
      return trace.startTrace(seconds); // 0: until stopTrace
    }

    @Override
    public String stopTrace() {
      return trace.stopTrace();
    }
  }

  /** The Upstream MXBean: the upstream actor's cached status. */
  static final class UpstreamBean implements UpstreamMXBean {
    private final ProxyControl control;

    UpstreamBean(ProxyControl control) {
      this.control = control;
    }

    private UpstreamConnection.Status s() {
      return control.upstreamStatus();
    }

    @Override
    public String getUri() {
      return s().uri();
    }

    @Override
    public String getState() {
      return s().state();
    }

    @Override
    public String getConnectedAddress() {
      return s().connectedAddress();
    }

    @Override
    public long getConnects() {
      return s().connects();
    }

    @Override
    public long getReconnects() {
      return s().reconnects();
    }

    @Override
    public String getLastError() {
      return s().lastError();
    }

    @Override
    public int getQueueDepth() {
      return s().queueDepth();
    }

    @Override
    public int getInFlight() {
      return s().inflight();
    }

    @Override
    public long getLastPingRttMicros() {
      return s().lastPingRttMicros();
    }
  }

  /** The Cluster MXBean: the view's snapshots. */
  static final class ClusterBean implements ClusterMXBean {
    private final ClusterView view;

    ClusterBean(ClusterView view) {
      this.view = view;
    }

    @Override
    public String getSelfAddress() {
      return view.selfAddress();
    }

    @Override
    public String getLeader() {
      return view.leader();
    }

    @Override
    public String[] getMembers() {
      return view.members().toArray(new String[0]);
    }

    @Override
    public String[] getUnreachable() {
      return view.unreachable().toArray(new String[0]);
    }

    @Override
    public String[] getMemberLoad() {
      return view.memberLoad().toArray(new String[0]);
    }

    @Override
    public String[] getSettings() {
      return view.settings().toArray(new String[0]);
    }

    @Override
    public long getSettingsVersion() {
      return view.settingsVersion();
    }

    @Override
    public String getProblem() {
      String r = view.notReadyReason();
      return r == null ? "" : r;
    }
  }

  /** A Listener MXBean. */
  static final class ListenerBean implements ListenerMXBean {
    private final Transport transport;
    private final InetSocketAddress address;
    private final TransportMeters meters;

    ListenerBean(Transport transport, InetSocketAddress address, TransportMeters meters) {
      this.transport = transport;
      this.address = address;
      this.meters = meters;
    }

    @Override
    public String getTransport() {
      return transport.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String getAddress() {
      String host = address.getAddress().getHostAddress();
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    @Override
    public int getOpenConnections() {
      return transport.isStream() ? meters.openInbound(transport) : 0;
    }
  }
}
