package clearip.proxy.actors.call;

import clearip.proxy.actors.call.txn.CallOutcome;

/**
 * What call handling reports for supervision; implemented with real meters by ops. Called on
 * actor threads and on the UDP readers: implementations must be cheap and non-blocking.
 *
 * <p>Each fact is reported when it happens: a final when it leaves for the switch (over UDP the
 * call then waits for the switch's ACK, up to Timer H, 32 s, when none comes), ClearIP's answer
 * when it arrives, the end of the call when its transaction is over.
 */
public interface CallMetrics {

  /** Why a new INVITE was refused before any call started (it gets 503 with Retry-After). */
  enum Refusal {
    /** The proxy is draining. */
    DRAINING,
    /** The proxy is warming up. */
    WARMING_UP,
    /** {@code calls.max-in-flight} calls are open. */
    CALLS_IN_FLIGHT,
    /** Overload control: new calls wait too long for a thread or for the UDP intake. */
    OVERLOAD
  }

  /** An INVITE started a call. */
  default void callStarted() {}

  /**
   * A new INVITE was refused at once; its 503 is reported by {@link #finalSent} as well.
   */
  default void refused(Refusal reason) {}

  /**
   * The call's final answer left for the switch: the first one only (not its retransmissions,
   * nor a destination's late 2xx relayed after it).
   *
   * @param outcome how the call ended, decided with this final
   * @param finalStatus its status
   * @param answerNanos time from the INVITE's arrival (decoded, at the call registry) to now
   */
  default void finalSent(CallOutcome outcome, int finalStatus, long answerNanos) {}

  /**
   * ClearIP's final answer to the call's INVITE arrived (once per call; also when it came after
   * the call gave up waiting and answered the switch itself, while the call still lives).
   *
   * @param rttNanos time from forwarding the INVITE to this answer
   */
  default void clearIpAnswered(int status, long rttNanos) {}

  /**
   * A call ended: its transaction is over.
   *
   * @param finalStatus the final status sent to the switch
   * @param clearIpStatus ClearIP's final status, or 0 when it gave none
   * @param clearIpRttNanos time from forwarding to ClearIP's final, or -1
   * @param answerNanos time from the INVITE's arrival (decoded, at the call registry) to the first
   *     final answer sent to the switch, or -1 when none was sent
   */
  default void callEnded(CallOutcome outcome, int finalStatus, int clearIpStatus,
      long clearIpRttNanos, long answerNanos) {}

  CallMetrics NONE = new CallMetrics() {};
}
