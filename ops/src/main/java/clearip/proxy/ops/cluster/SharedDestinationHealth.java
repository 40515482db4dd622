package clearip.proxy.ops.cluster;

import clearip.proxy.actors.call.txn.Destination;
import clearip.proxy.actors.call.txn.DestinationHealth;
import clearip.proxy.actors.call.txn.TransportMemory;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In-line mode's destination health shared by the fleet ({@code inline.shared-penalty}): a
 * destination that failed on another node is tried last here until its penalty ends. A call
 * reads a snapshot map and writes into a bounded local map; {@link FleetData} carries both
 * across the fleet each second. No call waits on anything.
 */
final class SharedDestinationHealth implements DestinationHealth {
  private final Duration penalty;
  private final String self;
  private final ConcurrentHashMap<String, Long> local = new ConcurrentHashMap<>();
  /** Destination to the end of its penalty (epoch ms), failed on other nodes. */
  private volatile Map<String, Long> elsewhere = Map.of();

  SharedDestinationHealth(Duration penalty, String self) {
    this.penalty = penalty;
    this.self = self;
  }

  @Override
  public boolean penalized(Destination d) {
    Map<String, Long> m = elsewhere;
    if (m.isEmpty()) return false;
    Long until = m.get(TransportMemory.key(d));
    return until != null && until > System.currentTimeMillis();
  }

  @Override
  public void failed(Destination d) {
    // bounded: a storm of failures beyond it is not shared until the next second
    if (local.size() < FleetData.MAX_FAILED) {
      local.put(TransportMemory.key(d), System.currentTimeMillis() + penalty.toMillis());
    }
  }

  /** The failures since the last call, emptied. */
  Map<String, Long> drain() {
    Map<String, Long> out = new HashMap<>();
    for (String k : local.keySet()) {
      Long v = local.remove(k);
      if (v != null) out.put(k, v);
    }
    return out;
  }

  /** The fleet's map (destination to "until|origin"): keeps the other nodes' entries. */
  void fleet(Map<String, String> entries) {
    Map<String, Long> m = new HashMap<>();
    entries.forEach((k, v) -> {
      if (!v.endsWith("|" + self)) m.put(k, until(v));
    });
    elsewhere = Map.copyOf(m);
  }

  /** The end of the penalty in an entry "until|origin"; 0 when unreadable. */
  static long until(String entry) {
    int bar = entry.indexOf('|');
    try {
      return Long.parseLong(bar < 0 ? entry : entry.substring(0, bar));
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
