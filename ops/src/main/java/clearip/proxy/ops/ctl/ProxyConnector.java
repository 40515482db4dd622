package clearip.proxy.ops.ctl;

import clearip.proxy.ops.cli.Cli;

/** Opens a connection to a running proxy's beans; tests pass one that records the call. */
@FunctionalInterface
public interface ProxyConnector {
  /**
   * @throws Cli.Failure (exit code 3) when the proxy cannot be reached, refuses the
   *     credentials, or is no clearip-proxy
   */
  ProxyConnection connect(Target target);

  /** Over JMX: a remote connector, or the local management agent of a process. */
  ProxyConnector JMX = JmxConnection::open;
}
