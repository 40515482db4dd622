package clearip.proxy.ops.trace;

/**
 * Starts and stops decrypted call traces; what {@code clearip.proxy:type=Proxy} delegates its
 * {@code startTrace}/{@code stopTrace} operations to. The defaults say traces are not available.
 */
public interface TraceControl {

  /** Starts a trace that stops by itself after {@code seconds}; returns what was started. */
  default String startTrace(int seconds) {
    return "call traces are not available in this build";
  }

  /** Stops the running trace, if any; returns what was written. */
  default String stopTrace() {
    return "call traces are not available in this build";
  }

  /** Traces not available. */
  TraceControl NONE = new TraceControl() {};
}
