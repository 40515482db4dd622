package clearip.proxy.ops.ctl;

import clearip.proxy.ops.cli.Cli;
import clearip.proxy.ops.jmx.JmxExporter;
import clearip.proxy.ops.jmx.ProxyMXBean;
import clearip.proxy.ops.jmx.UpstreamMXBean;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.management.JMX;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import javax.rmi.ssl.SslRMIClientSocketFactory;

/** A JMX connection to a running proxy, remote or through the local attach API. */
final class JmxConnection implements ProxyConnection {
  private final JMXConnector connector;
  private final ProxyMXBean proxy;
  private final UpstreamMXBean upstream;
  private final clearip.proxy.ops.jmx.ClusterMXBean cluster;

  private JmxConnection(JMXConnector connector, MBeanServerConnection mbeans) {
    this.connector = connector;
    this.proxy = JMX.newMXBeanProxy(mbeans, JmxExporter.proxyName(), ProxyMXBean.class);
    this.upstream = JMX.newMXBeanProxy(mbeans, JmxExporter.upstreamName(), UpstreamMXBean.class);
    this.cluster = registered(mbeans, JmxExporter.clusterName())
        ? JMX.newMXBeanProxy(mbeans, JmxExporter.clusterName(),
            clearip.proxy.ops.jmx.ClusterMXBean.class)
        : null;
  }

  /** Connects within the target's timeout, or fails with one line (exit code 3). */
  static ProxyConnection open(Target target) {
    String url = target.pid() != null ? attach(target.pid()) : target.serviceUrl();
    Map<String, Object> env = new HashMap<>();
    if (target.user() != null) {
      env.put(JMXConnector.CREDENTIALS,
          new String[] {target.user(), new String(target.password())});
    }
    if (target.tls()) {
      // the registry's own socket (jmxremote.registry.ssl); the connection's comes in its stub
      env.put("com.sun.jndi.rmi.factory.socket", new SslRMIClientSocketFactory());
    }
    JMXServiceURL serviceUrl;
    try {
      serviceUrl = new JMXServiceURL(url);
    } catch (IOException e) {
      throw new Cli.Failure(Cli.USAGE, "not a JMX service URL: " + url);
    }
    // RMI has no connect timeout: connect on a thread of its own and stop waiting for it
    FutureTask<JMXConnector> connect =
        new FutureTask<>(() -> JMXConnectorFactory.connect(serviceUrl, env));
    Thread t = new Thread(connect, "ctl-connect");
    t.setDaemon(true);
    t.start();
    JMXConnector c;
    try {
      c = connect.get(target.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      connect.cancel(true);
      throw cannotReach(target, "no answer within " + target.timeout().toSeconds() + " s");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof SecurityException s) {
        throw new Cli.Failure(Cli.FAILED, target.describe() + " refused the credentials: "
            + s.getMessage());
      }
      throw cannotReach(target, Cli.rootMessage(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw cannotReach(target, "interrupted");
    }
    try {
      MBeanServerConnection mbeans = c.getMBeanServerConnection();
      if (!mbeans.isRegistered(JmxExporter.proxyName())) {
        closeQuietly(c);
        throw new Cli.Failure(Cli.FAILED, target.describe() + " is a JVM but no clearip-proxy "
            + "(it has no " + JmxExporter.proxyName() + " bean)");
      }
      return new JmxConnection(c, mbeans);
    } catch (IOException e) {
      closeQuietly(c);
      throw cannotReach(target, Cli.rootMessage(e));
    }
  }

  private static String attach(long pid) {
    try {
      return LocalAttach.connectorAddress(pid);
    } catch (NoClassDefFoundError e) { // a runtime built without jdk.attach
      throw new Cli.Failure(Cli.FAILED, "this Java runtime cannot attach to a process (no "
          + "jdk.attach module); use --jmx HOST:PORT");
    }
  }

  private static Cli.Failure cannotReach(Target target, String why) {
    return new Cli.Failure(Cli.FAILED, "cannot connect to " + target.describe() + ": " + why);
  }

  @Override
  public ProxyMXBean proxy() {
    return proxy;
  }

  @Override
  public UpstreamMXBean upstream() {
    return upstream;
  }

  @Override
  public clearip.proxy.ops.jmx.ClusterMXBean cluster() {
    return cluster;
  }

  private static boolean registered(MBeanServerConnection mbeans, javax.management.ObjectName n) {
    try {
      return mbeans.isRegistered(n);
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    closeQuietly(connector);
  }

  private static void closeQuietly(JMXConnector c) {
    try {
      c.close();
    } catch (IOException | RuntimeException ignored) {
      // the answer is out; a connection that will not close is the server's business
    }
  }
}
