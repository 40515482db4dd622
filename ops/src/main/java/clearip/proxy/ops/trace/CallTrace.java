package clearip.proxy.ops.trace;

import clearip.proxy.streams.transport.MessageTap;
import clearip.proxy.streams.transport.Transport;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running trace: the {@link MessageTap} that queues each message (never blocking; a full
 * queue drops and counts), and the one writer thread that drains the queue into the pcap file
 * and the HEP collector. The trace ends on {@link #stop()} or at its deadline; the writer then
 * removes the tap, writes what is still queued and closes the file.
 */
final class CallTrace implements MessageTap {
  private static final Logger log = LoggerFactory.getLogger(CallTrace.class);
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final int MAX_TCP_FLOWS = 100_000;

  /** Counters shared by the traces of one controller. */
  record Counters(LongAdder traced, LongAdder dropped, LongAdder hepFailed) {
    Counters() {
      this(new LongAdder(), new LongAdder(), new LongAdder());
    }
  }

  private final ArrayBlockingQueue<TracedMessage> queue;
  private final Counters counters;
  private final TraceSettings settings;
  private final Runnable onEnd;
  private final TcpSequences sequences = new TcpSequences(MAX_TCP_FLOWS);
  private final CompletableFuture<Void> ended = new CompletableFuture<>();
  private final byte[] hepKey;
  private final Thread writer;
  private final Path file;
  private RotatingPcapFile pcap;
  private DatagramSocket hep;
  private InetSocketAddress collector;
  private int ipId;
  private volatile boolean stopping;
  private volatile long deadline;
  private volatile boolean timed;

  /**
   * Opens the file and the HEP socket; the trace runs once {@link #start} is called.
   *
   * @param onEnd called on the writer thread when the trace ends, before the final drain
   * @throws IOException when the file cannot be created or the collector not resolved
   */
  CallTrace(TraceSettings settings, Counters counters, Runnable onEnd) throws IOException {
    this.settings = settings;
    this.counters = counters;
    this.onEnd = onEnd;
    this.queue = new ArrayBlockingQueue<>(settings.queueSize());
    this.hepKey = settings.hepPassword().getBytes(StandardCharsets.UTF_8);
    if (settings.hepCollector() != null) {
      InetSocketAddress c = settings.hepCollector();
      collector = c.isUnresolved() ? new InetSocketAddress(c.getHostString(), c.getPort()) : c;
      if (collector.isUnresolved()) {
        throw new IOException("cannot resolve the HEP collector " + c.getHostString());
      }
      hep = new DatagramSocket();
    }
    if (settings.file() != null) {
      pcap = new RotatingPcapFile(settings.file(), settings.maxFileSize(), settings.maxFiles());
      try {
        pcap.open();
      } catch (IOException e) {
        if (hep != null) hep.close();
        throw e;
      }
    }
    this.file = pcap == null ? null : pcap.file();
    this.writer = new Thread(this::run, "clearip-call-trace");
    writer.setDaemon(true);
  }

  /** Starts the writer; {@code seconds} 0 runs until {@link #stop()}. */
  void start(int seconds) {
    until(seconds);
    writer.start();
  }

  /** Sets a new end: {@code seconds} from now, or none for 0. */
  void until(int seconds) {
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    timed = seconds > 0;
  }

  boolean isRunning() {
    return !ended.isDone();
  }

  /** Completes once the file is closed. */
  CompletableFuture<Void> ended() {
    return ended;
  }

  /** Ends the trace: the writer writes what is queued, closes the file and completes ended. */
  void stop() {
    stopping = true;
  }

  /** The file being written, or null for HEP only. */
  Path file() {
    return file;
  }

  // ---- the tap: any thread, never blocks -----------------------------------------------------

  @Override
  public void onMessage(Direction direction, Transport transport, InetSocketAddress local,
      InetSocketAddress remote, byte[] message) {
    Instant now = Instant.now();
    long micros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    if (!queue.offer(new TracedMessage(direction, transport, local, remote, message, micros))) {
      counters.dropped().increment();
    }
  }

  // ---- the writer thread ---------------------------------------------------------------------

  private void run() {
    List<TracedMessage> batch = new ArrayList<>(256);
    try {
      while (!stopping) {
        long wait = POLL_NANOS;
        if (timed) {
          long left = deadline - System.nanoTime();
          if (left <= 0) break;
          wait = Math.min(wait, left);
        }
        TracedMessage m = queue.poll(wait, TimeUnit.NANOSECONDS);
        if (m == null) continue;
        write(m);
        queue.drainTo(batch, 255);
        for (TracedMessage x : batch) write(x);
        batch.clear();
        if (queue.isEmpty()) flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        onEnd.run();
        for (TracedMessage m; (m = queue.poll()) != null; ) write(m);
      } finally {
        closeOutputs();
        ended.complete(null);
      }
    }
  }

  private void write(TracedMessage m) {
    counters.traced().increment();
    Endpoints e = m.endpoints();
    byte[] payload = m.message();
    if (pcap != null) {
      try {
        if (m.tcp()) {
          int off = 0;
          do { // one segment per message, unless it exceeds what one IP packet holds
            int len = Math.min(PcapRecords.MAX_PAYLOAD, payload.length - off);
            pcap.write(PcapRecords.tcp(m.epochMicros(), e, nextIpId(), sequences.take(e, len),
                sequences.ack(e), payload, off, len));
            off += len;
          } while (off < payload.length);
        } else {
          pcap.write(PcapRecords.udp(m.epochMicros(), e, nextIpId(), payload, 0,
              payload.length));
        }
      } catch (IOException ex) {
        log.warn("Call trace: cannot write {} ({}); the trace goes on without the file",
            pcap.file(), ex.toString());
        closePcap();
      }
    }
    if (hep != null) {
      byte[] p = HepPacket.encode(m.epochMicros(), e,
          m.tcp() ? PcapRecords.PROTO_TCP : PcapRecords.PROTO_UDP, settings.hepCaptureId(),
          hepKey, payload);
      if (p == null) {
        counters.hepFailed().increment();
        return;
      }
      try {
        hep.send(new DatagramPacket(p, p.length, collector));
      } catch (IOException ex) {
        counters.hepFailed().increment();
        if (counters.hepFailed().sum() % 1000 == 1) {
          log.warn("Call trace: cannot send HEP to {} ({}); {} packets lost so far", collector,
              ex.toString(), counters.hepFailed().sum());
        }
      }
    }
  }

  private int nextIpId() {
    ipId = (ipId + 1) & 0xffff;
    return ipId;
  }

  private void flush() {
    if (pcap == null) return;
    try {
      pcap.flush();
    } catch (IOException ex) {
      log.warn("Call trace: cannot write {} ({}); the trace goes on without the file",
          pcap.file(), ex.toString());
      closePcap();
    }
  }

  private void closePcap() {
    RotatingPcapFile p = pcap;
    pcap = null;
    try {
      p.close();
    } catch (IOException ignored) {
      // already reported; nothing more to do with a file that cannot be written
    }
  }

  private void closeOutputs() {
    if (pcap != null) {
      try {
        pcap.close();
      } catch (IOException ex) {
        log.warn("Call trace: cannot close {} ({})", pcap.file(), ex.toString());
      }
    }
    if (hep != null) hep.close();
  }
}
