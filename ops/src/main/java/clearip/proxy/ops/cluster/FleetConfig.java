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
 * Distributed Data gossiping every two seconds.
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
        // little work: membership, gossip, a few small maps, a few messages a second. One
        // thread per pool, so that it never takes the cores from the calls, and a message
        // wakes one thread, not a second one to steal from the first (Pekko's defaults: up to
        // 4 internal and 2 remoting threads; each idle fork-join worker spins before it parks)
        "pekko.actor.default-dispatcher.fork-join-executor.parallelism-min = 1",
        "pekko.actor.default-dispatcher.fork-join-executor.parallelism-max = 1",
        "pekko.actor.internal-dispatcher.fork-join-executor.parallelism-min = 1",
        "pekko.actor.internal-dispatcher.fork-join-executor.parallelism-max = 1",
        "pekko.remote.default-remote-dispatcher.fork-join-executor.parallelism-min = 1",
        "pekko.remote.default-remote-dispatcher.fork-join-executor.parallelism-max = 1",
        // its timers (heartbeats, gossip) need no 10 ms resolution: fewer wake-ups.
        // The cluster's own ticks too: at its default 33 ms, finer than the system's, the
        // cluster would start a scheduler thread of its own
        "pekko.scheduler.tick-duration = 100ms",
        "pekko.cluster.scheduler.tick-duration = 100ms",
        // a few small messages a second: one inbound lane, not four streams waking for them
        "pekko.remote.artery.advanced.inbound-lanes = 1",
        // a TCP association's handshake is renewed on every new connection; the periodic one
        // only helps to find a restarted peer sooner
        "pekko.remote.artery.advanced.inject-handshake-interval = 3s",
        // heartbeats every 2 s, not every second: half the fleet's messages when nothing
        // happens. A silent node is unreachable after about 6-7 s instead of 4-5 s; calls never
        // wait for it either way
        "pekko.cluster.failure-detector.heartbeat-interval = 2s",
        "pekko.cluster.failure-detector.acceptable-heartbeat-pause = 4s",
        "pekko.remote.artery.transport = tls-tcp",
        "pekko.remote.artery.ssl.ssl-engine-provider = "
            + "org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider",
        "pekko.cluster.downing-provider-class = "
            + "\"org.apache.pekko.cluster.sbr.SplitBrainResolverProvider\"",
        "pekko.cluster.split-brain-resolver.active-strategy = keep-majority",
        // our own bean (clearip.proxy:type=Cluster) says what an operator needs
        "pekko.cluster.jmx.enabled = off",
        "pekko.cluster.log-info-verbose = off",
        // operators' changes are written to every node at once and seen there within the
        // notification interval; the load and failed destinations ride on gossip, so its
        // interval bounds their age (Pekko's defaults: both timers wake every node for nothing
        // most of the time)
        "pekko.cluster.distributed-data.gossip-interval = 2s",
        "pekko.cluster.distributed-data.notify-subscribers-interval = 500ms",
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
