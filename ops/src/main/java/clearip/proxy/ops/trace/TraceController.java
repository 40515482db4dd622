package clearip.proxy.ops.trace;

import clearip.proxy.streams.transport.MessageTaps;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts and stops call traces of one proxy: permanently ({@code trace.enabled = on}) or on
 * demand ({@link #startTrace(int)}, {@link #stopTrace()}, e.g. over JMX). A trace captures every
 * SIP message of every transport and of the ClearIP link, in clear text, into a rotating pcap
 * file and/or a Homer collector (HEPv3); see {@link CallTrace}. Thread-safe.
 */
public final class TraceController implements TraceControl {
  private static final Logger log = LoggerFactory.getLogger(TraceController.class);
  private static final long STOP_WAIT_SECONDS = 10;

  private final MessageTaps taps;
  private final TraceSettings settings;
  private final CallTrace.Counters counters = new CallTrace.Counters();
  private CallTrace current;
  private Path lastFile;
  private boolean permanent;

  public TraceController(ClassicActorSystemProvider system, TraceSettings settings) {
    this(MessageTaps.get(system), settings);
  }

  TraceController(MessageTaps taps, TraceSettings settings) {
    this.taps = taps;
    this.settings = settings;
  }

  /**
   * Starts the permanent trace when {@code trace.enabled = on}; a trace that cannot start is
   * logged, never a reason for the proxy not to run.
   */
  public synchronized void startConfigured() {
    if (!settings.enabled()) return;
    try {
      begin(0);
      permanent = true;
    } catch (IllegalStateException e) {
      log.error("Call trace (trace.enabled = on) not started: {}", e.getMessage());
    }
  }

  /**
   * Traces every message for {@code seconds} (0: until {@link #stopTrace()}). While an
   * on-demand trace runs, this sets its new end instead; a permanent trace is left as it is.
   *
   * @return what is being traced, where, until when (for the operator)
   * @throws IllegalArgumentException for a negative duration
   * @throws IllegalStateException when the file cannot be created or the collector resolved
   */
  @Override
  public synchronized String startTrace(int seconds) {
    if (seconds < 0) throw new IllegalArgumentException("seconds must not be negative");
    String until = seconds == 0 ? "until stopTrace" : "for " + seconds + " s";
    if (current != null && current.isRunning()) {
      if (permanent) {
        log.info("Call trace already running (trace.enabled = on)");
        return "already tracing permanently (trace.enabled = on) to " + where(current);
      }
      current.until(seconds);
      log.info("Call trace now runs {}", until);
      return "tracing " + until + " from now to " + where(current);
    }
    begin(seconds);
    permanent = false;
    return "tracing " + until + " to " + where(current);
  }

  /**
   * Ends the running trace, permanent or not; returns once the file is complete and closed
   * (or after 10 s).
   *
   * @return what was written, or that no trace was running
   */
  @Override
  public synchronized String stopTrace() {
    CallTrace t = current;
    current = null;
    permanent = false;
    if (t == null || !t.isRunning()) {
      return "no trace running" + (lastFile == null ? "" : "; the last one is in " + lastFile);
    }
    t.stop();
    try {
      t.ended().get(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("Call trace writer did not finish within {} s", STOP_WAIT_SECONDS);
    }
    return "trace stopped; " + tracedMessages() + " messages traced, " + droppedMessages()
        + " dropped since start; " + where(t);
  }

  private String where(CallTrace t) {
    String file = t.file() == null ? "" : t.file().toString();
    String hep = settings.hepCollector() == null ? ""
        : "HEP collector " + settings.hepCollector().getHostString() + ":"
            + settings.hepCollector().getPort();
    return file.isEmpty() ? hep : hep.isEmpty() ? file : file + " and " + hep;
  }

  public synchronized boolean isTracing() {
    return current != null && current.isRunning();
  }

  /** The file of the running (or last) trace; null when none was taken or HEP only. */
  public synchronized Path file() {
    return lastFile;
  }

  /** Messages written (file and/or HEP) since this controller was created. */
  public long tracedMessages() {
    return counters.traced().sum();
  }

  /** Messages dropped because the writer could not keep up (its queue was full). */
  public long droppedMessages() {
    return counters.dropped().sum();
  }

  /** HEP packets that could not be sent (too large for a datagram, or a socket error). */
  public long hepFailures() {
    return counters.hepFailed().sum();
  }

  public TraceSettings settings() {
    return settings;
  }

  private void begin(int seconds) {
    CallTrace t;
    CallTrace[] self = new CallTrace[1];
    try {
      t = new CallTrace(settings, counters, () -> {
        if (taps.remove(self[0])) log.info("Call trace ended");
      });
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the call trace: " + e.getMessage(), e);
    }
    self[0] = t;
    taps.install(t); // before the writer starts, so that a trace ending at once removes it
    t.start(seconds);
    current = t;
    lastFile = t.file();
    log.info("Call trace started{}: {}{}", seconds == 0 ? "" : " for " + seconds + " s",
        t.file() == null ? "no file" : t.file(),
        settings.hepCollector() == null ? "" : ", HEP to " + settings.hepCollector());
  }
}
