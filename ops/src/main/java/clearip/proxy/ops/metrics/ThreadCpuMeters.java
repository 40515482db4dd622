package clearip.proxy.ops.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;
import java.util.function.Supplier;

/**
 * CPU time by thread group ({@code clearip_threads_cpu_seconds_total{group}}): which part of the
 * proxy is busy when the process is. The UDP readers must keep up with every datagram, refused
 * calls included, while the call threads run the calls; under overload the two compete for the
 * same cores, and only this split shows which one ran out.
 *
 * <p>Java threads are timed one by one ({@link ThreadMXBean#getThreadCpuTime}); the JVM's own
 * (garbage collector, JIT compilers) are not visible there and make up the rest of the process's
 * CPU time, group {@code jvm}. A thread that ends keeps its time in its group, so every counter
 * only grows. Sampled at most once per {@link #MIN_INTERVAL_NANOS}, on the scraping thread.
 */
final class ThreadCpuMeters {
  /** The groups, by thread name. */
  enum Group {
    UDP_READERS("udp-readers"),
    CALLS("calls"),
    CONNECTIONS("connections"),
    NETWORK_IO("network-io"),
    TIMERS("timers"),
    OTHER_JAVA("other-java"),
    JVM("jvm");

    final String tag;

    Group(String tag) {
      this.tag = tag;
    }

    static Group of(String threadName) {
      if (threadName.startsWith("sip-udp-")) return UDP_READERS;
      if (threadName.contains(".actor.default-dispatcher-")) return CALLS;
      if (threadName.contains(".connection-dispatcher-")) return CONNECTIONS;
      // Pekko's socket selectors; its TCP connection actors run with the calls
      if (threadName.contains(".io.pinned-dispatcher-")) return NETWORK_IO;
      if (threadName.endsWith("-scheduler-1")) return TIMERS;
      return OTHER_JAVA;
    }
  }

  static final long MIN_INTERVAL_NANOS = 100_000_000L;

  private final Supplier<long[]> threadIds;
  private final LongUnaryOperator threadCpuNanos;
  private final LongFunction<String> threadName;
  private final LongSupplier processCpuNanos;
  private final LongSupplier clock;
  /** Per live thread id: its group and the CPU time last read. */
  private final Map<Long, long[]> seen = new HashMap<>();
  /** CPU time of the threads of each group that have ended. */
  private final long[] ended = new long[Group.values().length];
  private final long[] totals = new long[Group.values().length];
  private long sampledAt;
  private boolean sampled;

  /**
   * @param threadIds the live Java threads' ids
   * @param threadCpuNanos a thread's CPU time, negative once it has ended
   * @param threadName a thread's name, null once it has ended
   * @param processCpuNanos the whole process's CPU time, negative when unknown
   */
  ThreadCpuMeters(Supplier<long[]> threadIds, LongUnaryOperator threadCpuNanos,
      LongFunction<String> threadName, LongSupplier processCpuNanos, LongSupplier clock) {
    this.threadIds = threadIds;
    this.threadCpuNanos = threadCpuNanos;
    this.threadName = threadName;
    this.processCpuNanos = processCpuNanos;
    this.clock = clock;
  }

  /**
   * Registers one counter per group; does nothing where the JVM cannot time threads. The caller
   * keeps the result: the counters hold it only weakly.
   */
  static ThreadCpuMeters bindTo(MeterRegistry registry) {
    ThreadMXBean t = ManagementFactory.getThreadMXBean();
    if (!t.isThreadCpuTimeSupported() || !t.isThreadCpuTimeEnabled()) return null;
    java.lang.management.OperatingSystemMXBean os =
        ManagementFactory.getOperatingSystemMXBean();
    LongSupplier process = os instanceof com.sun.management.OperatingSystemMXBean sun
        ? sun::getProcessCpuTime
        : () -> -1;
    ThreadCpuMeters m = new ThreadCpuMeters(t::getAllThreadIds, t::getThreadCpuTime, id -> {
      ThreadInfo info = t.getThreadInfo(id, 0);
      return info == null ? null : info.getThreadName();
    }, process, System::nanoTime);
    for (Group g : Group.values()) {
      FunctionCounter.builder("clearip.threads.cpu", m, x -> x.seconds(g))
          .tag("group", g.tag)
          .description("CPU time of the proxy's threads by group (udp-readers read and refuse, "
              + "calls run the calls and ClearIP's connection, connections run the switches' and "
              + "destinations' TCP/TLS connections, network-io waits on the sockets, jvm is GC "
              + "and JIT)")
          .baseUnit("seconds")
          .register(registry);
    }
    return m;
  }

  /** The group's CPU time so far, in seconds. */
  synchronized double seconds(Group g) {
    long now = clock.getAsLong();
    if (!sampled || now - sampledAt >= MIN_INTERVAL_NANOS) {
      sample();
      sampledAt = now;
      sampled = true;
    }
    return totals[g.ordinal()] / 1e9;
  }

  private void sample() {
    long[] ids = threadIds.get();
    long[] live = new long[totals.length];
    Set<Long> alive = new HashSet<>();
    for (long id : ids) {
      long cpu = threadCpuNanos.applyAsLong(id);
      if (cpu < 0) continue; // ended since the list was taken
      long[] entry = seen.get(id);
      if (entry == null) {
        String name = threadName.apply(id);
        if (name == null) continue;
        entry = new long[] {Group.of(name).ordinal(), 0};
        seen.put(id, entry);
      }
      entry[1] = cpu;
      live[(int) entry[0]] += cpu;
      alive.add(id);
    }
    seen.entrySet().removeIf(e -> {
      if (alive.contains(e.getKey())) return false;
      ended[(int) e.getValue()[0]] += e.getValue()[1];
      return true;
    });
    long java = 0;
    for (Group g : Group.values()) {
      if (g == Group.JVM) continue;
      long t = live[g.ordinal()] + ended[g.ordinal()];
      totals[g.ordinal()] = Math.max(totals[g.ordinal()], t);
      java += totals[g.ordinal()];
    }
    long process = processCpuNanos.getAsLong();
    if (process >= 0) {
      // the process clock ticks coarser than the threads' ones: never let the rest go back
      totals[Group.JVM.ordinal()] = Math.max(totals[Group.JVM.ordinal()], process - java);
    }
  }
}
