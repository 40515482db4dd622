package clearip.proxy.actors.call;

import clearip.proxy.actors.call.txn.CallOutcome;
/**
 * What call handling reports for supervision; implemented with real meters by ops. Called on
 * actor threads: implementations must be cheap and non-blocking.
 */
public interface CallMetrics {

  /** An INVITE started a call. */
  default void callStarted() {}

  /**
   * A call ended.
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
