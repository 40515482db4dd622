package clearip.proxy.e2e;

import java.util.HashMap;
import java.util.Map;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import javax.rmi.ssl.SslRMIClientSocketFactory;

/**
 * A remote JMX client as an operator's jconsole is, run in a JVM of its own (its trust store is
 * a system property): {@code JmxProbe PORT USER PASSWORD [plain]} prints the proxy's Mode and
 * exits 0; exits 3 when the credentials are refused, 4 when it cannot connect at all.
 */
public final class JmxProbe {
  private JmxProbe() {}

  public static void main(String[] args) {
    JMXServiceURL url;
    Map<String, Object> env = new HashMap<>();
    env.put(JMXConnector.CREDENTIALS, new String[] {args[1], args[2]});
    if (args.length < 4) env.put("com.sun.jndi.rmi.factory.socket", new SslRMIClientSocketFactory());
    try {
      url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + args[0] + "/jmxrmi");
      try (JMXConnector c = JMXConnectorFactory.connect(url, env)) {
        Object mode = c.getMBeanServerConnection()
            .getAttribute(new ObjectName("clearip.proxy:type=Proxy"), "Mode");
        System.out.println("Mode=" + mode);
      }
    } catch (SecurityException e) {
      System.out.println("refused: " + e.getMessage());
      System.exit(3);
    } catch (Exception e) {
      System.out.println("cannot connect: " + e);
      System.exit(4);
    }
    System.exit(0);
  }
}
