package clearip.proxy.actors.call.txn;

import clearip.proxy.streams.transport.Durations;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which inline destinations did not take TCP lately, shared by every call: a large INVITE that
 * the size rule would send them over TCP goes over UDP at once while they are remembered, instead
 * of waiting for a refused or silent connect each time. Bounded in entries; thread-safe.
 */
public final class TransportMemory {
  private static final Logger log = LoggerFactory.getLogger(TransportMemory.class);
  /** Destinations remembered at most; past it an expired entry must go first. */
  public static final int DEFAULT_MAX_ENTRIES = 4096;

  private final ConcurrentHashMap<String, Long> udpOnlyUntil = new ConcurrentHashMap<>();
  private final AtomicLong fallbacks = new AtomicLong();
  private final LongSupplier clock;
  private final int maxEntries;
  private volatile DestinationHealth health = DestinationHealth.LOCAL;

  /** @param clock monotonic nanoseconds, e.g. {@code System::nanoTime} */
  public TransportMemory(LongSupplier clock, int maxEntries) {
    if (maxEntries <= 0) throw new IllegalArgumentException("maxEntries must be > 0");
    this.clock = clock;
    this.maxEntries = maxEntries;
  }

  public TransportMemory(LongSupplier clock) {
    this(clock, DEFAULT_MAX_ENTRIES);
  }

  /** True while {@code d} is remembered as not taking TCP. */
  public boolean udpOnly(Destination d) {
    Long until = udpOnlyUntil.get(key(d));
    if (until == null) return false;
    if (clock.getAsLong() - until < 0) return true;
    udpOnlyUntil.remove(key(d), until);
    return false;
  }

  /**
   * A large INVITE to {@code d} fell back to UDP because TCP did not connect ({@code why}):
   * remember it for {@code howLong}. Logged once per destination while it is remembered.
   */
  public void fellBack(Destination d, String why, Duration howLong) {
    fallbacks.incrementAndGet();
    if (howLong.isZero()) return;
    long until = clock.getAsLong() + howLong.toNanos();
    String key = key(d);
    if (udpOnlyUntil.size() >= maxEntries && !udpOnlyUntil.containsKey(key)) {
      evictExpired();
      if (udpOnlyUntil.size() >= maxEntries) return; // full of live entries: try TCP next time
    }
    if (udpOnlyUntil.put(key, until) == null) {
      log.info("Destination {} does not take TCP ({}); large INVITEs go to it over UDP for {}",
          key, why, Durations.text(howLong));
    }
  }

  /** TCP to {@code d} connected: nothing to remember against it. */
  public void tcpWorks(Destination d) {
    if (!udpOnlyUntil.isEmpty()) udpOnlyUntil.remove(key(d));
  }

  /** From now on failures are told to, and the order of Contacts asks, {@code shared}. */
  public void shareHealth(DestinationHealth shared) {
    health = shared == null ? DestinationHealth.LOCAL : shared;
  }

  /** The health every call shares (a fleet's, or {@link DestinationHealth#LOCAL}). */
  public DestinationHealth health() {
    return health;
  }

  /** Large INVITEs sent over UDP after TCP did not connect, since start. */
  public long fallbacks() {
    return fallbacks.get();
  }

  /** Destinations remembered now (expired ones included until they are looked at). */
  public int size() {
    return udpOnlyUntil.size();
  }

  private void evictExpired() {
    long now = clock.getAsLong();
    udpOnlyUntil.entrySet().removeIf(e -> now - e.getValue() >= 0);
  }

  /** {@code host:port} of a destination ({@code [v6]:port}), as remembered and shared. */
  public static String key(Destination d) {
    return (d.host().indexOf(':') >= 0 ? "[" + d.host() + "]" : d.host()) + ":" + d.port();
  }
}
