package clearip.proxy.ops.cluster;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;

/**
 * Owns this node's replicas of the fleet's three maps (Distributed Data, last writer wins per
 * entry): the operators' settings, each node's load, and destinations that failed lately. It
 * writes what this node publishes and hands every change it sees to {@link Fleet}, which keeps
 * the snapshots the rest of the proxy reads. Nothing here is ever asked by a call.
 */
final class FleetData extends AbstractBehavior<FleetData.Command> {
  static final Key<LWWMap<String, String>> SETTINGS = LWWMapKey.create("operator-settings");
  static final Key<LWWMap<String, String>> LOAD = LWWMapKey.create("member-load");
  static final Key<LWWMap<String, String>> FAILED = LWWMapKey.create("failed-destinations");
  /** An operator's change goes to every node at once; unreachable ones get it by gossip. */
  private static final Duration WRITE_ALL = Duration.ofSeconds(3);
  /**
   * The load is looked at this often and written when it changed; with 2 s gossip a change is
   * seen by the others 2-4 s later.
   */
  static final Duration TICK = Duration.ofSeconds(2);
  /** An unchanged load is written again this often, so that its age tells a node is alive. */
  static final long LOAD_REFRESH_MS = 10_000;
  /** Failed destinations kept in the map at most; past it new ones stay local. */
  static final int MAX_FAILED = 1024;

  interface Command {}

  /** An operator changed a setting on this node (already in force here). */
  record Publish(Setting setting) implements Command {}

  private enum Tick implements Command { INSTANCE }

  private record DataChanged(Replicator.SubscribeResponse<LWWMap<String, String>> response)
      implements Command {}

  private record Written(Replicator.UpdateResponse<LWWMap<String, String>> response)
      implements Command {}

  /** What the data tells its owner. */
  interface Listener {
    void settings(Map<String, String> entries);

    void load(Map<String, String> entries);

    void failed(Map<String, String> entries);

    /** This node's load, one line: written under the node's address when it changes. */
    String localLoad();

    /** Destinations that failed here since the last tick, with when their penalty ends. */
    Map<String, Long> drainLocalFailures();
  }

  static Behavior<Command> create(Listener listener, String self) {
    return Behaviors.setup(ctx -> DistributedData.<Command, LWWMap<String, String>>
        withReplicatorMessageAdapter(adapter -> Behaviors.withTimers(
            timers -> new FleetData(ctx, adapter, timers, listener, self))));
  }

  private final ReplicatorMessageAdapter<Command, LWWMap<String, String>> replicator;
  private final SelfUniqueAddress node;
  private final Listener listener;
  private final String self;
  private String loadWritten = "";
  private long loadWrittenAt;
  /** The failed-destinations map as last seen: an entry in it may end its penalty. */
  private Map<String, String> failedSeen = Map.of();

  private FleetData(ActorContext<Command> ctx,
      ReplicatorMessageAdapter<Command, LWWMap<String, String>> replicator,
      TimerScheduler<Command> timers, Listener listener, String self) {
    super(ctx);
    this.replicator = replicator;
    this.node = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    this.listener = listener;
    this.self = self;
    replicator.subscribe(SETTINGS, DataChanged::new);
    replicator.subscribe(LOAD, DataChanged::new);
    replicator.subscribe(FAILED, DataChanged::new);
    timers.startTimerWithFixedDelay(Tick.INSTANCE, TICK);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Publish.class, this::onPublish)
        .onMessage(DataChanged.class, this::onChanged)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessage(Written.class, m -> this)
        .build();
  }

  private Behavior<Command> onPublish(Publish p) {
    Setting s = p.setting();
    replicator.askUpdate(replyTo -> new Replicator.Update<>(SETTINGS, LWWMap.create(),
        new Replicator.WriteAll(WRITE_ALL), replyTo, m -> m.put(node, s.key(), s.encode())),
        Written::new);
    return this;
  }

  private Behavior<Command> onChanged(DataChanged m) {
    if (!(m.response() instanceof Replicator.Changed<LWWMap<String, String>> c)) return this;
    Map<String, String> entries = Map.copyOf(c.dataValue().getEntries());
    if (c.key().equals(SETTINGS)) {
      listener.settings(entries);
    } else if (c.key().equals(LOAD)) {
      listener.load(entries);
    } else if (c.key().equals(FAILED)) {
      failedSeen = entries;
      listener.failed(entries);
    }
    return this;
  }

  /**
   * Writes this node's load when it changed (or is old), and the failures since the last tick
   * when there are any or a penalty ended: an idle node writes nothing, so the replicas have
   * nothing new to gossip.
   */
  private Behavior<Command> onTick() {
    long now = System.currentTimeMillis();
    String load = listener.localLoad();
    if (!load.equals(loadWritten) || now - loadWrittenAt >= LOAD_REFRESH_MS) {
      loadWritten = load;
      loadWrittenAt = now;
      String entry = now + "|" + load;
      replicator.askUpdate(replyTo -> new Replicator.Update<>(LOAD, LWWMap.create(),
          Replicator.writeLocal(), replyTo, m -> m.put(node, self, entry)), Written::new);
    }
    Map<String, Long> failures = listener.drainLocalFailures();
    if (!failures.isEmpty() || anyEnded(failedSeen, now)) {
      replicator.askUpdate(replyTo -> new Replicator.Update<>(FAILED, LWWMap.create(),
          Replicator.writeLocal(), replyTo, m -> withFailures(m, failures, now)), Written::new);
    }
    return this;
  }

  private static boolean anyEnded(Map<String, String> failed, long now) {
    for (String v : failed.values()) {
      if (SharedDestinationHealth.until(v) <= now) return true;
    }
    return false;
  }

  /** The map with this tick's failures added and the penalties that ended removed. */
  private LWWMap<String, String> withFailures(LWWMap<String, String> m, Map<String, Long> add,
      long now) {
    LWWMap<String, String> out = m;
    Map<String, String> entries = new HashMap<>(m.getEntries());
    for (Map.Entry<String, String> e : entries.entrySet()) {
      if (SharedDestinationHealth.until(e.getValue()) <= now) out = out.remove(node, e.getKey());
    }
    for (Map.Entry<String, Long> e : add.entrySet()) {
      if (out.size() >= MAX_FAILED && !out.contains(e.getKey())) continue;
      out = out.put(node, e.getKey(), e.getValue() + "|" + self);
    }
    return out;
  }
}
