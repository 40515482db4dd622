package clearip.proxy.ops.ctl;

import clearip.proxy.ops.jmx.ProxyMXBean;
import clearip.proxy.ops.jmx.UpstreamMXBean;

/** An open connection to one running proxy: its Proxy and Upstream beans. */
public interface ProxyConnection extends AutoCloseable {
  ProxyMXBean proxy();

  UpstreamMXBean upstream();

  /** The Cluster bean; null when the proxy is not a node of a fleet. */
  default clearip.proxy.ops.jmx.ClusterMXBean cluster() {
    return null;
  }

  /** Closes quietly: the command's answer is already out. */
  @Override
  void close();
}
