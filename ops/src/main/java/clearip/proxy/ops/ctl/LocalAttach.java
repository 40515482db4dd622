package clearip.proxy.ops.ctl;

import clearip.proxy.ops.cli.Cli;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;

/**
 * {@code --pid}: attaches to a JVM on this host (the JDK attach API, module jdk.attach, which
 * Java runtimes include) and starts its local JMX agent, reachable from this host only. The
 * caller must run as the same user as the proxy.
 */
final class LocalAttach {
  private LocalAttach() {}

  /** The local agent's JMX service URL, or a one-line failure (exit code 3). */
  static String connectorAddress(long pid) {
    try {
      VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
      try {
        return vm.startLocalManagementAgent();
      } finally {
        vm.detach();
      }
    } catch (AttachNotSupportedException | IOException e) {
      throw new Cli.Failure(Cli.FAILED, "cannot attach to process " + pid + ": "
          + Cli.rootMessage(e) + " (is it a running clearip-proxy, and is this its user? "
          + "e.g. sudo -u clearip-proxy ...)");
    } catch (NoClassDefFoundError | SecurityException e) {
      throw new Cli.Failure(Cli.FAILED, "this Java runtime cannot attach to a process ("
          + e + "); use --jmx HOST:PORT");
    }
  }
}
