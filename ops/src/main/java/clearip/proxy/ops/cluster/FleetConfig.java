package clearip.proxy.ops.cluster;

import clearip.proxy.ops.config.ClusterSettings;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The Pekko settings of a node's cluster system (never of the system that runs the calls): Artery
 * over mutual TLS from PEM files, static seed nodes, the split-brain resolver in keep-majority,
 * Distributed Data gossiping every second.
 */
final class FleetConfig {
  private FleetConfig() {}

  /** Pekko's address of a node, as in {@code seed-nodes}. */
  static String address(InetSocketAddress a) {
    return "pekko://" + ClusterSettings.SYSTEM_NAME + "@" + ClusterSettings.hostPort(a);
  }

  static Config of(ClusterSettings s) {
    List<String> seeds = new ArrayList<>();
    for (InetSocketAddress a : s.seedNodes()) seeds.add(address(a));
    Config ours = ConfigFactory.parseString(String.join("\n",
        "pekko.actor.provider = cluster",
        "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]",
        "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"",
        "pekko.loglevel = INFO",
        "pekko.log-dead-letters = 0",
        "pekko.log-dead-letters-during-shutdown = off",
        // the fleet is stopped by the proxy, after its calls; never by Pekko's own JVM hook
        "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off",
        "pekko.coordinated-shutdown.exit-jvm = off",
        // little work: membership, gossip, a few small maps. Two threads at most, so that it
        // never takes the cores from the calls
        "pekko.actor.default-dispatcher.fork-join-executor.parallelism-min = 1",
        "pekko.actor.default-dispatcher.fork-join-executor.parallelism-max = 2",
        // Pekko's own pools too (4 internal and 2 remoting threads by default): each idle
        // fork-join worker spins before it parks, and on a small VM that was 3-4 % of a core
        // taken from the calls
        "pekko.actor.internal-dispatcher.fork-join-executor.parallelism-min = 1",
        "pekko.actor.internal-dispatcher.fork-join-executor.parallelism-max = 2",
        "pekko.remote.default-remote-dispatcher.fork-join-executor.parallelism-min = 1",
        "pekko.remote.default-remote-dispatcher.fork-join-executor.parallelism-max = 1",
        // its timers (heartbeats each second, gossip) need no 10 ms resolution: fewer wake-ups
        "pekko.scheduler.tick-duration = 50ms",
        "pekko.remote.artery.transport = tls-tcp",
        "pekko.remote.artery.ssl.ssl-engine-provider = "
            + "org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider",
        "pekko.cluster.downing-provider-class = "
            + "\"org.apache.pekko.cluster.sbr.SplitBrainResolverProvider\"",
        "pekko.cluster.split-brain-resolver.active-strategy = keep-majority",
        // our own bean (clearip.proxy:type=Cluster) says what an operator needs
        "pekko.cluster.jmx.enabled = off",
        "pekko.cluster.log-info-verbose = off",
        // operators' changes are written to every node at once; the load and failed
        // destinations ride on gossip, so this bounds their age
        "pekko.cluster.distributed-data.gossip-interval = 1s",
        "pekko.cluster.distributed-data.notify-subscribers-interval = 100ms",
        // the load changes every second on every node: as deltas it would be sent five times a
        // second besides the gossip; the gossip alone carries it
        "pekko.cluster.distributed-data.delta-crdt.enabled = off"))
        .withValue("pekko.remote.artery.canonical.hostname",
            ConfigValueFactory.fromAnyRef(s.bind().getHostString()))
        .withValue("pekko.remote.artery.canonical.port",
            ConfigValueFactory.fromAnyRef(s.bind().getPort()))
        .withValue("pekko.remote.artery.ssl.rotating-keys-engine.key-file",
            ConfigValueFactory.fromAnyRef(s.tlsPrivateKey().toAbsolutePath().toString()))
        .withValue("pekko.remote.artery.ssl.rotating-keys-engine.cert-file",
            ConfigValueFactory.fromAnyRef(s.tlsCertificate().toAbsolutePath().toString()))
        .withValue("pekko.remote.artery.ssl.rotating-keys-engine.ca-cert-file",
            ConfigValueFactory.fromAnyRef(s.tlsCaFile().toAbsolutePath().toString()))
        .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds))
        .withValue("pekko.cluster.split-brain-resolver.stable-after",
            ConfigValueFactory.fromAnyRef(s.stableAfter()));
    // the reference settings only: the file's pekko { } keys are the call system's
    return ours.withFallback(ConfigFactory.defaultReference()).resolve();
  }
}
