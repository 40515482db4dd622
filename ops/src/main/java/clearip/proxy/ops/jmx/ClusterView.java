package clearip.proxy.ops.jmx;

import java.util.List;

/**
 * What the Cluster MXBean reads: the fleet as this node sees it, from snapshots that cost nothing
 * to read. Implemented by the cluster code; declared here so JMX knows nothing of Pekko Cluster.
 */
public interface ClusterView {
  String selfAddress();

  /** host:port, empty when none. */
  String leader();

  /** "host:port Status" per member. */
  List<String> members();

  List<String> unreachable();

  List<String> memberLoad();

  List<String> settings();

  long settingsVersion();

  /** Null while the node is in a fleet with a majority. */
  String notReadyReason();
}
