package clearip.proxy.ops.ctl;

import clearip.proxy.ops.cli.Cli;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code --pid}: attaches to a JVM on this host (the JDK attach API, module jdk.attach, which
 * Java runtimes include) and starts its local JMX agent, reachable from this host only. The
 * caller must run as the same user as the proxy.
 */
final class LocalAttach {
  private LocalAttach() {}

  /** The local agent's JMX service URL, or a one-line failure (exit code 3). */
  static String connectorAddress(long pid) {
    if (hasATmpOfItsOwn(pid)) {
      throw new Cli.Failure(Cli.FAILED, "cannot attach to process " + pid + ": it has a /tmp "
          + "of its own (a systemd service with PrivateTmp), which the attach API cannot reach; "
          + "use --jmx HOST:PORT");
    }
    try {
      VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
      try {
        return vm.startLocalManagementAgent();
      } finally {
        vm.detach();
      }
    } catch (AttachNotSupportedException | IOException e) {
      throw new Cli.Failure(Cli.FAILED, "cannot attach to process " + pid + ": "
          + Cli.rootMessage(e) + " (is it a running clearip-proxy, and is this its user?)");
    } catch (NoClassDefFoundError | SecurityException e) {
      throw new Cli.Failure(Cli.FAILED, "this Java runtime cannot attach to a process ("
          + e + "); use --jmx HOST:PORT");
    }
  }

  /**
   * True for a process in our pid namespace but another mount namespace (systemd's
   * PrivateTmp) whose attach listener is not up: the attach API would place its trigger file
   * where that JVM does not look, signal it with SIGQUIT (a thread dump in its log) and time
   * out. Where this cannot be told (not Linux, another user), the attach API tries and says.
   */
  static boolean hasATmpOfItsOwn(long pid) {
    Path proc = Path.of("/proc", Long.toString(pid));
    try {
      Path self = Path.of("/proc/self");
      return Files.readSymbolicLink(self.resolve("ns/pid"))
              .equals(Files.readSymbolicLink(proc.resolve("ns/pid")))
          && !Files.readSymbolicLink(self.resolve("ns/mnt"))
              .equals(Files.readSymbolicLink(proc.resolve("ns/mnt")))
          && !Files.exists(proc.resolve("root/tmp/.java_pid" + pid));
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false;
    }
  }
}
