package clearip.proxy.ops.trace;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How call traces are taken (section {@code clearip-proxy.trace} of reference.conf).
 *
 * @param enabled trace from start to stop; otherwise only on demand
 * @param file the pcap file, or null for none (HEP only)
 * @param maxFileSize a file reaching this many bytes is rotated
 * @param maxFiles files kept, the current one included
 * @param queueSize messages waiting for the writer thread; past it they are dropped and counted
 * @param hepCollector the Homer collector (UDP, possibly unresolved), or null for no HEP export
 * @param hepCaptureId capture agent id written in each HEP packet
 * @param hepPassword HEP authentication key; empty sends none
 */
public record TraceSettings(boolean enabled, Path file, long maxFileSize, int maxFiles,
    int queueSize, InetSocketAddress hepCollector, int hepCaptureId, String hepPassword) {

  public TraceSettings {
    if (maxFileSize < PcapRecords.FILE_HEADER_SIZE + PcapRecords.RECORD_HEADER_SIZE + 60) {
      throw new IllegalArgumentException("max-file-size is too small");
    }
    if (maxFiles < 1) throw new IllegalArgumentException("max-files must be at least 1");
    if (queueSize < 1) throw new IllegalArgumentException("queue-size must be at least 1");
    hepPassword = Objects.requireNonNullElse(hepPassword, "");
  }

  /** What reference.conf says. */
  public static TraceSettings defaults() {
    return new TraceSettings(false, Path.of("traces", "clearip-proxy.pcap"), 100L << 20, 10,
        10_000, null, 2001, "");
  }

  public TraceSettings withFile(Path file) {
    return new TraceSettings(enabled, file, maxFileSize, maxFiles, queueSize, hepCollector,
        hepCaptureId, hepPassword);
  }

  public TraceSettings withHep(InetSocketAddress collector, int captureId, String password) {
    return new TraceSettings(enabled, file, maxFileSize, maxFiles, queueSize, collector,
        captureId, password);
  }

  public TraceSettings withRotation(long maxFileSize, int maxFiles) {
    return new TraceSettings(enabled, file, maxFileSize, maxFiles, queueSize, hepCollector,
        hepCaptureId, hepPassword);
  }

  public TraceSettings withQueueSize(int queueSize) {
    return new TraceSettings(enabled, file, maxFileSize, maxFiles, queueSize, hepCollector,
        hepCaptureId, hepPassword);
  }
}
