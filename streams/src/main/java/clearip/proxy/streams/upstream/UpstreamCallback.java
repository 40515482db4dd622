package clearip.proxy.streams.upstream;

import clearip.proxy.sip.message.SipResponse;

/**
 * The call waiting for ClearIP's answer to one request it sent upstream. Called on stream
 * threads: implementations only hand the event to their actor.
 */
public interface UpstreamCallback {

  /** A response whose top Via branch is the one this callback was registered for. */
  void onResponse(SipResponse response);

  /** The connection carrying the request was lost before its final answer: answer 503 now. */
  void onUnavailable(String reason);

  /**
   * ClearIP answered, but with a response this proxy cannot use (beyond the parse limits, or
   * malformed): answer 503 now rather than wait for the timeout.
   */
  default void onUnusable(String reason) {
    onUnavailable(reason);
  }
}
