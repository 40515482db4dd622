package clearip.proxy.ops.ctl;

import java.time.Duration;
import java.util.Arrays;

/**
 * Which proxy {@code ctl} talks to and how: a remote JMX address ({@code service:jmx:...} URL)
 * or a local process id, with optional credentials and TLS.
 *
 * @param serviceUrl the JMX service URL, null when {@code pid} is set
 * @param pid the local process to attach to, null when {@code serviceUrl} is set
 * @param user null for no authentication
 * @param password null when {@code user} is null
 * @param tls whether the RMI registry and connection use TLS (jmxremote.registry.ssl)
 * @param timeout how long connecting may take
 */
public record Target(String serviceUrl, Long pid, String user, char[] password, boolean tls,
    Duration timeout) {

  /** Where, for messages: the address or the pid, never the password. */
  public String describe() {
    if (pid != null) return "process " + pid;
    String registry = "service:jmx:rmi:///jndi/rmi://";
    if (serviceUrl.startsWith(registry) && serviceUrl.endsWith("/jmxrmi")) {
      return serviceUrl.substring(registry.length(), serviceUrl.length() - "/jmxrmi".length());
    }
    return serviceUrl;
  }

  @Override
  public String toString() {
    return "Target[" + describe() + ", user=" + user + ", tls=" + tls + "]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Target t && java.util.Objects.equals(serviceUrl, t.serviceUrl)
        && java.util.Objects.equals(pid, t.pid) && java.util.Objects.equals(user, t.user)
        && Arrays.equals(password, t.password) && tls == t.tls && timeout.equals(t.timeout);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(serviceUrl, pid, user, tls);
  }
}
