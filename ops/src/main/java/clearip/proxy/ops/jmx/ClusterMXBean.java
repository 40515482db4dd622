package clearip.proxy.ops.jmx;

/**
 * {@code clearip.proxy:type=Cluster}, on every node of a fleet ({@code cluster.enabled}): the
 * fleet as this node sees it, each node's load, and the operator settings the nodes share.
 */
@Description("The fleet as this node sees it: members, their load, the shared settings")
public interface ClusterMXBean {
  @Description("This node's cluster address, host:port")
  String getSelfAddress();

  @Description("The cluster leader's address, host:port (empty when none)")
  String getLeader();

  @Description("Every member, one entry each: its address and status, e.g. 127.0.0.1:25520 Up")
  String[] getMembers();

  @Description("Members some node cannot reach now, host:port each")
  String[] getUnreachable();

  @Description("Each member's calls in flight, calls per second and ClearIP link state, and "
      + "how old that report is (gossiped every second)")
  String[] getMemberLoad();

  @Description("The shared operator settings changed in the fleet, with where and when")
  String[] getSettings();

  @Description("When the latest shared setting was changed, ms since the epoch (0: none yet); "
      + "the same on every node once they agree")
  long getSettingsVersion();

  @Description("Empty while this node is in a fleet with a majority; otherwise why not")
  String getProblem();
}
