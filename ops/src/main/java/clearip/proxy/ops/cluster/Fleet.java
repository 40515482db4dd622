package clearip.proxy.ops.cluster;

import clearip.proxy.actors.call.txn.DestinationHealth;
import clearip.proxy.ops.admin.ProxyOperations;
import clearip.proxy.ops.admin.SharedSettings;
import clearip.proxy.ops.config.ClusterSettings;
import clearip.proxy.ops.jmx.ClusterView;
import clearip.proxy.ops.trace.TraceControl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This proxy as one node of a fleet: a cluster actor system of its own (the calls' system never
 * becomes a cluster one), the operator settings the nodes share, each node's load, and failed
 * destinations. A node that the split-brain resolver removed (it was cut off, or in the
 * minority) keeps its settings and takes calls as before, and joins the fleet again with a new
 * cluster system a few seconds later; it then adopts the fleet's settings.
 *
 * <p>Settings arriving from the fleet are applied on a thread of this class, never on a
 * dispatcher: switching ClearIP's URI or starting a trace may take a moment.
 */
public final class Fleet implements SharedSettings, ClusterView, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Fleet.class);
  /** How long a removed node waits before it joins again (its old incarnation must be gone). */
  static final Duration REJOIN_DELAY = Duration.ofSeconds(3);
  private static final Duration LEAVE_TIMEOUT = Duration.ofSeconds(10);

  private final ClusterSettings settings;
  private final ProxyOperations operations;
  private final TraceControl localTrace;
  private final Supplier<String> localLoad;
  private final String self;
  /** This process: a restarted node adopts even the changes its previous process made. */
  private final String process = UUID.randomUUID().toString();
  private final SharedDestinationHealth health;
  private final ScheduledExecutorService worker;
  private final AtomicBoolean applyPending = new AtomicBoolean();

  private volatile ActorSystem<FleetData.Command> system;
  private volatile boolean closed;
  private volatile boolean rejoining;
  private volatile Map<String, Setting> fleetSettings = Map.of();
  /** By the worker thread only: the stamp of each setting last applied or seen here. */
  private final Map<String, Setting> applied = new HashMap<>();
  private volatile Map<String, String> load = Map.of();

  private Fleet(ClusterSettings settings, ProxyOperations operations, TraceControl localTrace,
      Supplier<String> localLoad) {
    this.settings = settings;
    this.operations = operations;
    this.localTrace = localTrace;
    this.localLoad = localLoad;
    this.self = ClusterSettings.hostPort(settings.bind());
    this.health = settings.sharedPenalty().isZero() ? null
        : new SharedDestinationHealth(settings.sharedPenalty(), self);
    ScheduledThreadPoolExecutor w = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "clearip-fleet-settings");
      t.setDaemon(true);
      return t;
    });
    w.setRemoveOnCancelPolicy(true);
    this.worker = w;
  }

  /**
   * Starts this node's cluster system and joins the seed nodes; fails when the cluster port
   * cannot be bound. Operators' changes of shared settings made through {@code operations} are
   * published from now on.
   *
   * @param localLoad this node's load in one line ("inFlight=.. cps=.. upstream=..")
   */
  public static Fleet start(ClusterSettings settings, ProxyOperations operations,
      TraceControl trace, Supplier<String> localLoad) {
    Fleet f = new Fleet(settings, operations, trace, localLoad);
    f.startSystem();
    operations.share(f);
    log.info("Cluster node {} joining the fleet through {}", f.self, settings.seedNodes());
    return f;
  }

  private void startSystem() {
    ActorSystem<FleetData.Command> s = ActorSystem.create(
        FleetData.create(new Listener(), self), ClusterSettings.SYSTEM_NAME,
        FleetConfig.of(settings));
    system = s;
    s.getWhenTerminated().thenRun(() -> onTerminated(s));
  }

  /** The cluster system stopped: downed by the split-brain resolver, or the proxy stops. */
  private void onTerminated(ActorSystem<?> s) {
    if (closed || s != system) return;
    rejoining = true;
    log.warn("This node left the fleet (the split-brain resolver removed it, or it lost the "
        + "others); it keeps its settings and takes calls, and joins again in {} s",
        REJOIN_DELAY.toSeconds());
    worker.schedule(this::rejoin, REJOIN_DELAY.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void rejoin() {
    if (closed) return;
    try {
      load = Map.of();
      startSystem();
      log.info("Cluster node {} joining the fleet again through {}", self,
          settings.seedNodes());
    } catch (RuntimeException e) {
      log.warn("Cannot start the cluster node again ({}); next try in {} s", e.toString(),
          REJOIN_DELAY.toSeconds());
      worker.schedule(this::rejoin, REJOIN_DELAY.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** In-line mode's shared destination health; {@link DestinationHealth#LOCAL} when off. */
  public DestinationHealth destinationHealth() {
    return health == null ? DestinationHealth.LOCAL : health;
  }

  /** {@code local} whose starts and stops also go to every node. */
  public TraceControl trace() {
    return new TraceControl() {
      @Override
      public String startTrace(int seconds) {
        String r = localTrace.startTrace(seconds);
        long until = seconds == 0 ? 0 : System.currentTimeMillis() + seconds * 1000L;
        publish(TRACE, "on " + until);
        return r;
      }

      @Override
      public String stopTrace() {
        String r = localTrace.stopTrace();
        publish(TRACE, "off");
        return r;
      }
    };
  }

  // ---- SharedSettings ----

  @Override
  public void publish(String key, String value) {
    ActorSystem<FleetData.Command> s = system;
    Setting setting = new Setting(key, value, self, process, System.currentTimeMillis());
    if (s == null || rejoining) {
      log.warn("Not in the fleet now: {} is in force on this node only", setting);
      return;
    }
    s.tell(new FleetData.Publish(setting));
  }

  @Override
  public String notReadyReason() {
    ActorSystem<FleetData.Command> s = system;
    if (closed) return null;
    if (s == null || (rejoining && !isUp(s))) return "left the fleet, joining it again";
    rejoining = false;
    ClusterEvent.CurrentClusterState state = Cluster.get(s).state();
    if (!isUp(s)) return null; // not joined yet: calls do not need the fleet
    int members = 0;
    for (Member ignored : state.getMembers()) members++;
    int reachable = members - state.getUnreachable().size();
    if (members > 1 && reachable * 2 <= members) {
      return "lost the fleet's majority (" + reachable + " of " + members + " members "
          + "reachable)";
    }
    return null;
  }

  private static boolean isUp(ActorSystem<?> s) {
    MemberStatus st = Cluster.get(s).selfMember().status();
    return st == MemberStatus.up() || st == MemberStatus.weaklyUp();
  }

  // ---- ClusterView ----

  @Override
  public String selfAddress() {
    return self;
  }

  @Override
  public String leader() {
    ActorSystem<?> s = system;
    if (s == null) return "";
    Address a = Cluster.get(s).state().getLeader();
    return a == null ? "" : hostPort(a);
  }

  @Override
  public List<String> members() {
    List<String> out = new ArrayList<>();
    ActorSystem<?> s = system;
    if (s == null) return out;
    for (Member m : Cluster.get(s).state().getMembers()) {
      out.add(hostPort(m.address()) + " " + m.status());
    }
    return out;
  }

  @Override
  public List<String> unreachable() {
    List<String> out = new ArrayList<>();
    ActorSystem<?> s = system;
    if (s == null) return out;
    for (Member m : Cluster.get(s).state().getUnreachable()) out.add(hostPort(m.address()));
    return out;
  }

  /** Members with {@code status} (as in ProxyMetrics.MEMBER_STATUSES); for /metrics. */
  public int membersWithStatus(String status) {
    ActorSystem<?> s = system;
    if (s == null) return 0;
    ClusterEvent.CurrentClusterState state = Cluster.get(s).state();
    if (status.equals("unreachable")) return state.getUnreachable().size();
    int n = 0;
    for (Member m : state.getMembers()) {
      if (statusName(m.status()).equals(status)) n++;
    }
    return n;
  }

  static String statusName(MemberStatus s) {
    return s.toString().replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }

  @Override
  public List<String> memberLoad() {
    List<String> out = new ArrayList<>();
    List<String> current = new ArrayList<>();
    for (String m : members()) current.add(m.substring(0, m.indexOf(' ')));
    long now = System.currentTimeMillis();
    new TreeMap<>(load).forEach((node, line) -> {
      if (!current.contains(node)) return; // a node that left
      int bar = line.indexOf('|');
      long at = SharedDestinationHealth.until(line);
      out.add(node + " " + line.substring(bar + 1) + " age="
          + String.format(Locale.ROOT, "%.1fs", Math.max(0, now - at) / 1000.0));
    });
    return out;
  }

  @Override
  public List<String> settings() {
    List<String> out = new ArrayList<>();
    new TreeMap<>(fleetSettings).values().forEach(s -> out.add(s.toString()));
    return out;
  }

  @Override
  public long settingsVersion() {
    long v = 0;
    for (Setting s : fleetSettings.values()) v = Math.max(v, s.at());
    return v;
  }

  static String hostPort(Address a) {
    String h = a.getHost().orElse("?");
    return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort().orElse(0);
  }

  // ---- applying the fleet's settings ----

  /** Applies, on the worker thread, each setting whose stamp this node has not seen yet. */
  private void applyLatest() {
    applyPending.set(false);
    for (Setting s : new TreeMap<>(fleetSettings).values()) {
      if (s.equals(applied.get(s.key()))) continue;
      applied.put(s.key(), s);
      boolean here = s.process().equals(process);
      log.info("Fleet setting {}{}", s, here ? ", changed on this node" : "; applying");
      if (here) continue; // in force since the operator's change
      try {
        String r = s.key().equals(TRACE) ? applyTrace(s.value())
            : operations.applyShared(s.key(), s.value(), s.origin());
        log.info("Fleet setting {} applied: {}", s.key(), r);
      } catch (RuntimeException e) {
        log.error("Fleet setting {} not applied on this node: {}", s, e.getMessage());
      }
    }
  }

  private String applyTrace(String value) {
    if (!value.startsWith("on ")) return localTrace.stopTrace();
    long until = Long.parseLong(value.substring(3));
    if (until == 0) return localTrace.startTrace(0);
    long left = (until - System.currentTimeMillis() + 999) / 1000;
    return left > 0 ? localTrace.startTrace((int) left) : "trace already over";
  }

  /** What the fleet's data tells this node, on the cluster system's threads: kept short. */
  private final class Listener implements FleetData.Listener {
    @Override
    public void settings(Map<String, String> entries) {
      Map<String, Setting> m = new HashMap<>();
      entries.forEach((k, v) -> {
        Setting s = Setting.decode(k, v);
        if (s != null) m.put(k, s);
      });
      fleetSettings = Map.copyOf(m);
      // at most one apply waits: it reads the latest map when it runs
      if (!closed && applyPending.compareAndSet(false, true)) {
        try {
          worker.execute(Fleet.this::applyLatest);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
          applyPending.set(false);
        }
      }
    }

    @Override
    public void load(Map<String, String> entries) {
      load = entries;
    }

    @Override
    public void failed(Map<String, String> entries) {
      if (health != null) health.fleet(entries);
    }

    @Override
    public String localLoad() {
      return localLoad.get();
    }

    @Override
    public Map<String, Long> drainLocalFailures() {
      return health == null ? Map.of() : health.drain();
    }
  }

  /** Leaves the fleet (the others see it go at once) and stops the cluster system. */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    operations.share(SharedSettings.LOCAL);
    ActorSystem<?> s = system;
    if (s != null) {
      try {
        org.apache.pekko.actor.CoordinatedShutdown.get(s)
            .runAll(org.apache.pekko.actor.CoordinatedShutdown.clusterLeavingReason())
            .toCompletableFuture().get(LEAVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        s.terminate();
      }
    }
    worker.shutdownNow();
  }
}
