package clearip.proxy.ops.launcher;

import clearip.proxy.ops.cli.Cli;
import clearip.proxy.streams.transport.ListenerBindException;
import java.nio.file.Path;
import java.util.Locale;

/** Why {@code run} could not start, as the one line an operator reads: what, and what to change. */
final class StartFailure {
  private StartFailure() {}

  /**
   * {@code clearip-proxy: cannot listen on tcp 0.0.0.0:5060: Address already in use (another
   * process has this port); change listen.tcp in /etc/clearip-proxy/clearip-proxy.conf}.
   */
  static String describe(Throwable e, Path configFile) {
    ListenerBindException bind = find(e);
    if (bind == null) return "clearip-proxy failed to start: " + Cli.rootMessage(e);
    String where = configFile == null
        ? " (in a --config file, or -Dclearip-proxy." + key(bind) + "=...)"
        : " in " + configFile;
    return "clearip-proxy failed to start: " + bind.getMessage() + hint(bind.reason())
        + "; change " + key(bind) + where;
  }

  /** The configuration key naming the address (without the clearip-proxy root). */
  static String key(ListenerBindException e) {
    return e.listener().equals("admin") ? "admin.listen" : "listen." + e.listener();
  }

  private static String hint(String reason) {
    String r = reason.toLowerCase(Locale.ROOT);
    if (r.contains("already in use")) return " (another process has this port)";
    if (r.contains("permission denied")) {
      return " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
    }
    if (r.contains("cannot assign requested address")) return " (no such address on this host)";
    return "";
  }

  private static ListenerBindException find(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof ListenerBindException l) return l;
    }
    return null;
  }
}
