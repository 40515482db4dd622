package clearip.proxy.actors.call.txn;

import java.time.Duration;

/** What the call's actor must do, as the pure transaction logic of this package decides it. */
public sealed interface Action {
  /** Send bytes to the switch over the transport the INVITE came on. */
  record ToSwitch(byte[] bytes) implements Action {}

  /**
   * Send the INVITE upstream, registering for its responses; report the queue's answer with
   * {@link RelayTransaction#onOffer}.
   */
  record ForwardUpstream(String branch, byte[] bytes) implements Action {}

  /** Send an ACK or CANCEL upstream on the link carrying the INVITE. */
  record ToUpstream(byte[] bytes) implements Action {}

  /** The call gave up waiting for ClearIP: count it against the link (wedge detection). */
  record UpstreamTimedOut(String branch) implements Action {}

  /** Starts (or restarts) that timer. */
  record StartTimer(TxnTimer timer, Duration after) implements Action {}

  record CancelTimer(TxnTimer timer) implements Action {}

  /**
   * Inline: send to a destination (registering the branch so its responses come back here);
   * report the outcome with {@link RelayTransaction#onSendResult}.
   */
  record ToDestination(int attempt, Destination destination, String branch, byte[] bytes)
      implements Action {}

  /** The transaction is over: stop, forget the branch, report the outcome. */
  record Terminate() implements Action {}
}
