package clearip.proxy.ops.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Section {@code cluster}: whether this proxy is one node of a fleet, where its cluster port
 * listens, whom it joins, the PEM files of its mutual TLS, and how long the split-brain resolver
 * waits before it decides.
 *
 * @param bind the cluster port's address, also the node's name in the fleet
 * @param seedNodes the nodes joined at start (the same list on every node)
 * @param stableAfter the split-brain resolver acts once membership was stable this long
 * @param sharedPenalty in-line mode: a destination that failed on another node is tried last
 *     here for this long; zero: destination health stays local
 */
public record ClusterSettings(boolean enabled, InetSocketAddress bind,
    List<InetSocketAddress> seedNodes, Path tlsCertificate, Path tlsPrivateKey, Path tlsCaFile,
    Duration stableAfter, Duration sharedPenalty) {

  /** The name every node's cluster system has: nodes of different names never meet. */
  public static final String SYSTEM_NAME = "clearip-fleet";

  public static ClusterSettings off() {
    return new ClusterSettings(false, null, List.of(), null, null, null, Duration.ofSeconds(10),
        Duration.ZERO);
  }

  /** {@code host:port} of an address, as members are shown ({@code [v6]:port} for IPv6). */
  public static String hostPort(InetSocketAddress a) {
    String h = a.getHostString();
    return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
  }
}
